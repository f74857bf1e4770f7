#!/usr/bin/env bash
# it_30_start_events - events the van makes while it starts, before its link
# to base exists, still reach base: here the repeat of an emergency restored
# from the saved state (the system test's power cuts found one stored with no
# outbox row, so base never heard it).  Also: every stored event reaches base,
# and the outbox drains.
source "$(dirname "$0")/lib.sh"
it_setup
start_broker
start_sub 'vanctld/van1/event' "$WORK/events.txt"
write_conf "$WORK/van.conf" "[alarm]" "repeat = 5"
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "not connected"
"$VANCTL" --socket "$WORK/control.sock" panic > /dev/null || fail "panic"
WAIT_S=10 wait_for grep -q '"type":"emergency.raised"' "$WORK/events.txt" || fail "the panic did not reach base"
stop_vanctld KILL || true
sleep 6   # past alarm.repeat: the restored emergency's repeat is due at once
start_vanctld "$WORK/van.conf"
WAIT_S=15 wait_for grep -q '"type":"emergency.raised".*"repeat":[1-9]' "$WORK/events.txt" ||
	fail "the repeat made at start did not reach base: $(sql "SELECT seq, type FROM events ORDER BY seq" | tr '\n' ' ')"
WAIT_S=10 wait_for bash -c "[ \"\$(sqlite3 '$WORK/van.db' 'SELECT count(*) FROM outbox WHERE kind = 0')\" = 0 ]" ||
	fail "the outbox did not drain: $(sql 'SELECT id, seq, topic FROM outbox')"
for s in $(sql "SELECT seq FROM events ORDER BY seq"); do
	grep -q "\"seq\":$s," "$WORK/events.txt" || fail "event seq $s stored but never at base"
done
pass "an event made at start, before the link exists, reaches base; every stored event did; the outbox drained"
stop_vanctld TERM || fail "exit status $?"
