#!/usr/bin/env bash
# it_15: TLS with a test CA made now (openssl), per-van password auth and the
# shipped ACL (config/mosquitto/acl).  The van connects over TLS; base's
# operator reads it and can command it; a van cannot publish on another van's
# topics; a wrong password is refused with a clear message.
. "$(dirname "$0")/lib.sh"
it_setup
command -v openssl >/dev/null || fail "openssl missing"

cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=vanctld test CA" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt 2>/dev/null
[ -s server.crt ] || fail "could not make the test certificates"
mosquitto_passwd -b -c passwd van1 van1-secret 2>/dev/null
mosquitto_passwd -b passwd van2 van2-secret
mosquitto_passwd -b passwd op-sam sam-secret
chmod 0644 passwd ca.crt server.crt server.key
BROKER_PORT=$(free_port)
cat > mosquitto.conf <<CONF
listener $BROKER_PORT 127.0.0.1
cafile $WORK/ca.crt
certfile $WORK/server.crt
keyfile $WORK/server.key
allow_anonymous false
password_file $WORK/passwd
acl_file $VAN_SOURCE_DIR/config/mosquitto/acl
persistence false
user $(id -un)
CONF
mosquitto -c mosquitto.conf > mosquitto.log 2>&1 &
PIDS+=($!)
wait_for port_open "$BROKER_PORT" || fail "TLS broker did not start"

TLS=(-h localhost -p "$BROKER_PORT" --cafile "$WORK/ca.crt")
mosquitto_sub "${TLS[@]}" -u op-sam -P sam-secret -v -t 'vanctld/#' > "$WORK/base.txt" 2>> "$WORK/sub.log" &
PIDS+=($!)
sleep 0.5

printf 'van1-secret\n' > van1.pw
MQTT_HOST=localhost write_conf "$WORK/van.conf" "[mqtt]" "username = van1" "password_file = $WORK/van1.pw" \
	"tls_ca_file = $WORK/ca.crt"
start_vanctld "$WORK/van.conf"
WAIT_S=15 wait_for grep -q '^vanctld/van1/availability online' "$WORK/base.txt" || fail "van1 not seen online over TLS"
pass "van1 connected over TLS with its password; the operator sees it"

mosquitto_pub "${TLS[@]}" -u op-sam -P sam-secret -q 1 -t vanctld/van1/cmd/status -m '{"v":1,"unit":"van1","id":"t1"}'
WAIT_S=5 wait_for grep -q '"command":"status","id":"t1"' "$WORK/base.txt" || fail "operator command got no reply"
pass "the operator commands the van and reads the reply"

# van1's credentials cannot write another van's topics, nor read its commands
mosquitto_pub "${TLS[@]}" -u van1 -P van1-secret -q 1 -t vanctld/van2/emergency -m '{"active":true,"forged":1}' -V mqttv311
mosquitto_pub "${TLS[@]}" -u van1 -P van1-secret -q 1 -t vanctld/van2/cmd/ack -m '{"forged":1}' -V mqttv311
sleep 1
grep -q forged "$WORK/base.txt" && fail "van1 could publish on van2's topics"
pass "a van cannot publish on another van's topics"

# a wrong password: refused, and the daemon says so
stop_vanctld TERM
printf 'wrong\n' > van1.pw
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for grep -qi 'refused the connection' "$WORK/vanctld.log" || fail "no clear message for a refused login"
grep -i 'refused the connection' "$WORK/vanctld.log" | tail -n 1
kill -0 "$VANCTLD_PID" || fail "vanctld died on a refused login"
pass "wrong password refused with a clear message; daemon keeps retrying"
stop_vanctld TERM || true
