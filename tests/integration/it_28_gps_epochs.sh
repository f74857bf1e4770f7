#!/usr/bin/env bash
# it_28: the route as real receivers and gpsd give it (issue 19), on real
# gpsd fed by gpsfake, next to gpsd's own minimal logger (gpxlogger) on the
# same run.  Tracks from tools/make-track.py --pattern, at 1 Hz and 10 Hz:
#   - every epoch begins with GLL (gpsd's first report of an epoch has no
#     speed or course), the first epoch with GGA before any date is known
#     (gpsd's first report has no time), and one epoch dated a day ahead;
# each replayed at two speeds (gpsfake -c).  Checked:
#   A. vanctld judges each fix time once, on its complete report: every
#      stored point has its speed; the first fix is stored once;
#   B. the day-ahead epoch is rejected alone ("reject-time-ahead"), no good
#      fix after it is lost, and no stored time goes backwards;
#   C. every fix gpxlogger keeps is judged by vanctld, and each one vanctld
#      does not store has a stated reason (its per-epoch log line); the
#      number of stored points is the number kept;
#   D. the stored route (positions, speeds, courses) is the same at both
#      replay speeds;
#   E. the same comparison with gpxlogger on the demo evening with junk.
# Times: VANCTLD_CLOCK=gps (the track's own times are the truth) and tracks
# made for "now": nothing depends on today's date.
. "$(dirname "$0")/lib.sh"
it_setup
command -v gpxlogger >/dev/null || fail "no gpxlogger (scripts/install-deps.sh: gpsd-clients)"
export VANCTLD_CLOCK=gps

LEAD_S=6 # seconds of $GPTXT before the first fix: vanctld (retrying) and gpxlogger connect

# make RATE: the patterned track, cut to its first minutes at 10 Hz
make() {
	local r=$1 f="$WORK/t$1"
	python3 "$VAN_SOURCE_DIR/tools/make-track.py" --quick --rate "$r" --start now -o "$f.full" \
		--stops-json "$f.json" --pattern gll-first --pattern first-untimed --pattern day-ahead \
		2> /dev/null || fail "track at $r Hz"
	# --quick is 7 minutes; at 10 Hz keep 150 s (the day-ahead epoch is at ~145 s)
	if [ "$r" = 10 ]; then
		python3 - "$f.full" "$f.json" <<'PY' || fail "cut"
import json, sys
d = json.load(open(sys.argv[2])); k = d["patterns"]["day-ahead"]["epoch"]
lines, n = [], -1
for l in open(sys.argv[1], newline=""):
    if l.startswith("$GPGLL") or (l.startswith("$GPGGA") and n < 0):
        n += 1
    if n > k + 100:
        break
    lines.append(l)
open(sys.argv[1], "w", newline="").write("".join(lines))
PY
	fi
}

# run NAME TRACK CYCLE: gpsd + gpsfake at CYCLE s per sentence, vanctld and
# gpxlogger on it; vanctld's route in NAME.db, its log NAME.log, gpxlogger's NAME.gpx
run() {
	local name=$1 track=$2 cycle=$3 lead
	lead=$(python3 -c "print(int($LEAD_S / $cycle))")
	python3 - "$track" "$WORK/$name.nmea" "$lead" <<'PY'
import sys
body = "GPTXT,01,01,02,WAITING"
ck = 0
for ch in body: ck ^= ord(ch)
pad = ("$%s*%02X\r\n" % (body, ck)).encode() * int(sys.argv[3])
open(sys.argv[2], "wb").write(pad + open(sys.argv[1], "rb").read())
PY
	GPSD_PORT=$(free_port)
	rm -f "$WORK/van.db"*
	write_conf "$WORK/$name.conf" "[track]" "min_period = 0" "min_distance = 0" "min_heading = 0" \
		"stationary_period = 1" "[mqtt]" "enabled = false"
	sed -i "s|^db = .*|db = $WORK/$name.db|" "$WORK/$name.conf"
	: > "$WORK/vanctld.log"
	start_vanctld "$WORK/$name.conf"  # before gpsd: it connects while the lead is fed
	start_gps "$WORK/$name.nmea" "$GPSD_PORT" "$cycle"
	gpxlogger -e sockets -i 30 -f "$WORK/$name.gpx" "127.0.0.1:$GPSD_PORT" 2>> "$WORK/gpxlogger.log" &
	local gpx=$!
	PIDS+=("$gpx")
	WAIT_S=20 wait_for grep -q "gps: connected to gpsd" "$WORK/vanctld.log" || fail "$name: vanctld did not connect"
	WAIT_S=300 wait_for bash -c "! kill -0 $GPSFAKE_PGID" || fail "$name: gpsfake did not finish"
	sleep 0.5
	kill -INT "$gpx" 2>/dev/null
	wait "$gpx" 2>/dev/null
	stop_vanctld TERM || fail "$name: vanctld exit status $?"
	cp "$WORK/vanctld.log" "$WORK/$name.log"
	grep -q "gps: route filter: " "$WORK/$name.log" || fail "$name: no route filter summary"
}

# check NAME TRACK_JSON [REASON...]: A, B, C on one run; REASONs: other
# verdicts allowed for fixes not stored (the garbage track's)
check() {
	python3 - "$WORK/$1.db" "$WORK/$1.log" "$WORK/$1.gpx" "$2" "${@:3}" <<'PY'
import json, re, sqlite3, sys, xml.etree.ElementTree as ET
db, logf, gpxf, tj = sys.argv[1:5]
d = json.load(open(tj)) if tj != "none" else {"patterns": {}}
ahead = d["patterns"].get("day-ahead", {}).get("time")
first = d["patterns"].get("first-untimed", {}).get("time")
# vanctld: one line per judged epoch
judged = {}
repeats = []
untimed = 0
for l in open(logf):
    m = re.search(r"gps: fix (\S+) mode (\d) (\S+),(\S+) speed (\S+): (\S+)$", l)
    if not m:
        continue
    t, v = m.group(1), m.group(6)
    if t == "-":
        untimed += m.group(2) != "1"   # a fix without time (no-fix reports have none)
        continue
    if t in judged and v in ("reject-stale", "reject-duplicate"):
        repeats.append(v)   # a stale sentence: an old fix time again
        continue
    assert t not in judged, ("fix time judged twice", t, judged[t], v)
    judged[t] = v
kept = [t for t, v in judged.items() if v.startswith("keep-")]
# gpxlogger: every trkpt
ns = {"g": "http://www.topografix.com/GPX/1/1"}
txt = open(gpxf).read()
if "</gpx>" not in txt:
    txt += "</trkseg></trk></gpx>"
root = ET.fromstring(txt)
gx = [p.find("g:time", ns).text for p in root.iter("{%s}trkpt" % ns["g"])]
norm = lambda t: t.replace("Z", "")[:19]       # gpxlogger: whole seconds or ms
jn = {}
for t, v in judged.items():
    jn.setdefault(norm(t) if len(gx) and len(gx[0]) <= 20 else t.replace("Z", ""), []).append(v)
assert len(gx) > 100, ("gpxlogger kept", len(gx))
# C: gpxlogger's fixes are all judged; those not kept have a reason
missing = [t for t in gx if (norm(t) if len(t) <= 20 else t.replace("Z", "")) not in jn]
assert not missing, ("fixes gpxlogger kept that vanctld never judged", len(missing), missing[:5])
reasons = {}
for t, v in judged.items():
    if not v.startswith("keep-"):
        reasons[v] = reasons.get(v, 0) + 1
allowed = {"drop-period", "reject-time-ahead", "reject-nofix"} | set(sys.argv[5:])
assert set(reasons) <= allowed, ("unexpected rejections", reasons)
if ahead:
    # B: the day-ahead epoch alone is rejected, as time ahead
    assert judged.get(ahead) == "reject-time-ahead", ("day-ahead epoch", ahead, judged.get(ahead))
    assert reasons.get("reject-time-ahead") == 1, reasons
    assert "reject-stale" not in reasons and "reject-duplicate" not in reasons, reasons
# the database: one point per kept epoch, every one with a speed
con = sqlite3.connect(db)
pts = con.execute("select utc_ms, lat, lon, speed, track from route_points order by id").fetchall()
assert len(pts) == len(kept), ("points stored", len(pts), "epochs kept", len(kept))
nospeed = sum(1 for p in pts if p[3] is None)
assert nospeed == 0, ("points without speed (an incomplete report kept)", nospeed)
# A: the first fix once: the first epoch is judged once, with its time
if first:
    assert judged.get(first, "").startswith("keep-first"), ("first epoch", first, judged.get(first))
assert untimed == 0, ("untimed fixes judged on their own", untimed)
assert (pts[0][1], pts[0][2]) != (pts[1][1], pts[1][2]) or abs(pts[1][0] - pts[0][0]) >= 900, \
    ("the first fix stored twice", pts[:2])
# B: stored times never go backwards, no step of a day (vanctld's own stamps)
ts = [p[0] for p in pts]
back = [i for i in range(1, len(ts)) if ts[i] < ts[i - 1]]
assert not back, ("route point times go backwards at", back[:5])
assert max(ts) - min(ts) < 3600 * 1000, ("a point stamped with the day-ahead time", min(ts), max(ts))
ev = con.execute("select utc_ms from events order by id").fetchall()
assert all(ev[i][0] >= ev[i - 1][0] for i in range(1, len(ev))), "event times go backwards"
for r in repeats:
    reasons[r] = reasons.get(r, 0) + 1
assert set(reasons) <= allowed, ("unexpected rejections", reasons)
print("gpxlogger %d fixes; vanctld judged %d epochs, stored %d, not stored: %s" %
      (len(gx), len(judged) + len(repeats), len(pts), reasons))
PY
}

route() { sqlite3 "$WORK/$1.db" "select printf('%.7f %.7f %.2f %.1f', lat, lon, speed, track) from route_points order by id"; }

for rate in 1 10; do
	make "$rate"
	if [ "$rate" = 1 ]; then cycles="0.004 0.012"; else cycles="0.002 0.006"; fi
	for c in $cycles; do
		note "$rate Hz, gpsfake -c $c"
		run "r${rate}_$c" "$WORK/t$rate.full" "$c"
		out=$(check "r${rate}_$c" "$WORK/t$rate.json") || fail "$rate Hz at -c $c: $out"
		pass "$rate Hz at -c $c: $out"
	done
	set -- $cycles
	route "r${rate}_$1" > "$WORK/route_a"
	route "r${rate}_$2" > "$WORK/route_b"
	cmp -s "$WORK/route_a" "$WORK/route_b" ||
		fail "$rate Hz: the stored route differs between -c $1 and -c $2: $(diff "$WORK/route_a" "$WORK/route_b" | head -5)"
	pass "$rate Hz: the same $(wc -l < "$WORK/route_a") points at both replay speeds"
done

# E. the demo evening with realistic junk (tools/make-track.py --garbage):
# stale RMC sentences make gpsd send fixes whose time goes backwards and two
# reports per epoch; gpxlogger keeps the backward ones, vanctld says why not
# (and the first fix after the cold start, whose error gpsd puts at 1.9 km,
# is rejected for accuracy)
note "the garbage evening, gpsfake -c 0.004"
run garbage "$VAN_SOURCE_DIR/config/demo/evening-garbage.nmea" 0.004
out=$(check garbage none reject-stale reject-accuracy) || fail "garbage: $out"
grep -q "reject-stale" <<< "$out" || fail "garbage: no stale fix seen (the junk did not reach gpsd?): $out"
pass "garbage: $out"
