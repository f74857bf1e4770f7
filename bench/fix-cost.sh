#!/usr/bin/env bash
# bench/fix-cost.sh - cost per GPS fix: vanctld against gpxlogger (the floor:
# gpsd's minimal C client, writes GPX only) and against the straightforward
# Python equivalent (bench/py_equivalent.py: python3-gps, a SQLite commit
# and an MQTT publish per fix), side by side on the same gpsd stream.
#
#   bash bench/fix-cost.sh        # FIXES=10000 per rate, RATES="1 10": ~60 min
#
# Per rate, one gpsd (gpsfake) feeds six clients at once: the three peers
# natively (CPU time and peak RSS from GNU time -v) and the three under
# valgrind --tool=callgrind (instructions).  gpsfake is held (SIGSTOP) until
# all six are connected, so all get the same stream from its first line
# (gpxlogger is started last: it gives up after 5 s without data).
#
#   1 Hz: the 1 Hz track replayed at 5x (a fix every 0.2 s) with vanctld's
#         time-based settings divided by 5 (track.min_period 1 s,
#         stationary_period 24 s, flush_interval 6 s, mqtt.location_interval
#         2 s, state_interval 12 s), so it does per fix what it does at 1 Hz
#         with the defaults, in a fifth of the time.
#   10 Hz: the 10 Hz track in real time, vanctld with the defaults.
#
# Start-up cost is taken out: each rate also runs a short track (BASE_FIXES
# fixes) the same way, and per fix = (total - total_short) / (fixes -
# fixes_short), for instructions and for CPU time.  Fixes received: GPX
# trkpts (gpxlogger), rows (Python), route points kept + dropped from the
# daemon's own sd_notify STATUS (vanctld); gpsd's TPVs with a fix (gpsfake -p)
# are what was sent.  Only each client's own process is counted, not gpsd or
# the broker.
. "$(dirname "$0")/lib.sh"
bench_setup fixcost
FIXES=${FIXES:-10000}
BASE_FIXES=${BASE_FIXES:-200}
RATES=${RATES:-"1 10"}

# track RATE N OUT: the generated track cut after the cold start and N fixes
track() {
	local rate=$1 n=$2 out=$3 hours
	hours=$(python3 -c "print(max(0.5, ($2 + 60) / 3600 / $1 + 0.01))")
	[ -f "$WORK/full.$rate.nmea" ] ||
		python3 "$VAN_SOURCE_DIR/tools/make-track.py" --rate "$rate" --hours "$hours" \
			-o "$WORK/full.$rate.nmea" --stops-json none >/dev/null
	# cold start: no fix for 5 s
	awk -v keep=$(( n + 5 * rate )) '/^\$GPRMC/ { e++ } e > keep { exit } { print }' \
		"$WORK/full.$rate.nmea" > "$out"
}

gpsd_clients() { ss -Htn state established "( sport = :$GPSD_PORT )" 2>/dev/null | wc -l; }

# connected PID...: each process (or the child of a /usr/bin/time wrapper)
# has a connection to gpsd
connected() {
	local p c conns
	conns=$(ss -Htnp state established "( dport = :$GPSD_PORT )" 2>/dev/null)
	for p in "$@"; do
		c=$(pgrep -P "$p" | head -n1)
		grep -q "pid=${c:-$p}," <<< "$conns" || return 1
	done
}

# run RATE LABEL TRACK: everything in $WORK/LABEL
run() {
	local rate=$1 label=$2 trk=$3 D="$WORK/$2" cycle extra=()
	mkdir -p "$D"
	if [ "$rate" = 1 ]; then
		cycle=0.0667
		extra=("[track]" "min_period = 1" "stationary_period = 24" "flush_interval = 6"
		       "[mqtt]" "location_interval = 2" "state_interval = 12")
	else
		cycle=0.0333
	fi
	start_gps "$trk" "" "$cycle"
	kill -STOP "$GPSFAKE_PGID"
	local json=$GPS_JSON pids=() p
	for v in n c; do
		WORK=$D write_conf "$D/van-$v.conf" "${extra[@]}"
		sed -i "s|^id = .*|id = bench$v|; s|^db = .*|db = $D/van-$v.db|; s|^socket = .*|socket = $D/ctl-$v.sock|" \
			"$D/van-$v.conf"
		"$PY" "$BENCH_DIR/notify_listen.py" "$D/notify-$v.sock" "$D/notify-$v.txt" > "$D/notify-$v.ready" &
		PIDS+=("$!")
	done
	WAIT_S=10 wait_for grep -q ready "$D/notify-n.ready" || die "notify listener"
	WAIT_S=10 wait_for grep -q ready "$D/notify-c.ready" || die "notify listener"
	local CG=(valgrind --tool=callgrind --quiet)
	# native
	NOTIFY_SOCKET="$D/notify-n.sock" /usr/bin/time -v -o "$D/time.vanctld" \
		"$VANCTLD" -c "$D/van-n.conf" > "$D/vanctld-n.log" 2>&1 &
	pids+=($!)
	/usr/bin/time -v -o "$D/time.python" "$PY" "$BENCH_DIR/py_equivalent.py" "$GPSD_PORT" "$BROKER_PORT" \
		"$D/py-n.db" > "$D/python-n.log" 2>&1 &
	pids+=($!)
	# callgrind
	NOTIFY_SOCKET="$D/notify-c.sock" "${CG[@]}" --callgrind-out-file="$D/cg.vanctld" \
		"$VANCTLD" -c "$D/van-c.conf" > "$D/vanctld-c.log" 2>&1 &
	pids+=($!)
	"${CG[@]}" --callgrind-out-file="$D/cg.python" "$PY" "$BENCH_DIR/py_equivalent.py" "$GPSD_PORT" \
		"$BROKER_PORT" "$D/py-c.db" > "$D/python-c.log" 2>&1 &
	pids+=($!)
	PIDS+=("${pids[@]}")
	WAIT_S=240 wait_for connected "${pids[@]}" ||
		die "vanctld and Python did not all connect to gpsd ($(gpsd_clients) connections)"
	# gpxlogger last: it gives up after 5 s without data from gpsd
	"${CG[@]}" --callgrind-out-file="$D/cg.gpxlogger" gpxlogger -e sockets -f "$D/c.gpx" \
		"127.0.0.1:$GPSD_PORT" > "$D/gpxlogger-c.log" 2>&1 &
	pids+=($!)
	PIDS+=("$!")
	WAIT_S=30 wait_for connected "$!" ||
		die "gpxlogger (callgrind) did not connect to gpsd ($(gpsd_clients) connections)"
	/usr/bin/time -v -o "$D/time.gpxlogger" gpxlogger -e sockets -f "$D/n.gpx" "127.0.0.1:$GPSD_PORT" \
		> "$D/gpxlogger-n.log" 2>&1 &
	pids+=($!)
	PIDS+=("$!")
	WAIT_S=3 wait_for connected "$!" ||
		die "gpxlogger did not connect to gpsd ($(gpsd_clients) connections)"
	kill -CONT "$GPSFAKE_PGID"
	local n_epochs
	n_epochs=$(grep -c '^\$GPRMC' "$trk")
	WAIT_S=$(( n_epochs * 4 / (rate == 1 ? 5 : 10) / 3 + 120 )) wait_for gps_done ||
		die "gpsfake did not finish"
	sleep 12    # the daemon's next sd_notify STATUS (every 10 s) counts the last fixes
	for p in "${pids[@]}"; do
		# GNU time: signal its child; valgrind: the process itself
		local child
		child=$(pgrep -P "$p" | head -n1)
		kill -TERM "${child:-$p}" 2>/dev/null
	done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# what was sent, and what each client received
	local sent
	sent=$(grep '"class":"TPV"' "$json" | grep -c '"mode":[23]')
	{
		echo "sent	$sent"
		echo "vanctld	$(grep STATUS= "$D/notify-n.txt" | tail -n1 | sed -n 's/.*points \([0-9]*\) kept \/ \([0-9]*\) dropped.*/\1 \2/p' | awk '{print $1+$2}')	$(grep STATUS= "$D/notify-c.txt" | tail -n1 | sed -n 's/.*points \([0-9]*\) kept \/ \([0-9]*\) dropped.*/\1 \2/p' | awk '{print $1+$2}')"
		echo "gpxlogger	$(grep -c '<trkpt' "$D/n.gpx")	$(grep -c '<trkpt' "$D/c.gpx")"
		echo "python	$(sql 'select count(*) from fixes' "$D/py-n.db")	$(sql 'select count(*) from fixes' "$D/py-c.db")"
	} > "$D/received.tsv"
}

start_broker
for rate in $RATES; do
	track "$rate" "$FIXES" "$WORK/long.$rate.nmea"
	track "$rate" "$BASE_FIXES" "$WORK/short.$rate.nmea"
	echo "rate $rate Hz: short run ($BASE_FIXES fixes) ..." >&2
	run "$rate" "short.$rate" "$WORK/short.$rate.nmea"
	echo "rate $rate Hz: long run ($FIXES fixes) ..." >&2
	run "$rate" "long.$rate" "$WORK/long.$rate.nmea"
done

python3 "$BENCH_DIR/fixcost_report.py" "$WORK" "$RATES"

# where vanctld's instructions go (the long run of the last rate)
last=${RATES##* }
echo
echo "vanctld, long run at $last Hz: callgrind_annotate, top functions by own instructions (whole run):"
callgrind_annotate --threshold=90 "$WORK/long.$last/cg.vanctld" 2>/dev/null | sed -n '/^Ir/,$p' | head -n 28
if [ -n "${FIXCOST_SAVE:-}" ]; then
	mkdir -p "$FIXCOST_SAVE"
	for rate in $RATES; do cp "$WORK/long.$rate/cg.vanctld" "$FIXCOST_SAVE/callgrind.vanctld.$rate.out"; done
fi
