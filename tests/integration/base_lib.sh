# tests/integration/base_lib.sh - helpers for the base console tests, on top
# of lib.sh (source lib.sh first, then this, then call it_setup).
#
# The broker is the example base broker (config/mosquitto/base-broker.conf)
# with its ports and paths moved into the test's work directory: TLS for the
# vans and the console (a throw-away self-signed certificate), passwords,
# the real ACL file (config/mosquitto/acl), and the console served by
# mosquitto itself (http_dir).  Several vans, each with its own gpsd, database
# and control socket.

BASE_DIR="$VAN_SOURCE_DIR/base"
VAN_PASS=vanpass
OP_USER=op-sam
OP_PASS=oppass

# base_need: fail early, with the fix, when a tool is missing
base_need() {
	local t
	for t in mosquitto mosquitto_pub mosquitto_passwd gpsfake openssl node python3; do
		command -v "$t" >/dev/null || fail "$t is missing: run scripts/install-base-deps.sh and scripts/install-deps.sh"
	done
	[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing: run scripts/install-base-deps.sh"
	[ -d "$BASE_DIR/node_modules/playwright-core" ] && [ -d "$BASE_DIR/node_modules/mqtt" ] \
		|| fail "base/node_modules is missing: run scripts/install-base-deps.sh (npm ci in base/)"
}

# base_build: the console as installed, in $WORK/www
base_build() {
	node "$BASE_DIR/build.mjs" --out "$WORK/www" > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; fail "console build"; }
}

# base_tls: a self-signed certificate for 127.0.0.1 (also the vans' CA file)
base_tls() {
	mkdir -p "$WORK/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$WORK/tls/base.key" -out "$WORK/tls/base.crt" > "$WORK/openssl.log" 2>&1 \
		|| { cat "$WORK/openssl.log" >&2; fail "openssl could not make a certificate"; }
}

# base_user NAME PASSWORD: add to the broker's password file
base_user() {
	if [ -f "$WORK/passwd" ]; then
		mosquitto_passwd -b "$WORK/passwd" "$1" "$2" || fail "mosquitto_passwd"
	else
		mosquitto_passwd -c -b "$WORK/passwd" "$1" "$2" || fail "mosquitto_passwd"
	fi
}

# start_base_broker: sets MQTTS_PORT (vans, TLS), WSS_PORT (console, TLS),
# WS_PORT (console files and MQTT over WebSockets, no TLS), MQTT_PORT
# (loopback, no TLS, passwords), BROKER_PID
start_base_broker() {
	MQTTS_PORT=$(free_port)
	WSS_PORT=$(free_port)
	WS_PORT=$(free_port)
	MQTT_PORT=$(free_port)
	BROKER_PORT=$MQTT_PORT
	local src="$VAN_SOURCE_DIR/config/mosquitto/base-broker.conf"
	sed -e "s|^listener 8883\$|listener $MQTTS_PORT 127.0.0.1|" \
	    -e "s|^listener 8884\$|listener $WSS_PORT 127.0.0.1|" \
	    -e "s|^listener 1883 127.0.0.1\$|listener $MQTT_PORT 127.0.0.1|" \
	    -e "s|^listener 8080 127.0.0.1\$|listener $WS_PORT 127.0.0.1|" \
	    -e "s|/etc/mosquitto/vanctld.passwd|$WORK/passwd|" \
	    -e "s|/etc/mosquitto/vanctld.acl|$VAN_SOURCE_DIR/config/mosquitto/acl|" \
	    -e "s|/usr/local/share/vanctld-base|$WORK/www|" \
	    -e "s|/etc/mosquitto/certs/|$WORK/tls/|" \
	    -e "s|^persistence true|persistence false|" \
	    -e "s|^persistence_location .*||" \
	    "$src" > "$WORK/broker.conf"
	local p
	for p in "$MQTTS_PORT" "$WSS_PORT" "$WS_PORT" "$MQTT_PORT"; do
		grep -q "^listener $p" "$WORK/broker.conf" \
			|| fail "config/mosquitto/base-broker.conf no longer has the listeners this test moves (8883, 8884, 8080, 1883)"
	done
	# as root, mosquitto would switch to user "mosquitto", who cannot read $WORK
	{ echo "user root"; echo "log_dest stdout"; echo "log_type error"; echo "log_type warning";
	  echo "log_type notice"; echo "log_type information"; cat "$WORK/broker.conf"; } > "$WORK/broker.conf.new"
	mv "$WORK/broker.conf.new" "$WORK/broker.conf"
	mosquitto -c "$WORK/broker.conf" >> "$WORK/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
	wait_for port_open "$WSS_PORT" || fail "mosquitto did not start (websockets on $WSS_PORT)"
	wait_for port_open "$MQTTS_PORT" || fail "mosquitto did not start (MQTT TLS on $MQTTS_PORT)"
	wait_for port_open "$WS_PORT" || fail "mosquitto did not start (websockets on $WS_PORT)"
}

# bpub USER PASS ARGS...: mosquitto_pub on the loopback listener
bpub() {
	local u=$1 p=$2
	shift 2
	mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -u "$u" -P "$p" -q 1 "$@"
}

# start_van UNIT NMEA [EXTRA INI LINES...]: gpsd + vanctld for one van (its
# broker user, password $VAN_PASS, must be in the password file already).
# Sets VAN_PID_<UNIT>; files $WORK/<unit>.{conf,db,sock,log}
start_van() {
	local unit=$1 nmea=$2
	shift 2
	start_gps "$nmea" "" 0.1
	printf '%s\n' "$VAN_PASS" > "$WORK/$unit.pass"
	cat > "$WORK/$unit.conf" <<CONF
[unit]
id = $unit
name = Van ${unit#van}

[gps]
host = 127.0.0.1
port = $GPSD_PORT
stale_after = 3

[mqtt]
host = 127.0.0.1
port = $MQTTS_PORT
prefix = vanctld
username = $unit
password_file = $WORK/$unit.pass
tls_ca_file = $WORK/tls/base.crt
reconnect_max = 2
location_interval = 1
state_interval = 5

[storage]
db = $WORK/$unit.db

[control]
socket = $WORK/$unit.sock

[track]
flush_interval = 1
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >> "$WORK/$unit.conf"
	sleep 0.3
	"$VANCTLD" -c "$WORK/$unit.conf" -v >> "$WORK/$unit.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	printf -v "VAN_PID_$unit" '%s' "$pid"
}

# ctl_van UNIT JSON: one request on that van's control socket
ctl_van() { ctl "$2" "$WORK/$1.sock"; }

# nmea_from FILE LINE OUT: the log from line LINE on (a van somewhere else on the route)
nmea_from() {
	{ grep '^#' "$1"; tail -n "+$2" "$1" | grep -v '^#'; } > "$3"
}
