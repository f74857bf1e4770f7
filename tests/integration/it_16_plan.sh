#!/usr/bin/env bash
# it_16: route plans through the whole daemon.  The demo evening is replayed
# (virtual time) with the session started by the button, which follows
# session.button_plan = evening; an independent subscriber must see exactly
# the expected plan events: for the track that follows the plan, and for the
# one that skips S2 and stops somewhere unplanned.
. "$(dirname "$0")/lib.sh"
it_setup
export TZ=Europe/London VANCTLD_CLOCK=gps

run_track() {   # TRACK OUTFILE [checkin offset s]
	local track=$1 out=$2 ck=${3:-}
	rm -f "$WORK/van.db"*
	{
		echo "2 session pulse 200"
		[ -n "$ck" ] && echo "$ck checkin pulse 200"
		echo "1890 session pulse 200"
	} > "$WORK/inputs.sim"
	cat > "$WORK/van.conf" <<CONF
[unit]
id = van1
[gps]
replay_file = $track
[mqtt]
host = 127.0.0.1
port = $BROKER_PORT
[storage]
db = $WORK/van.db
[control]
socket = $WORK/control.sock
[session]
plans_dir = $VAN_SOURCE_DIR/config/demo/plans
button_plan = evening
[gpio]
backend = sim
sim_script = $WORK/inputs.sim
[line.checkin]
role = checkin
[line.session]
role = session
CONF
	: > "$out"
	mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -v -q 1 -t vanctld/van1/event > "$out" 2>>"$WORK/sub.log" &
	local sub=$!
	sleep 0.3
	"$VANCTLD" -c "$WORK/van.conf" --virtual-time >> "$WORK/vanctld.log" 2>&1 &
	VANCTLD_PID=$!
	PIDS+=("$VANCTLD_PID" "$sub")
	WAIT_S=60 wait_for grep -q '"type":"plan.ended"' "$out" || fail "no plan.ended from $track"
	WAIT_S=20 wait_for bash -c "[ \$(sqlite3 '$WORK/van.db' 'select count(*) from outbox where kind=0') -eq 0 ]" \
		|| fail "events left undelivered"
	sleep 0.5
	stop_vanctld TERM || fail "vanctld exit status $?"
	kill "$sub"
}

# plan events in seq order, as "type[:location]"
plan_events() {
	python3 - "$1" <<'PY'
import json, sys
ev = {}
for l in open(sys.argv[1]):
    e = json.loads(l.partition(' ')[2])
    ev[e['seq']] = e
for s in sorted(ev):
    e = ev[s]
    if e['type'].startswith('plan.') and e['type'] not in ('plan.anchored',):
        loc = e['data'].get('location')
        print(e['type'] + (':' + loc if isinstance(loc, str) else ''))
PY
}

start_broker
# S2 is a prearranged check-in point: the crew checks in a minute after arriving (21:11:04)
run_track "$VAN_SOURCE_DIR/config/demo/evening.nmea" "$WORK/follow.txt" 725
plan_events "$WORK/follow.txt" > "$WORK/follow.got"
cat > "$WORK/follow.want" <<'EOF2'
plan.started
plan.arrived:S1
plan.departed:S1
plan.arrived:S2
plan.checkin_prompt:S2
plan.checkin:S2
plan.departed:S2
plan.arrived:S3
plan.departed:S3
plan.arrived:S4
plan.departed:S4
plan.returned:Base
plan.ended
EOF2
diff -u "$WORK/follow.want" "$WORK/follow.got" || fail "plan events for the track that follows the plan"
grep -q '"timing":"late"' "$WORK/follow.txt" && fail "an arrival reported late"
sqlite3 "$WORK/van.db" "select name from stops where name is not null order by arrived_utc_ms" | tr '\n' ' ' | grep -q "S1 S2 S3 S4" \
	|| fail "stops not named after the planned locations: $(sqlite3 "$WORK/van.db" 'select name from stops')"
pass "plan followed: arrivals, departures, the S2 check-in prompt and check-in; stops named"

run_track "$VAN_SOURCE_DIR/config/demo/evening-deviate.nmea" "$WORK/deviate.txt"
plan_events "$WORK/deviate.txt" > "$WORK/deviate.got"
cat > "$WORK/deviate.want" <<'EOF2'
plan.started
plan.arrived:S1
plan.departed:S1
plan.off_corridor
plan.skipped:S2
plan.arrived:S3
plan.back_on_corridor
plan.departed:S3
plan.off_corridor
plan.unplanned_stop
plan.back_on_corridor
plan.arrived:S4
plan.departed:S4
plan.returned:Base
plan.ended
EOF2
diff -u "$WORK/deviate.want" "$WORK/deviate.got" || fail "plan events for the deviating track"
python3 - "$WORK/deviate.txt" <<'PY' || fail "deviation events are not urgent with a position"
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l.partition(' ')[2])
    if e['type'] in ('plan.off_corridor', 'plan.skipped', 'plan.unplanned_stop'):
        assert e['prio'] == 1 and e['pos'], e
PY
pass "deviations: off corridor, S2 skipped, unplanned stop - each once, urgent, with position"
