#!/usr/bin/env bash
# it_23: the README's demo.  (1) The short evening's story (make-track.py
# --quick + tools/demo-story.py) played through the daemon in virtual time:
# every step a newcomer is promised happens, at the plan's own places and in
# its time windows, and the manager's report of it has the route.  (2)
# scripts/demo.sh itself for a bounded time, with the programs of this build:
# broker, gpsd, daemon, the base console served by the broker, the story told.
. "$(dirname "$0")/lib.sh"
it_setup

# --- 1. the story, in virtual time --------------------------------------------
python3 "$VAN_SOURCE_DIR/tools/make-track.py" --quick --start now --park 60 -o "$WORK/evening.nmea" \
	--stops-json "$WORK/evening.stops.json" 2> /dev/null || fail "make-track --quick"
TZ=Europe/London python3 "$VAN_SOURCE_DIR/tools/demo-story.py" make "$WORK/evening.stops.json" "$WORK" ||
	fail "demo-story make"
sed -e "s|^plans_dir = .*|plans_dir = $WORK/plans|" -e "s|^sim_script = .*|sim_script = $WORK/inputs.sim|" \
	"$VAN_SOURCE_DIR/config/demo/demo.conf" > "$WORK/demo.conf"
python3 - "$WORK/demo.conf" "$WORK" <<'PY'
import sys
p, w = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("[gps]\n", f"[gps]\nreplay_file = {w}/evening.nmea\nreplay_exit = 30s\n", 1)
s = s.replace("[mqtt]\n", "[mqtt]\nenabled = false\n", 1)
open(p, "w").write(s)
PY
"$VANCTLD" --check-config -c "$WORK/demo.conf" > /dev/null || fail "the demo's config: $("$VANCTLD" --check-config -c "$WORK/demo.conf" 2>&1)"
# the track is dated now and the daemon's clock is pinned to it (docs/time.md)
VANCTLD_CLOCK=gps TZ=Europe/London timeout 120 "$VANCTLD" -c "$WORK/demo.conf" --virtual-time \
	--db "$WORK/van.db" --socket "$WORK/control.sock" > "$WORK/vanctld.log" 2>&1 || fail "vanctld exit status $?"
python3 - "$WORK/van.db" <<'PY' || fail "the demo's story did not happen as told"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda sql: db.execute(sql).fetchall()
ses = q("select id, started_utc_ms, ended_utc_ms, summary from sessions")
assert len(ses) == 1 and ses[0][2], ("one session, ended", ses)
sid, t0, t1, summary = ses[0]
s = json.loads(summary)
assert s["entries"] == 9 and s["peak_occupancy"] == 7, ("entries, peak", s)
assert t1 - t0 < 8 * 60e3, ("a few minutes", (t1 - t0) / 60e3)
types = [t for (t,) in q(f"select type from events where session_id = {sid} order by seq")]
for want in ("session.started", "plan.started", "occupancy.over_limit", "plan.checkin_prompt",
             "checkin", "emergency.raised", "emergency.cleared", "plan.returned", "session.ended"):
    assert want in types, ("missing", want, types)
order = [types.index(t) for t in ("occupancy.over_limit", "checkin", "emergency.raised",
                                  "emergency.cleared", "session.ended")]
assert order == sorted(order), ("story order", types)
arr = {json.loads(d).get("location"): json.loads(d) for (d,) in
       q(f"select data from events where session_id = {sid} and type = 'plan.arrived'")}
assert set(arr) >= {"Q1", "Q2"}, ("planned stops reached", arr)
late = [k for k, v in arr.items() if v.get("timing") != "on_time"]
assert not late, ("arrivals outside the plan's windows", arr)
pts = q(f"select count(*) from route_points where session_id = {sid}")[0][0]
assert pts > 20, ("route points in the session", pts)
print(f"story: {len(types)} events in {(t1 - t0) / 60e3:.1f} min, {pts} route points")
PY
TZ=Europe/London "$VANCTL" --db "$WORK/van.db" report last > "$WORK/report.txt" || fail "vanctl --db FILE report last"
grep -q "Q1 .*on time" "$WORK/report.txt" && grep -q "Q2 .*on time" "$WORK/report.txt" ||
	fail "the report's plan: $(sed -n '/Planned against/,/^$/p' "$WORK/report.txt")"
grep -qE "distance +[0-9.]+ km \([0-9]+ route points\)" "$WORK/report.txt" || fail "the report's route: $(grep distance "$WORK/report.txt")"
# what the manager reads of it: no base here, so nobody acknowledged; the wait
# at base before leaving is not an unplanned stop; one time on site per stop
grep -qE "emergency +emergency raised by panic: never acknowledged by base; cleared after [0-9]+s" "$WORK/report.txt" ||
	fail "the report's emergency: $(grep -i emergency "$WORK/report.txt")"
grep -q "unplanned stops: 0" "$WORK/report.txt" && grep -q "waits at base (not unplanned): #1 " "$WORK/report.txt" ||
	fail "the wait at base: $(grep -i "unplanned\|base" "$WORK/report.txt")"
python3 - "$WORK/report.txt" <<'PY' || fail "two times on site for one stop"
import re, sys
t = open(sys.argv[1]).read()
# (times may carry "(+1)" when the evening crosses midnight: match around them)
stops = dict(re.findall(r"^\s+\d+\s+.*?\s(\S+)\s+\d+\s+\d+\s+\d+\s+(Q\d) \(", t, re.M))
stops = {v: k for k, v in stops.items()}
plan = dict(re.findall(r"^\s+\d+\s+(Q\d)\s+.*?\son time\s+\S+\s+(\S+)", t, re.M))
assert set(stops) == {"Q1", "Q2"} and stops == plan, ("stops table", stops, "plan table", plan)
PY
pass "the short evening: full, over the limit, check-in, panic, cleared, end - in the plan's windows, route reported"

# the same evening, but the crew ends the session at Q2 with two people still
# counted on board: the report says so, and does not call Q2 "still there"
python3 - "$WORK/inputs.sim" "$WORK/evening.stops.json" > "$WORK/early-end.sim" <<'PY'
import json, sys, datetime
d = json.load(open(sys.argv[2]))
p = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
q2 = (p(d["stops"][1]["arrival"]) - p(d["start"])).total_seconds()
lines = [l for l in open(sys.argv[1]) if l.startswith("#") or float(l.split()[0]) < q2 + 70]
print("".join(lines) + f"{q2 + 72:.1f} session pulse 200")
PY
sed "s|^sim_script = .*|sim_script = $WORK/early-end.sim|" "$WORK/demo.conf" > "$WORK/early.conf"
VANCTLD_CLOCK=gps TZ=Europe/London timeout 120 "$VANCTLD" -c "$WORK/early.conf" --virtual-time \
	--db "$WORK/early.db" --socket "$WORK/control.sock" > "$WORK/early.log" 2>&1 || fail "vanctld (early end) exit status $?"
TZ=Europe/London "$VANCTL" --db "$WORK/early.db" report last > "$WORK/early.txt" || fail "report (early end)"
grep -qE "at the end +2 still counted on board when the session ended" "$WORK/early.txt" ||
	fail "people on board at the end: $(sed -n '/^  started/,/^$/p' "$WORK/early.txt")"
grep -qE "^ +3 .* Q2 \(" "$WORK/early.txt" || fail "the stop the session ended in left its session: $(sed -n '/^Stops/,/^$/p' "$WORK/early.txt")"
! grep -q "still there" "$WORK/early.txt" || fail "a stop of an ended session is 'still there': $(grep 'still there' "$WORK/early.txt")"
pass "a session ended with people on board says so; its last stop is not 'still there'"

# --- 2. scripts/demo.sh for a bounded time -------------------------------------
command -v mosquitto > /dev/null && command -v gpsfake > /dev/null || fail "mosquitto and gpsfake are needed"
VAN_DEMO_BUILD="$VAN_BINARY_DIR" VAN_DEMO_NO_TMUX=1 VAN_DEMO_SECONDS=25 \
	bash "$VAN_SOURCE_DIR/scripts/demo.sh" > "$WORK/demo.out" 2>&1 &
DEMO=$!
url=""
for _ in $(seq 150); do
	url=$(sed -n 's|^base console: \(http://[^ ]*\) .*|\1|p' "$WORK/demo.out")
	[ -n "$url" ] && break
	sleep 0.1
done
if [ -n "$url" ]; then
	curl -sf "${url}index.html" | grep -q "base console" || fail "the demo's console at $url is not served"
else
	grep -q "no base console" "$WORK/demo.out" && [ ! -d "$VAN_SOURCE_DIR/base/node_modules" ] ||
		fail "the demo printed no console address: $(head -20 "$WORK/demo.out")"
	note "no base console (base/node_modules missing): scripts/install-base-deps.sh"
fi
wait "$DEMO" || fail "demo.sh exit status $?: $(tail -20 "$WORK/demo.out")"
dw=$(sed -n 's|.*files in \(/tmp/vanctld-demo\.[A-Za-z0-9]*\).*|\1|p' "$WORK/demo.out" | head -1)
grep -q " 0:03  The crew presses SESSION" "$WORK/demo.out" || fail "the story was not told: $(tail -20 "$WORK/demo.out")"
grep -q "session.started" "$WORK/demo.out" || fail "base saw no session: $(tail -20 "$WORK/demo.out")"
grep -q "demo stopped" "$WORK/demo.out" || fail "demo.sh did not stop cleanly"
[ -n "$dw" ] && [ -f "$dw/van.db" ] || fail "the demo kept no database"
"$VANCTL" --db "$dw/van.db" sessions > "$WORK/sessions.txt" 2>&1 || fail "the demo's own hint failed: $(cat "$WORK/sessions.txt")"
grep -q "1 session" "$WORK/sessions.txt" || fail "the demo's database: $(cat "$WORK/sessions.txt")"
# vanbase watched the demo's van, with the on-call phone ready
grep -q "watching vanctld/+" "$dw/vanbase.log" 2>/dev/null || fail "the demo's vanbase did not run: $(tail -5 "$dw/vanbase.log" 2>&1)"
grep -q "Sam's phone" "$WORK/demo.out" || fail "the demo did not show the on-call phone"
[ -n "$dw" ] && rm -rf "$dw"
pass "scripts/demo.sh: console served, story told, base sees the session, vanbase watches, stops cleanly"
