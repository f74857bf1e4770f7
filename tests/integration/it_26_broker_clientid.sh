#!/usr/bin/env bash
# it_26: the shipped base broker config (config/mosquitto/base-broker.conf,
# started as base_lib.sh does) ties client ids to user names on the vans'
# listener and the loopback one, and accepts only ids starting with vanctld-
# on every listener (issue 18, point 6): a client logging in with van1's
# password (or, on the console's WebSockets listeners, an operator's) and
# the client id van2 uses (the daemon's default vanctld-van2, or van2's user
# name, which the broker uses as its id) does not knock van2 offline, and
# base sees no "offline" for van2.
# Also: the shipped config's comments say commands are not queued for an
# offline van (point 7), as docs/mqtt.md does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/base_lib.sh"
it_setup
for t in mosquitto mosquitto_pub mosquitto_sub mosquitto_passwd gpsfake openssl; do
	command -v "$t" >/dev/null || fail "$t is missing"
done

conf="$VAN_SOURCE_DIR/config/mosquitto/base-broker.conf"
grep -qi 'queued QoS 1 commands survive' "$conf" && fail "base-broker.conf still says queued commands survive (vanctld uses a clean session)"
grep -q 'base must' "$conf" || fail "base-broker.conf does not say base must resend"
grep -q 'Commands sent while the van is offline are lost' "$VAN_SOURCE_DIR/docs/mqtt.md" || fail "docs/mqtt.md does not say base must resend"
pass "the broker config and docs/mqtt.md say commands for an offline van are not queued"

mkdir -p "$WORK/www"
base_tls
base_user van1 "$VAN_PASS"
base_user van2 "$VAN_PASS"
base_user "$OP_USER" "$OP_PASS"
base_user op-alex alexpass   # the watcher: a user of its own (client id = user name here)
start_base_broker
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -u op-alex -P alexpass -v -t 'vanctld/+/availability' \
	> "$WORK/avail.txt" 2>> "$WORK/sub.log" &
PIDS+=("$!")
TRACK="$VAN_SOURCE_DIR/config/demo/evening.nmea"
start_van van2 "$TRACK"
WAIT_S=20 wait_for grep -q '^vanctld/van2/availability online' "$WORK/avail.txt" || fail "van2 not online"
sleep 1
: > "$WORK/avail.txt.mark"
before=$(grep -c 'mqtt: connected' "$WORK/van2.log")

# the attacker: van1's password (or an operator's), van2's client ids, on
# the vans' TLS listener and on the loopback one, each held for 2 s
for login in "van1 $VAN_PASS" "$OP_USER $OP_PASS"; do
	u=${login% *} p=${login#* }
	for id in vanctld-van2 van2; do
		timeout 2 mosquitto_sub -h 127.0.0.1 -p "$MQTTS_PORT" --cafile "$WORK/tls/base.crt" -u "$u" -P "$p" \
			-i "$id" -t "vanctld/$u/cmd/#" >> "$WORK/attack.log" 2>&1
		timeout 2 mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -u "$u" -P "$p" \
			-i "$id" -t "vanctld/$u/cmd/#" >> "$WORK/attack.log" 2>&1
	done
done
# the same on the console's WebSockets listeners (TLS and loopback), with
# van1's password and with an operator's: no login there may take a van's
# id either (clientid_prefixes: every id sent must start with vanctld-, a
# van's id is its bare unit id)
for url in "wss://127.0.0.1:$WSS_PORT/" "ws://127.0.0.1:$WS_PORT/"; do
	for login in "van1 $VAN_PASS" "$OP_USER $OP_PASS"; do
		for id in van2 vanctld-van2; do
			# shellcheck disable=SC2086  # user and password
			echo "$url $login $id: $(python3 "$VAN_SOURCE_DIR/tests/integration/ws_connect.py" "$url" "$id" $login 2)" \
				>> "$WORK/attack.log"
		done
	done
done
grep -E '^wss?://.* van2: 0$' "$WORK/attack.log" >&2 && note "a client was let in with the bare id van2"
grep -q "^wss://.* $OP_USER .* vanctld-van2: 0$" "$WORK/attack.log" \
	|| fail "an operator cannot log in on the console's listener at all: $(tail -n 8 "$WORK/attack.log")"
sleep 3
grep -E 'van2|van1' "$WORK/mosquitto.log" | grep -iE 'already connected|disconnect' | tail -n 5 >&2
grep -q '^vanctld/van2/availability offline' "$WORK/avail.txt" && fail "van2 was knocked offline: base saw its last will"
after=$(grep -c 'mqtt: connected' "$WORK/van2.log")
[ "$after" = "$before" ] || fail "van2 lost its connection ($before -> $after connects)"
grep -qiE 'van2.*(lost|down|disconnect)|link down' "$WORK/van2.log" && fail "van2's log shows its link dropped"
pass "van1's or an operator's login with van2's client ids, on every listener of the shipped config (vans' TLS, loopback, the console's WebSockets with and without TLS), does not knock van2 offline"

# van1's own daemon still works with the forced client id
start_van van1 "$TRACK"
WAIT_S=20 wait_for grep -q '^vanctld/van1/availability online' "$WORK/avail.txt" || fail "van1 not online with the forced client id"
bpub "$OP_USER" "$OP_PASS" -t vanctld/van1/cmd/status -m '{"v":1,"unit":"van1","id":"c1"}'
WAIT_S=5 wait_for grep -q 'base: command .status. done' "$WORK/van1.log" || fail "van1 does not get commands with the forced client id"
pass "a van still connects and gets commands with its user name as client id"
