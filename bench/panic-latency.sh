#!/usr/bin/env bash
# bench/panic-latency.sh - panic press -> emergency at a subscriber on a
# loopback broker, while route logging runs (gpsfake replays a 10 Hz track
# in real time: gpsd -> vanctld -> filter -> SQLite + location to MQTT).
#
#   bash bench/panic-latency.sh            # PRESSES=500 by default
#
# bench/panic_bench.c presses the simulated panic line through the control
# socket and is itself the subscriber (QoS 1, CLOCK_MONOTONIC stamps); every
# press is cleared with alarm_clear, and seen cleared at base, before the
# next.  Two runs:
#   A  debounce_ms = 0 on the panic line: the daemon's own path, from the
#      input event entering the daemon to the message at base;
#   B  the default debounce_ms (10): what a crew gets with software debounce
#      (libgpiod 1.6 / the sim backend; with libgpiod 2.x the kernel
#      debounces before the event enters the daemon, as in A);
# vanctld runs at Nice=-10, as the systemd unit runs it (gpsfake, gpsd and the
# broker compete for the same CPUs; at nice 0 the p99 was their scheduling).
#   C  as A with the database on tmpfs (/dev/shm): fsync costs nothing, so
#      this shows how much of A is waiting for the disk (diagnostic only: a
#      van keeps its database on the SD card).
. "$(dirname "$0")/lib.sh"
bench_setup panic
PRESSES=${PRESSES:-500}

python3 "$VAN_SOURCE_DIR/tools/make-track.py" --rate 10 --hours 0.5 -o "$WORK/track.nmea" \
	--stops-json none > /dev/null
start_broker
start_gps "$WORK/track.nmea" "" 0.0333     # 3 sentences per 0.1 s epoch: real time

run_one() {   # run_one LABEL DB [extra INI lines]
	local label=$1 db=$2; shift 2
	rm -f "$db"*
	write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.panic]" "role = panic" "$@"
	sed -i "s|^db = .*|db = $db|" "$WORK/van.conf"
	# at the priority the unit gives it (systemd/vanctld.service: Nice=-10)
	nice -n -10 "$VANCTLD" -c "$WORK/van.conf" >> "$WORK/vanctld.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	WAIT_S=30 wait_for has_fix || die "vanctld: no GPS fix"
	WAIT_S=10 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || die "vanctld: no broker"
	sleep 2
	echo "== $label  (database: $(df -T "$(dirname "$db")" | awk 'NR==2 {print $2}'))"
	"$TOOLS/panic_bench" -p "$BROKER_PORT" -s "$WORK/control.sock" -n "$PRESSES" -o "$WORK/$label.tsv" \
		|| echo "  (panic_bench failed: see above)"
	local kept
	kept=$(sql "select count(*) from route_points" "$db")
	echo "  route logging meanwhile: $kept route points stored, $(sql "select count(*) from events where type='emergency.raised'" "$db") emergencies stored"
	kill -TERM "$pid"; wait "$pid" 2>/dev/null
	: > "$WORK/vanctld.log"
}

echo "panic latency, $PRESSES presses per run; 10 Hz track replayed in real time through gpsd"
echo "(ms; 'injected' = CLOCK_MONOTONIC stamped by the bench right before the sim command)"
echo "disk: fdatasync of 4 KiB on $BENCH_TMP: $(python3 - "$WORK" <<'PY'
import os, sys, time
fd = os.open(os.path.join(sys.argv[1], "fsync.probe"), os.O_WRONLY | os.O_CREAT, 0o600)
ts = []
for i in range(100):
    os.pwrite(fd, b"x" * 4096, (i % 16) * 4096)
    t = time.perf_counter(); os.fdatasync(fd); ts.append((time.perf_counter() - t) * 1000)
ts.sort()
print("p50 %.2f ms, p99 %.2f ms" % (ts[50], ts[98]))
PY
)"
run_one "A-debounce-0" "$WORK/van.db" "debounce_ms = 0"
run_one "B-debounce-default" "$WORK/van.db"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SHMDB=$(mktemp -d /dev/shm/vanbench.XXXXXX)
	run_one "C-debounce-0-db-on-tmpfs" "$SHMDB/van.db" "debounce_ms = 0"
	rm -rf "$SHMDB"
fi
gps_done && echo "WARNING: the track ended during the run (route logging stopped)"
exit 0
