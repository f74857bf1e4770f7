#!/usr/bin/env bash
# it_27: beam crossings are judged by their edges' stamps, not by when the
# daemon is handed them (issue 20).  The sim backend delivers edges in
# batches the way a real van can: the outer beam's line has a 1000 ms
# debounce, so an edge of the inner line waits (in stamp order) until the
# outer line's earlier change has settled, and the outer beam's clearing and
# the inner beam's edges after it reach the core in one batch, each with its
# own stamp.  With beam_gap_max_ms = 200:
#   crossing 1: inner broken 300 ms after outer cleared -> not a crossing;
#   crossing 2: 150 ms                                   -> one entry.
# Timed at delivery both had a gap of 0 ms and counted.  The daemon runs in
# virtual time on a replayed half-hour track (the sim script's times are the
# daemon's own clock), so the test does not depend on the machine's load.
. "$(dirname "$0")/lib.sh"
it_setup

python3 "$VAN_SOURCE_DIR/tools/make-track.py" --hours 0.5 --start now -o "$WORK/track.nmea" >/dev/null ||
	fail "track generation"
# seconds after start; outer's on lasts 1.5 s (> its 1 s debounce)
cat > "$WORK/inputs.sim" <<'SIM'
0.5 door on
# crossing 1: outer clears at 4.0, inner breaks at 4.3 (300 ms > 200)
2.5 outer on
4.0 outer off
4.3 inner on
4.4 inner off
# crossing 2: outer clears at 10.0, inner breaks at 10.15 (150 ms <= 200)
8.5 outer on
10.0 outer off
10.15 inner on
10.25 inner off
SIM
cat > "$WORK/van.conf" <<CONF
[unit]
id = van1
[gps]
replay_file = $WORK/track.nmea
replay_exit = 5
[mqtt]
enabled = false
[storage]
db = $WORK/van.db
[control]
socket = $WORK/control.sock
[occupancy]
beam_gap_max_ms = 200
[gpio]
backend = sim
sim_script = $WORK/inputs.sim
[line.door]
role = door
[line.outer]
role = beam_outer
debounce_ms = 1000
[line.inner]
role = beam_inner
CONF
timeout 120 "$VANCTLD" -c "$WORK/van.conf" --virtual-time -v > "$WORK/vanctld.log" 2>&1 ||
	fail "vanctld exit status $?"

# every scripted beam edge reached the core, in order (that the edges after
# each clearing came in one batch is gpio.c's ordering rule, test_gpio; this
# test failed before the fix: 2 entries)
python3 - "$WORK/vanctld.log" <<'PY' || fail "the beam edges did not come through as scripted"
import re, sys
got = [m.group(0) for m in (re.search(r'input (outer|inner) \(\S+\) \S+', l) for l in open(sys.argv[1])) if m]
want = ["input outer (beam_outer) active", "input outer (beam_outer) inactive",
        "input inner (beam_inner) active", "input inner (beam_inner) inactive"] * 2
assert got == want, got
PY
entries=$(sql "SELECT count(*) FROM events WHERE type = 'occupancy.entry'")
[ "$entries" = 1 ] || fail "$entries entries counted, want 1 (the 300 ms crossing must not count)"
count=$(sql "SELECT json_extract(data, '\$.count') FROM events WHERE type = 'occupancy.entry'")
[ "$count" = 1 ] || fail "count after the entry is $count, want 1"
pass "a 300 ms beam gap is refused and a 150 ms one counted, each delivered in one batch"
