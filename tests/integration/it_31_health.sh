#!/usr/bin/env bash
# it_31_health - the computer's own health (issue 23): the firmware's
# throttling flags and a thermal zone, from fake sysfs files named in the
# config, reach the state at base and the session's debrief; an under-voltage
# dip is logged; garbage in a file is a warning naming the file, once; and
# with the files absent (any machine that is not a Pi) the state says
# nothing and nothing is logged.
source "$(dirname "$0")/lib.sh"
it_setup
start_broker
start_sub 'vanctld/van1/#' "$WORK/sub.txt"
SYS=$WORK/sys
mkdir -p "$SYS"
echo 0 > "$SYS/get_throttled"
echo 48250 > "$SYS/temp"
write_conf "$WORK/van.conf" "[health]" "interval = 1" "throttled_file = $SYS/get_throttled" "temp_file = $SYS/temp"
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "not connected"

health() { ctl '{"cmd":"status"}' | python3 -c '
import json, sys; h = json.load(sys.stdin)["result"].get("health"); print(json.dumps(h, sort_keys=True))'; }
state_health_is() {   # the newest retained state at base has health.KEY == VALUE
	python3 - "$WORK/sub.txt" "$1" "$2" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    t, _, p = line.partition(' ')
    if t == 'vanctld/van1/state':
        last = json.loads(p)
h = (last or {}).get('health') or {}
sys.exit(0 if json.dumps(h.get(sys.argv[2])) == sys.argv[3] else 1)
PY
}
WAIT_S=5 wait_for state_health_is temp_c 48.2 || WAIT_S=1 wait_for state_health_is temp_c 48.3 \
	|| fail "no health in the state at base: $(health)"
state_health_is undervoltage false || fail "under-voltage before any dip: $(health)"
pass "health in the state at base: $(health)"

ctl '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || fail "session start"
echo 50005 > "$SYS/get_throttled"      # under-voltage now and since boot: the engine cranks
echo 71400 > "$SYS/temp"
WAIT_S=5 wait_for state_health_is undervoltage true || fail "under-voltage not in the state at base: $(health)"
state_health_is undervoltage_since_boot true || fail "since-boot flag: $(health)"
WAIT_S=3 wait_for grep -q 'health: under-voltage now' "$WORK/vanctld.log" || fail "under-voltage not logged"
pass "an under-voltage dip reaches base within the reading interval, and the log"
echo 50000 > "$SYS/get_throttled"      # over; the firmware keeps the since-boot bit
WAIT_S=5 wait_for state_health_is undervoltage false || fail "under-voltage did not end: $(health)"
echo 'throttled=0x50000' > "$SYS/get_throttled"
WAIT_S=5 wait_for grep -q "health: $SYS/get_throttled: not throttling flags" "$WORK/vanctld.log" \
	|| fail "garbage in the flags file not reported"
sleep 2.5
[ "$(grep -c 'not throttling flags' "$WORK/vanctld.log")" = 1 ] || fail "the same problem logged more than once"
echo 50000 > "$SYS/get_throttled"
WAIT_S=5 wait_for grep -q 'health: readable again' "$WORK/vanctld.log" || fail "recovery not logged"
pass "garbage in a health file: one warning naming the file, then 'readable again'"

ctl '{"cmd":"session_end"}' | grep -q '"ok":true' || fail "session end"
WAIT_S=5 wait_for grep -q '"type":"session.ended"' "$WORK/sub.txt" || fail "no session.ended at base"
python3 - "$WORK/sub.txt" <<'PY' || fail "debrief health"
import json, sys
for line in open(sys.argv[1]):
    t, _, p = line.partition(' ')
    if t == 'vanctld/van1/event' and '"session.ended"' in p:
        h = json.loads(p)['data']['health']
# 0x50005: under-voltage and throttled now (the firmware throttles on it)
assert h['undervoltage_episodes'] == 1 and h['max_temp_c'] == 71.4 and h['throttled'] is True, h
print("debrief health:", h)
PY
n=$(sql "select count(*) from events where type='session.ended' and json_extract(data,'\$.health.undervoltage_episodes')=1")
[ "$n" = 1 ] || fail "the stored debrief has no health figures ($n)"
pass "the debrief (at base and stored) counts the dip and the hottest reading"
stop_vanctld || fail "vanctld exit status"

# absent files: nothing shown, nothing logged
: > "$WORK/vanctld.log"
write_conf "$WORK/van.conf" "[health]" "interval = 1" "throttled_file = $SYS/none/get_throttled" \
	"temp_file = $SYS/none/temp"
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "not connected (2)"
sleep 2
[ "$(health)" = null ] || fail "health shown without its files: $(health)"
! grep -q 'health:' "$WORK/vanctld.log" || fail "absent health files logged: $(grep 'health:' "$WORK/vanctld.log")"
pass "absent health files: no health in the state, nothing logged"
stop_vanctld || fail "vanctld exit status (2)"
