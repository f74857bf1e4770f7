#!/usr/bin/env bash
# it_61: the base console at the edges of "where is the van?" (issue 17,
# section 4), in headless Chromium at desktop (1280x800) and phone (390x844)
# widths at once: the position in words on the card and in the alarm (plain
# coordinates, the nearest planned location with distance), the map bringing
# an emergency van into view, "Show on map" keeping ACKNOWLEDGE on screen, the
# first raise's timing chain with the repeats as a count, the repeats folded
# into one line of the events list, an offline van's own style, the header
# clock not clipped, and map tiles from a folder next to the page (the
# worked example of docs/base.md).  One real vanctld (van1, gpsfake, the demo
# plan, emergency repeats every 5 s); van3 and van4 are retained states.
# The browser steps are in base/e2e/edges.mjs; screenshots stay in the work
# directory (path printed at the end).
#
# Needs: scripts/install-base-deps.sh (chromium, node, npm ci in base/).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/base_lib.sh"
export TMPDIR="${TMPDIR:-/tmp}/vanctld-it61"
mkdir -p "$TMPDIR"
it_setup
base_need

it61_cleanup() {
	local rc=$1 keep_all=${VAN_KEEP:-0}
	[ "$rc" = 0 ] || keep_all=1
	VAN_KEEP=1 it_cleanup
	if [ "$keep_all" != 1 ] && [ -d "$WORK" ]; then
		find "$WORK" -mindepth 1 -maxdepth 1 ! -name shots ! -name e2e.log -exec rm -rf {} +
	fi
	echo "screenshots: $WORK/shots"
}
trap 'it61_cleanup $?' EXIT

TRACK="$VAN_SOURCE_DIR/config/demo/evening.nmea"
base_build
base_tls
for u in van1 van3 van4; do base_user "$u" "$VAN_PASS"; done
base_user "$OP_USER" "$OP_PASS"

# docs/base.md "Map tiles", worked example: a folder of XYZ tiles next to the
# page, served by mosquitto's http_dir with it (tiles: 'tiles/{z}/{x}/{y}.png').
# The test's tiles are one plain PNG, hard-linked over the demo area.
python3 - "$WORK/www/tiles" <<'PY' || fail "making the test's map tiles"
import math, os, struct, sys, zlib
out = sys.argv[1]
def png(w, h, rows):
    raw = b''.join(b'\x00' + bytes(r) for r in rows)
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))
rows = []
for y in range(256):
    r = []
    for x in range(256):
        edge = x < 2 or y < 2
        r += [70, 90, 110] if edge else [38, 52, 64]
    rows.append(r)
data = png(256, 256, rows)
os.makedirs(out, exist_ok=True)
first = os.path.join(out, 'tile.png')
open(first, 'wb').write(data)
def tile(lat, lon, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
n = 0
for z in range(12, 18):
    x0, y0 = tile(53.83, -1.60, z)
    x1, y1 = tile(53.77, -1.49, z)
    for x in range(x0 - 1, x1 + 2):
        for y in range(y0 - 1, y1 + 2):
            d = os.path.join(out, str(z), str(x))
            os.makedirs(d, exist_ok=True)
            os.link(first, os.path.join(d, f'{y}.png'))
            n += 1
print(f'{n} tiles')
PY

start_base_broker
pass "broker from config/mosquitto/base-broker.conf: wss $WSS_PORT, ws $WS_PORT, mqtt $MQTT_PORT"
curl -sf "http://127.0.0.1:$WS_PORT/tiles/tile.png" -o /dev/null || fail "mosquitto does not serve the tiles folder"

# van1: the demo plan (config/demo/plans/evening.json), emergencies repeated
# every 5 s (the shortest alarm.repeat) so a few minutes of repeats take seconds
start_van van1 "$TRACK" "[session]" "plans_dir = $VAN_SOURCE_DIR/config/demo/plans" "[alarm]" "repeat = 5"
VAN1_PID=$VAN_PID_van1
WAIT_S=30 wait_for ctl_van van1 '{"cmd":"status"}' || fail "van1 control socket"

# van3: offline during a session (its last will); van4: a check-in overdue
# (an alert of level alarm) and over the occupancy limit (a minor alert)
now=$(date +%s%3N)
python3 - "$now" "$WORK" <<'PY'
import json, sys
now, work = int(sys.argv[1]), sys.argv[2]
def st(unit, name, lat, lon, **kw):
    s = {"v": 1, "unit": unit, "name": name, "utc": now - 60000, "utc_src": "system",
         "session": {"state": "active", "id": now - 3600000, "crew": 2, "lone": False, "plan": None,
                     "started_utc": now - 3600000, "planned_end_utc": now + 3600000,
                     "checkin": {"stage": "waiting", "reason": "normal", "interval_min": 60,
                                 "due_utc": now + 1800000, "due_in_s": 1800, "overdue": False,
                                 "escalated": False, "requested": False}},
         "occupancy": {"occupancy": 2, "limit": 6, "full": False, "over": False}, "emergency": None, "plan": None,
         "gps": {"link": "up", "fix": "3d", "lat": lat, "lon": lon, "age_s": 2},
         "link": {"base": "online", "backlog": 0, "oldest_s": None}}
    for k, v in kw.items():
        s[k].update(v)
    return s
open(f"{work}/van3.json", "w").write(json.dumps(st("van3", "Van 3", 53.8031, -1.5412)))
open(f"{work}/van4.json", "w").write(json.dumps(st("van4", "Van 4", 53.7985, -1.5402,
    session={"checkin": {"stage": "waiting", "reason": "normal", "interval_min": 60, "due_utc": now - 600000,
                         "due_in_s": 0, "overdue": False, "escalated": False, "requested": False}},
    occupancy={"occupancy": 7, "limit": 6, "full": True, "over": True})))
PY
bpub van3 "$VAN_PASS" -r -t vanctld/van3/availability -m offline || fail "publish van3 availability"
bpub van3 "$VAN_PASS" -r -t vanctld/van3/state -f "$WORK/van3.json" || fail "publish van3 state"
bpub van4 "$VAN_PASS" -r -t vanctld/van4/availability -m online || fail "publish van4 availability"
bpub van4 "$VAN_PASS" -r -t vanctld/van4/state -f "$WORK/van4.json" || fail "publish van4 state"

SHOTS="$WORK/shots"
cd "$VAN_SOURCE_DIR/base" || fail "no base/"
WORK="$WORK" SHOTS="$SHOTS" WS_PORT="$WS_PORT" WSS_PORT="$WSS_PORT" MQTT_PORT="$MQTT_PORT" \
	OP_USER="$OP_USER" OP_PASS="$OP_PASS" VAN_PASS="$VAN_PASS" E2E_KEEP_GOING="${E2E_KEEP_GOING:-0}" \
	timeout 240 node e2e/edges.mjs 2>&1 | tee "$WORK/e2e.log"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "browser steps (exit $rc); screenshots in $SHOTS"
cd "$WORK" || true

kill -0 "$VAN1_PID" 2>/dev/null || fail "van1's vanctld died"
pass "base console edges: all browser steps passed at both widths"
