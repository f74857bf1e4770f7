#!/usr/bin/env bash
# it_62: the base console with vanbase, every part real: the example base
# broker (config/mosquitto/base-broker.conf + acl: TLS, passwords, the
# shipped WebSockets listeners, the console served by http_dir), a real
# vanctld as van1, a van4 that left a retained past-due state, and a real
# vanbase (its pager a command hook), hung with SIGSTOP (the heartbeat).  The browser steps are in
# base/e2e/vanbase.mjs, which starts and stops vanbase itself (the banner
# while it is down); their screenshots stay in the work directory.
#
# Needs: scripts/install-base-deps.sh (chromium, node, npm ci in base/), a
# build with vanbase.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/base_lib.sh"
export TMPDIR="${TMPDIR:-/tmp}/vanctld-it62"
mkdir -p "$TMPDIR"
it_setup
base_need
VANBASE="$VAN_BINARY_DIR/vanbase/vanbase"
[ -x "$VANBASE" ] || fail "no vanbase at $VANBASE (build first)"
command -v python3 >/dev/null || fail "python3 is missing"

it62_cleanup() {
	local rc=$1 keep_all=${VAN_KEEP:-0}
	[ "$rc" = 0 ] || keep_all=1
	# vanbase is the browser script's child, but stop it here whatever happened
	if [ -f "$WORK/vanbase.pid" ]; then
		local p
		p=$(cat "$WORK/vanbase.pid")
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null && sleep 0.3 && kill -KILL "$p" 2>/dev/null
	fi
	VAN_KEEP=1 it_cleanup
	if [ "$keep_all" != 1 ] && [ -d "$WORK" ]; then
		find "$WORK" -mindepth 1 -maxdepth 1 ! -name shots ! -name e2e.log ! -name vanbase.log -exec rm -rf {} +
	fi
	echo "screenshots: $WORK/shots"
}
trap 'it62_cleanup $?' EXIT

TRACK="$VAN_SOURCE_DIR/config/demo/evening.nmea"
base_build
base_tls
for u in van1 van4; do base_user "$u" "$VAN_PASS"; done
base_user "$OP_USER" "$OP_PASS"
base_user vanbase vbpass
start_base_broker
pass "broker from config/mosquitto/base-broker.conf: mqtts $MQTTS_PORT, wss $WSS_PORT, ws $WS_PORT, mqtt $MQTT_PORT"

# vanbase: the loopback listener with its own login (the acl's `user vanbase`)
printf 'vbpass\n' > "$WORK/vanbase.pass"
cat > "$WORK/pager.sh" <<'PAGER'
#!/bin/sh
# the SMS modem's stand-in: one JSON line per notification
cat >> "$(dirname "$0")/pager.jsonl"; echo >> "$(dirname "$0")/pager.jsonl"
PAGER
chmod 0755 "$WORK/pager.sh"
cat > "$WORK/vanbase.conf" <<CONF
[base]
name = Test base
[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
username = vanbase
password_file = $WORK/vanbase.pass
client_id = vanctld-vanbase
reconnect_max = 2
# the alarm list every 2 s: a SIGSTOPped vanbase is "not responding" after 6 s
heartbeat = 2
[storage]
db = $WORK/vanbase.db
[control]
socket = $WORK/vanbase.sock
[fleet]
van1 = Van one
van4 = Van four
[console]
url = http://127.0.0.1:$WS_PORT/
[rules]
due_grace = 2
settle = 1
silent_after = 3600

[channel.sms]
kind = command
command = $WORK/pager.sh {to}

[contact.sam]
sms = +447700900101

[rota]
on_call = sam always

[chain.emergency]
step = 0s on_call
repeat = 10m
[chain.overdue]
step = 0s on_call
[chain.checkin]
step = 0s on_call
[chain.offline]
step = 0s on_call
CONF
"$VANBASE" -c "$WORK/vanbase.conf" --check-config > "$WORK/check.log" 2>&1 || { cat "$WORK/check.log"; fail "vanbase refused its config"; }
pass "vanbase's config accepted"

start_van van1 "$TRACK"
VAN1_PID=$VAN_PID_van1
WAIT_S=30 wait_for ctl_van van1 '{"cmd":"status"}' || fail "van1 control socket"
ctl_van van1 '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || fail "van1 session_start"
pass "van1 running, session started"

# van4: a retained state from before anything at base started, planned end
# and check-in both past due on base's clock
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
	OP_USER="$OP_USER" OP_PASS="$OP_PASS" VAN_PASS="$VAN_PASS" VANBASE="$VANBASE" \
	VANBASE_CONF="$WORK/vanbase.conf" VANBASE_HEARTBEAT=2 \
	timeout 240 node e2e/vanbase.mjs 2>&1 | tee "$WORK/e2e.log"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "browser steps (exit $rc); screenshots in $SHOTS"
cd "$WORK" || true

kill -0 "$VAN1_PID" 2>/dev/null || fail "van1's vanctld died"
grep -q "base: command 'ack' done" "$WORK/van1.log" || fail "van1 never logged the console's acknowledgement"
pass "base console with vanbase: all browser steps passed"
