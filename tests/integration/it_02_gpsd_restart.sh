#!/usr/bin/env bash
# it_02: gpsd not running at start, then started, stopped mid-run and
# restarted: vanctld notices each time, reports the fix lost (never reuses a
# stale one) and recovers by itself.
. "$(dirname "$0")/lib.sh"
it_setup

TRACK="$VAN_SOURCE_DIR/config/demo/evening.nmea"
start_broker
start_sub 'vanctld/van1/state' "$WORK/state.txt"
GPSD_PORT=$(free_port)
write_conf "$WORK/van.conf" "[gps]" "reconnect_max = 1"
start_vanctld "$WORK/van.conf"

WAIT_S=10 wait_for grep -q 'cannot reach gpsd' "$WORK/vanctld.log" || fail "no message about gpsd being unreachable"
pass "gpsd absent at start is reported"

start_gps "$TRACK" "$GPSD_PORT" 0.05
WAIT_S=20 wait_for grep -q 'gps: connected to gpsd' "$WORK/vanctld.log" || fail "did not connect once gpsd started"
WAIT_S=20 wait_for grep -q '"fix":"3d"' "$WORK/state.txt" || fail "no fix after gpsd started"
pass "connected and fixed after gpsd started"

n1=$(count_lines "$WORK/vanctld.log" 'gps: connected to gpsd')
stop_gps
WAIT_S=10 wait_for grep -q 'gps: gpsd closed the connection\|gps: no position report' "$WORK/vanctld.log" \
	|| fail "gpsd stop not noticed"
WAIT_S=10 wait_for grep -q '"fix":"lost"' "$WORK/state.txt" || fail "fix not reported lost after gpsd stopped"
pass "gpsd stop noticed; fix reported lost"

points_before=$(sql 'select count(*) from route_points')
start_gps "$TRACK" "$GPSD_PORT" 0.05
WAIT_S=20 wait_for bash -c "[ \$(grep -c 'gps: connected to gpsd' '$WORK/vanctld.log') -gt $n1 ]" \
	|| fail "did not reconnect after gpsd restart"
: > "$WORK/state.txt"
WAIT_S=20 wait_for grep -q '"fix":"3d"' "$WORK/state.txt" || fail "no fix after gpsd restart"
WAIT_S=10 wait_for bash -c "[ \$(sqlite3 '$WORK/van.db' 'select count(*) from route_points') -gt $points_before ]" \
	|| fail "no new route points after gpsd restart"
pass "reconnected after gpsd restart; points stored again"
stop_vanctld TERM || fail "vanctld exit status $?"
