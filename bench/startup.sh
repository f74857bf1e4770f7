#!/usr/bin/env bash
# bench/startup.sh - start-up to READY: from exec of vanctld to its
# sd_notify("READY=1") arriving on a notification socket, as systemd would
# see it (bench/startup_ready.py plays systemd's part).
#
#   bash bench/startup.sh            # RUNS=30 starts per case
#
# Cases: a first start (no database yet: created and migrated), a restart on
# the database an 8-hour offline shift leaves (its outbox full), and a start
# with neither gpsd nor the broker reachable.  READY never waits for a fix.
. "$(dirname "$0")/lib.sh"
bench_setup startup
RUNS=${RUNS:-30}
export WORK

start_broker
start_gps "$VAN_SOURCE_DIR/config/demo/evening.nmea" "" 0.3
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.panic]" "role = panic"
WAIT_S=10 wait_for port_open "$GPSD_PORT"

echo "building the database of an 8-hour offline shift ..." >&2
build_shift_db "$WORK/shift.db" 8
echo "start-up to READY=1 (exec -> datagram), $RUNS starts per case; gpsd (gpsfake) and the broker up unless said:"
"$PY" "$BENCH_DIR/startup_ready.py" "$RUNS" "first start (database created)" \
	--prepare "rm -f '$WORK/van.db' '$WORK/van.db-wal' '$WORK/van.db-shm'" -- "$VANCTLD" -c "$WORK/van.conf"
"$PY" "$BENCH_DIR/startup_ready.py" "$RUNS" "restart, 8 h shift in the database" \
	--prepare "cp '$WORK/shift.db' '$WORK/van.db'; rm -f '$WORK/van.db-wal' '$WORK/van.db-shm'" \
	-- "$VANCTLD" -c "$WORK/van.conf"
echo "  (the 8 h database: $(du -k "$WORK/shift.db" | cut -f1) kB, $(sql 'select count(*) from outbox' "$WORK/shift.db") messages in the outbox, $(sql 'select count(*) from route_points' "$WORK/shift.db") route points)"
DEAD=$(free_port)
sed -e "s/^port = $GPSD_PORT\$/port = $DEAD/" -e "s/^port = $BROKER_PORT\$/port = $DEAD/" "$WORK/van.conf" > "$WORK/van-dead.conf"
"$PY" "$BENCH_DIR/startup_ready.py" "$RUNS" "gpsd and broker unreachable" \
	--prepare "rm -f '$WORK/van.db' '$WORK/van.db-wal' '$WORK/van.db-shm'" -- "$VANCTLD" -c "$WORK/van-dead.conf"
