#!/usr/bin/env bash
# it_05: live messages (location, state) are published without touching the
# outbox while the link is up; the ones the broker had not confirmed when the
# link died (a frozen, then killed broker) are written to the outbox then and
# delivered after the reconnect: location sequence numbers have no gap.
. "$(dirname "$0")/lib.sh"
it_setup

TRACK="$VAN_SOURCE_DIR/config/demo/evening.nmea"
start_broker
start_gps "$TRACK" "" 0.05
write_conf "$WORK/van.conf" "[mqtt]" "backlog_location_keep = 0"
start_sub 'vanctld/van1/location' "$WORK/loc1.txt"
start_vanctld "$WORK/van.conf"
WAIT_S=30 wait_for bash -c "[ \$(grep -c '\"seq\"' '$WORK/loc1.txt') -ge 8 ]" || fail "no live locations at base"

# 1. live: base got the locations, the outbox allocated (almost) no rows
got=$(grep -c '"seq"' "$WORK/loc1.txt")
rows=$(sql "select ifnull((select seq from sqlite_sequence where name = 'outbox'), 0)")
[ "$rows" -lt $(( got / 2 )) ] || fail "$got locations at base, but $rows outbox rows written: not live"
pass "live: $got locations at base, $rows outbox rows ever written (events and the like)"

# 2. the broker freezes: live messages go out but are not confirmed; then it dies
sleep 1
kill -STOP "$BROKER_PID"
sleep 4
kill -KILL "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
WAIT_S=10 wait_for grep -q 'mqtt: lost the link' "$WORK/vanctld.log" || fail "link loss not noticed"
queued=$(sql "select count(*) from outbox where kind = 1")
[ "$queued" -ge 3 ] || fail "only $queued locations in the outbox after the link died"
pass "link died: $queued locations wait in the outbox"

# 3. back: everything arrives, no gap in location seq
start_broker "$BROKER_PORT"
start_sub 'vanctld/van1/location' "$WORK/loc2.txt"
WAIT_S=30 wait_for bash -c "[ \$(grep -c 'mqtt: connected' '$WORK/vanctld.log') -ge 2 ]" || fail "did not reconnect"
WAIT_S=20 wait_for bash -c "[ \$(sqlite3 '$WORK/van.db' 'select count(*) from outbox where kind = 1') -eq 0 ]" \
	|| fail "backlog not delivered: $(sql 'select count(*) from outbox where kind = 1') left"
sleep 2
python3 - "$WORK/loc1.txt" "$WORK/loc2.txt" <<'PY' || fail "location seq has gaps"
import json, sys
seqs = set()
for f in sys.argv[1:]:
    for line in open(f):
        if line.strip():
            seqs.add(json.loads(line.partition(' ')[2])['seq'])
missing = [s for s in range(min(seqs), max(seqs) + 1) if s not in seqs]
assert not missing, ("missing location seq", missing)
print(f"locations {min(seqs)}..{max(seqs)}: all at base")
PY
pass "nothing lost: the unconfirmed live locations came from the outbox"
stop_vanctld TERM || fail "vanctld exit status $?"
