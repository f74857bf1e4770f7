#!/usr/bin/env bash
# it_32_power_fail - a power_fail input line (ignition sense or a UPS's
# low-battery output, issue 23): a flicker shorter than its hold_ms is
# nothing; held, the van records and tells base that it powers down on
# purpose (power.failing, with the session running), and the route points
# held in memory reach the database at once, not at the next flush; the
# state says so; back, power.restored.
. "$(dirname "$0")/lib.sh"
it_setup
start_broker
start_sub 'vanctld/van1/#' "$WORK/sub.txt"
start_gps "$VAN_SOURCE_DIR/config/demo/evening.nmea" "" 0.05
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.ignition]" "role = power_fail" "hold_ms = 300"
# route points stay in memory for 5 minutes unless something flushes them
sed -i 's/^flush_interval = 1$/flush_interval = 300/' "$WORK/van.conf"
start_vanctld "$WORK/van.conf"
WAIT_S=20 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "not connected"
ctl '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || fail "session start"
WAIT_S=20 wait_for grep -q '"fix":"3d"' "$WORK/sub.txt" || fail "no fix"
sleep 3

ctl '{"cmd":"sim","line":"ignition","value":"pulse","ms":100}' | grep -q '"ok":true' || fail "sim pulse"
sleep 1
! grep -q '"type":"power.failing"' "$WORK/sub.txt" || fail "a 100 ms flicker was taken for a power-down"
pass "a flicker shorter than hold_ms is not a power-down"

before=$(sql "select count(*) from route_points")
ctl '{"cmd":"sim","line":"ignition","value":"on"}' | grep -q '"ok":true' || fail "sim on"
WAIT_S=5 wait_for grep -q '"type":"power.failing"' "$WORK/sub.txt" || fail "no power.failing at base"
python3 - "$WORK/sub.txt" <<'PY' || fail "power.failing content"
import json, sys
for line in open(sys.argv[1]):
    t, _, p = line.partition(' ')
    if t == 'vanctld/van1/event' and '"power.failing"' in p:
        e = json.loads(p)
assert e['prio'] == 1 and e['data']['session_running'] is True and e['data']['at_start'] is False, e
PY
after=$(sql "select count(*) from route_points")
[ "$after" -gt "$before" ] || fail "route points not flushed when the power went ($before -> $after)"
grep -q 'power: the power_fail input is active' "$WORK/vanctld.log" || fail "not logged"
ctl '{"cmd":"status"}' | python3 -c '
import json, sys; p = json.load(sys.stdin)["result"]["power"]
assert p["failing"] is True and p["since_utc"], p' || fail "state: power not failing"
[ "$(sql "select count(*) from events where type='power.failing'")" = 1 ] || fail "power.failing not stored"
pass "held: power.failing stored and at base, $((after - before)) route points flushed at once, the state says so"

ctl '{"cmd":"sim","line":"ignition","value":"off"}' | grep -q '"ok":true' || fail "sim off"
WAIT_S=5 wait_for grep -q '"type":"power.restored"' "$WORK/sub.txt" || fail "no power.restored"
pass "power back: power.restored"
stop_vanctld || fail "vanctld exit status"
