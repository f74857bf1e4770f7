#!/usr/bin/env bash
# bench/backlog.sh - after HOURS (default 8) offline at 1 Hz, how long until
# base has the whole outbox, emergencies first, on a loopback broker.
#
#   bash bench/backlog.sh
#
# 1. The backlog is built by the daemon itself: an 8-hour 1 Hz track replayed
#    (gps.replay_file) under --virtual-time with the broker unreachable, with
#    mqtt.location_interval = 1 (a location message for every fix: the most
#    a 1 Hz shift can queue), a panic press 4 h in (not acknowledged: it is
#    re-sent every alarm.repeat, 30 s) and the crew's reset 10 min later.
# 2. Twice, from a copy of that database: a fresh broker and a subscriber
#    (bench/msub.c, CLOCK_MONOTONIC stamps) on vanctld/van1/#, then vanctld
#    starts (gpsd unreachable: nothing new but state) and connects.  Timed
#    from its connection (its "online" at base) to the last backlog message
#    at base and to the outbox table being empty; checked: every event and
#    every location kept, emergencies before anything of normal priority.
#    Run A with the default mqtt.backlog_location_keep (60 s: one location a
#    minute is kept), run B with 0 (all 28,800 kept).
. "$(dirname "$0")/lib.sh"
bench_setup backlog
HOURS=${HOURS:-8}
SECS=$(python3 -c "print(int($HOURS * 3600))")

cat > "$WORK/sim.script" <<EOF
$(( SECS / 2 )) panic pulse 200
$(( SECS / 2 + 600 )) reset pulse 3000
EOF
SIMCONF=("[gpio]" "backend = sim" "sim_script = $WORK/sim.script" "[line.panic]" "role = panic"
	 "[line.reset]" "role = reset")
echo "building the outbox of $HOURS h offline at 1 Hz (the daemon, replay under virtual time) ..." >&2
t0=$(date +%s)
build_shift_db "$WORK/shift.db" "$HOURS" "${SIMCONF[@]}" "[mqtt]" "location_interval = 1" "backlog_location_keep = 0"
echo "  built in $(( $(date +%s) - t0 )) s" >&2

deliver() {   # deliver LABEL KEEP_S
	local label=$1 keep=$2
	rm -f "$WORK"/van.db*
	cp "$WORK/shift.db" "$WORK/van.db"
	[ -f "$WORK/shift.db-wal" ] && cp "$WORK/shift.db-wal" "$WORK/van.db-wal"
	local db="$WORK/van.db"
	{
		echo "max_event_seq $(sql 'select coalesce(max(seq),0) from events' "$db")"
		echo "events $(sql 'select count(*) from outbox where kind=0' "$db")"
		echo "emergencies $(sql 'select count(*) from outbox where kind=0 and prio=2' "$db")"
		echo "locations $(sql 'select count(*) from outbox where kind=1' "$db")"
		echo "max_location_seq $(sql "select coalesce(max(json_extract(payload,'\$.seq')),0) from outbox where kind=1" "$db")"
	} > "$WORK/expect.$label"
	start_broker
	"$TOOLS/msub" -p "$BROKER_PORT" -q 1 -o "$WORK/sub.$label.tsv" -t 'vanctld/van1/#' > "$WORK/msub.ready" 2>>"$WORK/msub.log" &
	local sub=$!
	PIDS+=("$sub")
	WAIT_S=10 wait_for grep -q ready "$WORK/msub.ready" || die "subscriber"
	GPSD_PORT=$(free_port) write_conf "$WORK/van.conf" "${SIMCONF[@]}" "[mqtt]" "backlog_location_keep = $keep"
	"$PY" "$BENCH_DIR/backlog_poll.py" "$db" 120 > "$WORK/empty.$label" &
	local poll=$!
	"$VANCTLD" -c "$WORK/van.conf" > "$WORK/vanctld.$label.log" 2>&1 &
	local van=$!
	PIDS+=("$van")
	wait "$poll" || die "$label: the outbox did not empty within 120 s: $(cat "$WORK/empty.$label")"
	# let the subscriber take the rest of what is in flight
	local n=-1
	while [ "$n" != "$(stat -c %s "$WORK/sub.$label.tsv")" ]; do n=$(stat -c %s "$WORK/sub.$label.tsv"); sleep 1; done
	kill -TERM "$van"; wait "$van" 2>/dev/null
	kill -TERM "$sub"; wait "$sub" 2>/dev/null
	stop_broker
	local thinned
	thinned=$(sed -n 's/.*thinned the offline location backlog by \([0-9]*\) messages.*/\1/p' "$WORK/vanctld.$label.log")
	echo "thinned ${thinned:-0}" >> "$WORK/expect.$label"
	echo "== $label: mqtt.backlog_location_keep = $keep s"
	python3 "$BENCH_DIR/backlog_report.py" "$WORK/sub.$label.tsv" "$WORK/expect.$label" \
		"$(cut -d' ' -f2 "$WORK/empty.$label")" || echo "  CHECK FAILED (above)"
}

echo "backlog after $HOURS h offline at 1 Hz, delivered to a loopback broker (target: under 3 s):"
deliver "A-keep-60" 60
deliver "B-keep-all" 0
