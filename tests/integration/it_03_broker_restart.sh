#!/usr/bin/env bash
# it_03: the broker stops mid-run and comes back on the same port: vanctld
# keeps logging, queues for base in the outbox, reconnects by itself and
# delivers the backlog; location sequence numbers have no duplicates-only gaps.
. "$(dirname "$0")/lib.sh"
it_setup

TRACK="$VAN_SOURCE_DIR/config/demo/evening.nmea"
start_broker
start_gps "$TRACK" "" 0.05
write_conf "$WORK/van.conf" "[mqtt]" "backlog_location_keep = 0"
start_vanctld "$WORK/van.conf"
WAIT_S=20 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "never connected"

stop_broker
WAIT_S=10 wait_for grep -q 'mqtt: lost the link' "$WORK/vanctld.log" || fail "broker loss not noticed"
sleep 4
backlog=$(sql 'select count(*) from outbox')
[ "$backlog" -gt 0 ] || fail "nothing queued in the outbox while the broker was down"
pass "broker down: $backlog messages wait in the outbox"

start_broker "$BROKER_PORT"
start_sub 'vanctld/van1/location' "$WORK/loc.txt"
WAIT_S=30 wait_for bash -c "[ \$(grep -c 'mqtt: connected' '$WORK/vanctld.log') -ge 2 ]" || fail "did not reconnect"
WAIT_S=20 wait_for bash -c "[ \$(sqlite3 '$WORK/van.db' 'select count(*) from outbox') -le 2 ]" \
	|| fail "backlog not delivered: $(sql 'select count(*) from outbox') left"
pass "reconnected; backlog delivered"
stop_vanctld TERM || fail "vanctld exit status $?"
