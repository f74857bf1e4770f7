#!/usr/bin/env bash
# it_60: the base console (base/) in headless Chromium against the example
# base broker (config/mosquitto/base-broker.conf + acl: TLS, passwords, ACL,
# the console served by mosquitto's http_dir) fed by two real vanctld
# instances (gpsd via gpsfake).  The browser steps are in base/e2e/console.mjs;
# their screenshots stay in the work directory (path printed at the end).
#
# Needs: scripts/install-base-deps.sh (chromium, node, npm ci in base/).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/base_lib.sh"
# a folder of its own: the kept screenshot folders are not swept up with
# other tests' leftover /tmp/vanit.* (seen happen on a shared machine)
export TMPDIR="${TMPDIR:-/tmp}/vanctld-it60"
mkdir -p "$TMPDIR"
it_setup
base_need

# The screenshots are the test's artifacts: the work directory is kept.
# After a pass only shots/ and e2e.log stay (VAN_KEEP=1 keeps everything).
it60_cleanup() {
	local rc=$1 keep_all=${VAN_KEEP:-0}
	[ "$rc" = 0 ] || keep_all=1
	VAN_KEEP=1 it_cleanup
	if [ "$keep_all" != 1 ] && [ -d "$WORK" ]; then
		find "$WORK" -mindepth 1 -maxdepth 1 ! -name shots ! -name e2e.log -exec rm -rf {} +
	fi
	echo "screenshots: $WORK/shots"
}
trap 'it60_cleanup $?' EXIT

TRACK="$VAN_SOURCE_DIR/config/demo/evening.nmea"
base_build
base_tls
for u in van1 van2 van3 van4 van9; do base_user "$u" "$VAN_PASS"; done
base_user "$OP_USER" "$OP_PASS"
start_base_broker
pass "broker from config/mosquitto/base-broker.conf: mqtts $MQTTS_PORT, wss $WSS_PORT, ws $WS_PORT, mqtt $MQTT_PORT"

# the page is served by mosquitto (http_dir on the websockets listener)
curl -sf "http://127.0.0.1:$WS_PORT/index.html" | grep -q 'base console' || fail "mosquitto does not serve the console"
curl -sf "http://127.0.0.1:$WS_PORT/vendor/mqtt.min.js" > /dev/null || fail "mosquitto does not serve vendor/mqtt.min.js"
# over TLS, HTTP/1.1 works; HTTP/2 (offered by some libwebsockets builds) may not: docs/base.md
curl -skf --http1.1 "https://127.0.0.1:$WSS_PORT/index.html" | grep -q 'base console' || fail "https (HTTP/1.1) does not serve the console"
if ! curl -skf --http2 "https://127.0.0.1:$WSS_PORT/index.html" > /dev/null 2>&1; then
	note "this mosquitto/libwebsockets fails HTTP/2 over TLS for http_dir (see docs/base.md, Serving the page)"
fi
pass "console files served by mosquitto"

start_van van1 "$TRACK"
VAN1_PID=$VAN_PID_van1
nmea_from "$TRACK" 2500 "$WORK/evening-late.nmea" # van2 elsewhere on the route
start_van van2 "$WORK/evening-late.nmea"
VAN2_PID=$VAN_PID_van2
WAIT_S=30 wait_for ctl_van van1 '{"cmd":"status"}' || fail "van1 control socket"
WAIT_S=30 wait_for ctl_van van2 '{"cmd":"status"}' || fail "van2 control socket"
ctl_van van1 '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || fail "van1 session_start"
ctl_van van2 '{"cmd":"session_start","crew":1,"lone":true}' | grep -q '"ok":true' || fail "van2 session_start"
pass "van1 and van2 running, sessions started"

# van4: a retained state from before the console starts, check-in and planned
# end both past due on base's clock
now=$(date +%s%3N)
python3 - "$now" > "$WORK/van4.json" <<'PY'
import json, sys, datetime
now = int(sys.argv[1])
iso = lambda ms: datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'
t = now - 11 * 60000
print(json.dumps({"v": 1, "unit": "van4", "name": "Van 4", "utc": t, "utc_src": "system", "time": iso(t),
  "session": {"state": "active", "id": now - 4 * 3600000, "crew": 2, "lone": False, "plan": None,
    "started_utc": now - 4 * 3600000, "planned_end_utc": now - 5 * 60000,
    "checkin": {"stage": "waiting", "reason": "normal", "interval_min": 60, "due_utc": now - 10 * 60000,
      "due_in_s": 60, "overdue": False, "escalated": False, "requested": False}},
  "occupancy": {"occupancy": 3, "limit": 6, "full": False, "over": False}, "emergency": None,
  "gps": {"link": "up", "fix": "3d", "lat": 53.7985, "lon": -1.5402, "age_s": 2},
  "link": {"base": "online", "backlog": 0, "oldest_s": None}}))
PY
bpub van4 "$VAN_PASS" -r -t vanctld/van4/availability -m online || fail "publish van4 availability"
bpub van4 "$VAN_PASS" -r -t vanctld/van4/state -f "$WORK/van4.json" || fail "publish van4 state"

SHOTS="$WORK/shots"
cd "$VAN_SOURCE_DIR/base" || fail "no base/"
WORK="$WORK" SHOTS="$SHOTS" WS_PORT="$WS_PORT" WSS_PORT="$WSS_PORT" MQTT_PORT="$MQTT_PORT" \
	OP_USER="$OP_USER" OP_PASS="$OP_PASS" VAN_PASS="$VAN_PASS" VAN2_PID="$VAN2_PID" \
	timeout 240 node e2e/console.mjs 2>&1 | tee "$WORK/e2e.log"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "browser steps (exit $rc); screenshots in $SHOTS"
cd "$WORK" || true

# van1 survived it all and still runs
kill -0 "$VAN1_PID" 2>/dev/null || fail "van1's vanctld died"
grep -q "base: command 'ack' done" "$WORK/van1.log" || fail "van1 never logged the acknowledgement"
pass "base console: all browser steps passed"
