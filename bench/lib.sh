# bench/lib.sh - shared helpers for the benchmarks (sourced, not run).
#
# Helpers copied from tests/integration/lib.sh (kept separate on purpose: the
# benchmarks must not change what the tests rely on) plus what benchmarks
# need: a RelWithDebInfo build, the small C tools in bench/, process CPU and
# memory figures from /proc.
#
#   VAN_BINARY_DIR  build directory to use (default: builds one, see bench_build)
#   BENCH_TMP       where work directories go (default /var/tmp: a real disk,
#                   so SQLite commits and fsyncs cost what they cost)
#   BENCH_KEEP=1    keep the work directory

set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VAN_SOURCE_DIR=$(cd "$BENCH_DIR/.." && pwd)
: "${BENCH_TMP:=/var/tmp}"
PY=/usr/bin/python3            # Debian's python3: python3-gps and python3-paho-mqtt live there
PIDS=()
PGIDS=()

die() { echo "bench: $*" >&2; bench_dump; exit 1; }
say() { echo "$*"; }

bench_dump() {
	[ -n "${WORK:-}" ] || return 0
	for f in "$WORK"/*.log; do
		[ -f "$f" ] || continue
		echo "===== $f (last 20 lines)" >&2
		tail -n 20 "$f" >&2
	done
}

bench_cleanup() {
	local p
	for p in "${PGIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null   # the child of a /usr/bin/time wrapper
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${PGIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept: $WORK" >&2; else rm -rf "$WORK"; fi
}

# bench_setup NAME: work directory, cleanup trap, binaries built
bench_setup() {
	mkdir -p "$BENCH_TMP"
	WORK=$(mktemp -d "$BENCH_TMP/vanbench-$1.XXXXXX")
	trap bench_cleanup EXIT
	bench_build
	bench_tools
}

# bench_build: vanctld in RelWithDebInfo (optimised, with symbols for
# callgrind_annotate).  VAN_BINARY_DIR given: use it as it is.
bench_build() {
	if [ -z "${VAN_BINARY_DIR:-}" ]; then
		VAN_BINARY_DIR=${BENCH_BUILD:-/var/tmp/vanctld-bench-build}
		if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
			cmake -S "$VAN_SOURCE_DIR" -B "$VAN_BINARY_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
				>"$BENCH_TMP/vanbench-cmake.log" 2>&1 &&
			cmake --build "$VAN_BINARY_DIR" -j"$(nproc)" --target vanctld \
				>>"$BENCH_TMP/vanbench-cmake.log" 2>&1 ||
				{ tail -n 30 "$BENCH_TMP/vanbench-cmake.log" >&2; die "build failed"; }
		fi
	fi
	VANCTLD="$VAN_BINARY_DIR/controller/vanctld"
	[ -x "$VANCTLD" ] || die "no vanctld at $VANCTLD"
	export BENCH_NO_BUILD=1 VAN_BINARY_DIR   # sub-benchmarks of run-all.sh build once
}

# bench_tools: the C helpers (msub, panic_bench) next to the build
bench_tools() {
	TOOLS="$VAN_BINARY_DIR/bench-tools"
	mkdir -p "$TOOLS"
	local t
	for t in msub panic_bench; do
		if [ ! -x "$TOOLS/$t" ] || [ "$BENCH_DIR/$t.c" -nt "$TOOLS/$t" ]; then
			cc -O2 -Wall -o "$TOOLS/$t" "$BENCH_DIR/$t.c" \
				$(pkg-config --cflags --libs libmosquitto jansson) -lm || die "cannot build $t"
		fi
	done
}

# machine_info: one line per fact, for RESULTS.md
machine_info() {
	echo "- nproc: $(nproc)"
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "- kernel: $(uname -r)"
	echo "- Debian: $(cat /etc/debian_version 2>/dev/null)"
	echo "- work directory file system: $(df -T "$BENCH_TMP" | awk 'NR==2 {print $2}') ($BENCH_TMP)"
	echo "- vanctld: $(git -C "$VAN_SOURCE_DIR" rev-parse --short HEAD 2>/dev/null)$(git -C "$VAN_SOURCE_DIR" diff --quiet 2>/dev/null || echo ' + uncommitted changes'), RelWithDebInfo"
}

# ---- copied from tests/integration/lib.sh --------------------------------

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {
	local deadline=$(( $(date +%s) + ${WAIT_S:-20} ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_broker() {
	BROKER_PORT=${1:-$(free_port)}
	cat > "$WORK/mosquitto.conf" <<CONF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
log_dest stdout
log_type error
log_type warning
CONF
	mosquitto -c "$WORK/mosquitto.conf" >> "$WORK/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
	wait_for port_open "$BROKER_PORT" || die "mosquitto did not start on $BROKER_PORT"
}

stop_broker() {
	kill -TERM "$BROKER_PID" 2>/dev/null
	wait "$BROKER_PID" 2>/dev/null
}

# start_gps NMEA_FILE [PORT] [CYCLE_S]: gpsd fed by gpsfake -1 -p (its JSON
# view of the stream goes to $WORK/gpsfake.N.json); sets GPSD_PORT, GPSFAKE_PGID
start_gps() {
	local file=$1
	GPSD_PORT=${2:-$(free_port)}
	local cycle=${3:-0.2}
	GPS_N=$(( ${GPS_N:-0} + 1 ))
	GPS_JSON="$WORK/gpsfake.$GPS_N.json"
	setsid gpsfake -1 -p -P "$GPSD_PORT" -c "$cycle" -q "$file" > "$GPS_JSON" 2>> "$WORK/gpsfake.log" &
	GPSFAKE_PGID=$!
	PGIDS+=("$GPSFAKE_PGID")
	wait_for port_open "$GPSD_PORT" || die "gpsd (gpsfake) did not start on $GPSD_PORT"
}

stop_gps() {
	kill -TERM -- "-$GPSFAKE_PGID" 2>/dev/null
	sleep 0.3
	kill -KILL -- "-$GPSFAKE_PGID" 2>/dev/null
	wait "$GPSFAKE_PGID" 2>/dev/null
}

# gps_done: gpsfake (-1) has fed the whole log and exited
gps_done() { ! kill -0 "$GPSFAKE_PGID" 2>/dev/null; }

# write_conf FILE [extra INI lines]: production defaults except ports/paths
write_conf() {
	local f=$1; shift
	cat > "$f" <<CONF
[unit]
id = ${UNIT:-van1}
name = Bench van

[gps]
host = 127.0.0.1
port = ${GPSD_PORT:-2947}

[mqtt]
host = 127.0.0.1
port = ${BROKER_PORT:-1883}
prefix = vanctld
reconnect_max = 2

[storage]
db = $WORK/van.db

[control]
socket = $WORK/control.sock
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >> "$f"
	return 0
}

# ctl JSON [SOCKET]: one request on the control socket, prints the reply line
ctl() {
	python3 - "${2:-$WORK/control.sock}" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
PY
}

# has_fix [SOCKET]: the daemon reports a 2D/3D fix (control socket status)
has_fix() {
	ctl '{"cmd":"status"}' "${1:-$WORK/control.sock}" 2>/dev/null | grep -q '"fix":"[23]d"'
}

sql() { sqlite3 -batch -noheader "${2:-$WORK/van.db}" "$1"; }

# build_shift_db DB HOURS [extra INI lines]: a database as an offline shift
# of HOURS at 1 Hz leaves it, made by the daemon itself: the track replayed
# by gps.replay_file under --virtual-time (timers run as fast as possible),
# with the broker unreachable, so everything for base stays in the outbox.
build_shift_db() {
	local db=$1 hours=$2; shift 2
	local d
	d=$(mktemp -d "$WORK/shift.XXXXXX")
	python3 "$VAN_SOURCE_DIR/tools/make-track.py" --rate 1 --hours "$hours" -o "$d/shift.nmea" \
		--stops-json none > /dev/null
	(
		WORK=$d BROKER_PORT=$(free_port) GPSD_PORT=1
		write_conf "$d/van.conf" "$@"
		sed -i "s|^db = .*|db = $db|; s|^\[gps\]|[gps]\nreplay_file = $d/shift.nmea\nreplay_exit = 1|" "$d/van.conf"
		"$VANCTLD" -c "$d/van.conf" --virtual-time > "$d/vanctld.log" 2>&1
	) || { tail -n 20 "$d/vanctld.log" >&2; die "building the shift database failed"; }
	rm -rf "$d"
}

# ---- process figures from /proc ------------------------------------------

# cpu_s PID: user+system CPU seconds so far
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

# hwm_kb PID: peak resident set (VmHWM) in kB
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# write_bytes PID: bytes this process caused to be written to storage
write_bytes() { awk '/^write_bytes:/ {print $2}' "/proc/$1/io"; }

# mono_ms: CLOCK_MONOTONIC in ms (the daemon's clock)
mono_ms() { python3 -c 'import time; print(int(time.monotonic()*1000))'; }
