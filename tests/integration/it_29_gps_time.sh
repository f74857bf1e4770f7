#!/usr/bin/env bash
# it_29: GPS time as real receivers give it (issue 19, docs/time.md).
#   A. a minute of no fix (a receiver stall), later a 20-minute gap with no
#      sentence at all (gpsd via gpsfake, two replay
#      speeds): the fix after it is judged by the fixes' own times (kilometres in
#      20 minutes is driving, not a jump), and the stored route is the same
#      at both speeds;
#   B. a receiver whose time steps an hour back (gpsd via gpsfake): the
#      route filter rejects the first fixes as stale, says so once at notice
#      level when they come in numbers, and once when it accepts again;
#   C. a day-ahead epoch, then from half-way dates 1024 weeks ahead (gpsd's
#      week-rollover correction), in the daemon's replay and virtual time
#      with the rule as if NTP never synchronised (VANCTLD_CLOCK=unsynced):
#      GPS time is believed once (one clock.step), the day-ahead epoch is
#      rejected alone and never counted by the clock, the rollover is not
#      believed (one notice), every record is stamped within the track's
#      true time, and stored times never go backwards.
# Tracks are made for "now" (C for an hour ahead of the unsynchronised
# system clock, so that believing GPS time is a step, and with the last known
# good time pinned a day before the track, as it_19 does): nothing depends on
# today's date.
. "$(dirname "$0")/lib.sh"
it_setup

# gpsd_run NAME TRACK CYCLE [INI...]: vanctld on gpsd fed by gpsfake; NAME.db, NAME.log
gpsd_run() {
	local name=$1 track=$2 cycle=$3 lead
	shift 3
	lead=$(python3 -c "print(int(6 / $cycle))")   # 6 s of $GPTXT: vanctld connects first
	python3 - "$track" "$WORK/$name.nmea" "$lead" <<'PY'
import sys
body = "GPTXT,01,01,02,WAITING"
ck = 0
for ch in body: ck ^= ord(ch)
open(sys.argv[2], "wb").write(("$%s*%02X\r\n" % (body, ck)).encode() * int(sys.argv[3]) +
                              open(sys.argv[1], "rb").read())
PY
	GPSD_PORT=$(free_port)
	write_conf "$WORK/$name.conf" "[mqtt]" "enabled = false" "$@"
	sed -i "s|^db = .*|db = $WORK/$name.db|" "$WORK/$name.conf"
	: > "$WORK/vanctld.log"
	start_vanctld "$WORK/$name.conf"
	start_gps "$WORK/$name.nmea" "$GPSD_PORT" "$cycle"
	WAIT_S=20 wait_for grep -q "gps: connected to gpsd" "$WORK/vanctld.log" || fail "$name: vanctld did not connect"
	WAIT_S=300 wait_for bash -c "! kill -0 $GPSFAKE_PGID" || fail "$name: gpsfake did not finish"
	sleep 0.5
	stop_vanctld TERM || fail "$name: vanctld exit status $?"
	cp "$WORK/vanctld.log" "$WORK/$name.log"
}
verdicts() { grep -oE "gps: fix \S+ mode .*: \S+$" "$WORK/$1.log" | awk '{print $NF}' | sort | uniq -c | tr '\n' ' '; }
route() { sqlite3 "$WORK/$1.db" "select printf('%.7f %.7f %.2f', lat, lon, speed) from route_points order by id"; }

export VANCTLD_CLOCK=gps
note "A: a 20-minute gap, judged by the fixes' own times"
python3 "$VAN_SOURCE_DIR/tools/make-track.py" --hours 0.5 --start now -o "$WORK/gap.track" --stops-json "$WORK/gap.json" \
	--pattern gap --pattern stall 2> /dev/null || fail "gap track"
for c in 0.003 0.009; do
	gpsd_run "gap$c" "$WORK/gap.track" "$c"
	python3 - "$WORK/gap$c.log" "$WORK/gap.json" <<'PY' || fail "A at -c $c: the gap was judged by arrival"
import datetime, json, re, sys
d = json.load(open(sys.argv[2]))["patterns"]["gap"]
last = datetime.datetime.fromisoformat(d["last_dropped"].replace("Z", "+00:00"))
after = (last + datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
v = dict(re.findall(r"gps: fix (\S+) mode .*: (\S+)$", open(sys.argv[1]).read(), re.M))
assert v.get(after, "").startswith("keep-"), ("the first fix after the gap", after, v.get(after))
assert "reject-speed" not in v.values(), "a fix rejected as a jump"
assert list(v.values()).count("reject-nofix") >= 60, "the stall's minute without a fix"
PY
	pass "A at -c $c: the fix after the gap kept; $(verdicts "gap$c")"
done
route gap0.003 > "$WORK/ra"
route gap0.009 > "$WORK/rb"
[ "$(wc -l < "$WORK/ra")" -gt 50 ] || fail "A: only $(wc -l < "$WORK/ra") points"
cmp -s "$WORK/ra" "$WORK/rb" || fail "A: the route differs between replay speeds: $(diff "$WORK/ra" "$WORK/rb" | head -4)"
pass "A: the same $(wc -l < "$WORK/ra") points at both replay speeds"

note "B: the receiver's time steps an hour back"
python3 "$VAN_SOURCE_DIR/tools/make-track.py" --hours 0.5 --start now -o "$WORK/back.track" --stops-json "$WORK/back.json" \
	--pattern time-back 2> /dev/null || fail "time-back track"
gpsd_run back "$WORK/back.track" 0.003
stale=$(grep -c "gps: fix .*: reject-stale$" "$WORK/back.log")
[ "$stale" = 9 ] || fail "B: $stale fixes rejected as stale, expected 9 (TRACK_TIME_RESET_AFTER - 1 distinct times)"
[ "$(grep -c "<5>gps: 5 fixes in a row rejected by the route filter" "$WORK/back.log")" = 1 ] ||
	fail "B: no single notice of the rejections"
grep -q "<5>gps: fixes accepted again after 9 rejected (the last: reject-stale)" "$WORK/back.log" ||
	fail "B: no notice that fixes are accepted again"
pass "B: $stale stale fixes, one notice for them and one when accepted again"

note "C: a day-ahead epoch and a week rollover, in replay with the rule as without NTP"
export VANCTLD_CLOCK=unsynced
python3 "$VAN_SOURCE_DIR/tools/make-track.py" --hours 0.5 --start now+1h -o "$WORK/roll.nmea" --stops-json "$WORK/roll.json" \
	--pattern day-ahead --pattern rollover 2> /dev/null || fail "rollover track"
t0=$(python3 -c "import json,datetime,sys; d=json.load(open(sys.argv[1])); \
print(int(datetime.datetime.fromisoformat(d['start'].replace('Z','+00:00')).timestamp()*1000))" "$WORK/roll.json")
cat > "$WORK/roll.conf" <<CONF
[unit]
id = van1
[gps]
replay_file = $WORK/roll.nmea
replay_exit = 5
[mqtt]
enabled = false
[storage]
db = $WORK/roll.db
[control]
socket = $WORK/control.sock
CONF
# a first run creates the database; then the last known good time is pinned a day before the track
timeout 60 "$VANCTLD" -c "$WORK/roll.conf" --virtual-time -v > "$WORK/roll0.log" 2>&1 || fail "C: first run, status $?"
sqlite3 "$WORK/roll.db" "DELETE FROM route_points; DELETE FROM events;
	INSERT OR REPLACE INTO kv(key, value) VALUES ('clock_lkg_utc_ms', '$((t0 - 86400000))')"
timeout 60 "$VANCTLD" -c "$WORK/roll.conf" --virtual-time -v > "$WORK/roll.log" 2>&1 || fail "C: vanctld exit status $?"
python3 - "$WORK/roll.db" "$WORK/roll.log" "$WORK/roll.json" "$t0" <<'PY' || fail "C: the clock followed a bad GPS time"
import json, re, sqlite3, sys
db, logf, tj, t0 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = json.load(open(tj)); p = d["patterns"]
log = open(logf).read()
v = dict(re.findall(r"gps: fix (\S+) mode .*: (\S+)$", log, re.M))
assert v.get(p["day-ahead"]["time"]) == "reject-time-ahead", ("day-ahead", v.get(p["day-ahead"]["time"]))
bad = [t for t, x in v.items() if x in ("reject-stale", "reject-time-ahead")]
assert len(bad) == 1, ("fixes rejected for their time", bad[:5])
assert log.count("not believed: more than 400 days after") == 1, "the rollover notice is not once"
assert len(re.findall(r"clock: GPS time \S+ believed$", log, re.M)) == 1, "GPS time believed more than once"
con = sqlite3.connect(db)
steps = con.execute("select json_extract(data,'$.from'), json_extract(data,'$.to') from events "
                    "where type = 'clock.step'").fetchall()
assert steps == [("system-unsynced", "gps")], ("clock.step events", steps)
pts = con.execute("select utc_ms, utc_src from route_points order by id").fetchall()
assert len(pts) > 100, len(pts)
end = t0 + 31 * 60 * 1000
gps = [u for u, s in pts if s == 1]
assert len(pts) - len(gps) <= 3, ("points not on GPS time", len(pts) - len(gps))
assert all(t0 <= u <= end for u in gps), ("points stamped outside the track", min(gps), max(gps), t0, end)
ts = [u for u, _ in pts]
assert all(ts[i] >= ts[i - 1] for i in range(1, len(ts))), "route point times go backwards"
ev = [u for (u,) in con.execute("select utc_ms from events order by id")]
assert all(ev[i] >= ev[i - 1] for i in range(1, len(ev))), "event times go backwards"
print("%d points, %d on GPS time, within the track; one clock.step; rollover refused once" % (len(pts), len(gps)))
PY
pass "C: the day-ahead epoch rejected alone, the rollover not believed, no stored time off the track's"
