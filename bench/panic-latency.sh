#!/usr/bin/env bash
# bench/panic-latency.sh - panic press -> emergency at a subscriber on a
# loopback broker, while route logging runs (gpsfake replays a 10 Hz track
# in real time: gpsd -> vanctld -> filter -> SQLite + location to MQTT),
# side by side with the floor: bench/panic_floor.c, a minimal C program that
# only publishes the emergency through libmosquitto when the same press
# arrives.
#
#   bash bench/panic-latency.sh     # PRESSES=500 RUNS=3 BUSY=1 EXTRA=1
#
# bench/panic_bench.c presses the simulated panic line through the control
# socket and is itself the subscriber (QoS 1, CLOCK_MONOTONIC stamps); every
# press is cleared with alarm_clear, and seen cleared at base, before the
# next.  The daemon stamps each stage in us (docs/mqtt.md, the retained
# emergency's timing; "written" from the control socket's status), so the
# bench reports p50/p90/p99/max per stage.  Runs, each of PRESSES presses:
#   floor / A  RUNS times, alternating: the floor, then vanctld with
#              debounce_ms = 0 on the panic line (the daemon's own path);
#   busy       BUSY=1: one floor and one A run with one core kept busy by
#              a spinning process at nice 0 (the machine has 2);
#   B, C       EXTRA=1: B the default debounce_ms (10: what a crew gets with
#              software debounce; libgpiod 2.x debounces in the kernel, as
#              in A); C as A with the database on tmpfs (/dev/shm: how much
#              is the disk; diagnostic only).
# vanctld runs at Nice=-10, as the systemd unit runs it, and so does the
# floor.  The load average is printed before every run: a figure taken while
# something else ran is not a quiet-machine figure.
. "$(dirname "$0")/lib.sh"
bench_setup panic
PRESSES=${PRESSES:-500}
RUNS=${RUNS:-3}
BUSY=${BUSY:-1}
EXTRA=${EXTRA:-1}

python3 "$VAN_SOURCE_DIR/tools/make-track.py" --rate 10 --hours 1 -o "$WORK/track.nmea" \
	--stops-json none > /dev/null
start_broker
start_gps "$WORK/track.nmea" "" 0.0333     # 3 sentences per 0.1 s epoch: real time

load() { cut -d' ' -f1-3 /proc/loadavg; }

press() {   # press LABEL SOCKET
	echo "== $1  (load average before: $(load))"
	"$TOOLS/panic_bench" -p "$BROKER_PORT" -s "$2" -n "$PRESSES" -o "$WORK/${1%% *}.tsv" \
		|| echo "  (panic_bench failed: see above)"
}

run_floor() {   # run_floor LABEL
	nice -n -10 "$TOOLS/panic_floor" -p "$BROKER_PORT" -s "$WORK/floor.sock" > "$WORK/floor.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	WAIT_S=10 wait_for grep -q ready "$WORK/floor.log" || die "panic_floor did not start"
	sleep 1
	press "$1" "$WORK/floor.sock"
	kill -TERM "$pid"; wait "$pid" 2>/dev/null
}

run_van() {   # run_van LABEL DB [extra INI lines]
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
	press "$label  (database: $(df -T "$(dirname "$db")" | awk 'NR==2 {print $2}'))" "$WORK/control.sock"
	echo "  route logging meanwhile: $(sql "select count(*) from route_points" "$db") route points stored," \
		"$(sql "select count(*) from events where type='emergency.raised'" "$db") emergencies stored"
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
for r in $(seq 1 "$RUNS"); do
	run_floor "floor-$r"
	run_van "A-$r-debounce-0" "$WORK/van.db" "debounce_ms = 0"
done
if [ "$BUSY" = 1 ]; then
	( trap 'exit 0' TERM; while :; do :; done ) &
	SPIN=$!
	PIDS+=("$SPIN")
	echo "(one core busy from here: pid $SPIN spins at nice 0)"
	run_floor "floor-busy"
	run_van "A-busy-debounce-0" "$WORK/van.db" "debounce_ms = 0"
	kill "$SPIN"; wait "$SPIN" 2>/dev/null
fi
if [ "$EXTRA" = 1 ]; then
	run_van "B-debounce-default" "$WORK/van.db"
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		SHMDB=$(mktemp -d /dev/shm/vanbench.XXXXXX)
		run_van "C-debounce-0-db-on-tmpfs" "$SHMDB/van.db" "debounce_ms = 0"
		rm -rf "$SHMDB"
	fi
fi
gps_done && echo "WARNING: the track ended during the run (route logging stopped)"
echo "summary: injected -> first emergency message (ms), per run and pooled over the quiet runs"
python3 - "$WORK" <<'PY'
import csv, glob, os, sys
def firsts(path):
    rows = list(csv.DictReader(open(path), delimiter='\t'))
    return [min(int(r['ev_ns']), int(r['em_ns'])) - int(r['inj_ns']) for r in rows]
def line(label, v):
    v = sorted(v)
    pct = lambda p: v[int(p * (len(v) - 1) + 0.5)] / 1e6
    print("  %-30s n=%4d  p50 %6.3f  p90 %6.3f  p99 %6.3f  max %6.3f" % (label, len(v), pct(.5), pct(.9), pct(.99), v[-1] / 1e6))
    return pct(.99)
files = sorted(glob.glob(os.path.join(sys.argv[1], '*.tsv')))
for f in files:
    line(os.path.basename(f)[:-4], firsts(f))
pool = lambda pre: [x for f in files if os.path.basename(f).startswith(pre) and 'busy' not in f for x in firsts(f)]
fl, van = pool('floor-'), pool('A-')
if fl and van:
    a = line('pooled: floor (quiet runs)', fl)
    b = line('pooled: vanctld (quiet runs)', van)
    print("  vanctld / floor, p99 pooled: %.2fx (target: within 1.5x; p99 under 2 ms)" % (b / a))
PY
exit 0
