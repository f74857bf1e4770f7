#!/usr/bin/env bash
# it_12: vanctld killed with SIGKILL at random points while events flow, then
# restarted, several times.  After each kill the database passes
# integrity_check; the session (and its timers) continue after the restart;
# at the end every event the van stored has reached base (duplicates allowed,
# no gaps).
. "$(dirname "$0")/lib.sh"
it_setup

start_broker
start_sub 'vanctld/van1/event' "$WORK/events.txt"
start_gps "$VAN_SOURCE_DIR/config/demo/evening.nmea" "" 0.02
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.panic]" "role = panic"
start_vanctld "$WORK/van.conf"
WAIT_S=20 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "never connected"
ctl '{"cmd":"session_start","crew":3}' | grep -q '"ok":true' || fail "session start"
sid=$(sql 'select max(id) from sessions')

# a stream of events from the crew while we kill the daemon
(
	while :; do
		for c in '{"cmd":"occupancy","delta":1}' '{"cmd":"occupancy","delta":-1}' \
			 '{"cmd":"incident","type":"other"}' '{"cmd":"checkin"}'; do
			ctl "$c" >/dev/null 2>&1
		done
	done
) &
FEEDER=$!
PIDS+=("$FEEDER")

RANDOM=${VAN_SEED:-$$}
note "seed $RANDOM"
for round in 1 2 3 4; do
	sleep "0.$(( RANDOM % 9 + 1 ))"
	kill -KILL "$VANCTLD_PID"
	wait "$VANCTLD_PID" 2>/dev/null
	[ "$(sqlite3 "$WORK/van.db" 'pragma integrity_check')" = ok ] || fail "integrity_check failed after kill $round"
	start_vanctld "$WORK/van.conf"
	WAIT_S=10 wait_for bash -c "[ -S '$WORK/control.sock' ] && python3 -c 'import socket;s=socket.socket(socket.AF_UNIX);s.connect(\"$WORK/control.sock\")'" \
		|| fail "vanctld did not come back after kill $round"
	state=$(ctl '{"cmd":"status"}')
	echo "$state" | python3 -c "
import json,sys; s=json.load(sys.stdin)['result']['session']
assert s['state'] in ('active','overdue') and s['id'] == $sid, s
assert s['checkin'] and s['checkin']['due_utc'], s" || fail "session not restored after kill $round: $state"
done
kill "$FEEDER"; wait "$FEEDER" 2>/dev/null
pass "4 kills: database intact, session $sid restored each time"

WAIT_S=30 wait_for bash -c "[ \$(sqlite3 '$WORK/van.db' 'select count(*) from outbox where kind=0') -eq 0 ]" \
	|| fail "events still queued: $(sql 'select count(*) from outbox where kind=0')"
sleep 1
sql 'select seq from events order by seq' > "$WORK/stored.txt"
python3 - "$WORK/events.txt" "$WORK/stored.txt" <<'PY' || fail "events missing at base"
import json, sys
got = {json.loads(l.partition(' ')[2])['seq'] for l in open(sys.argv[1]) if l.strip()}
stored = [int(x) for x in open(sys.argv[2]).read().split()]
assert stored == list(range(1, len(stored) + 1)), "stored seq has gaps"
missing = [s for s in stored if s not in got]
assert not missing, ("stored but never reached base", missing[:20], len(missing))
print(f"{len(stored)} events stored, all at base ({sum(1 for l in open(sys.argv[1]))} messages incl. duplicates)")
PY
pass "every stored event reached base"
stop_vanctld TERM || fail "exit status $?"
