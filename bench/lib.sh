# bench/lib.sh - shared helpers for the benchmarks (sourced, not run).
#
# The servers, configs and control-socket helpers are tests/integration/lib.sh's
# (sourced here, with its bench hooks: production defaults in write_conf, a
# deeper broker queue); on top, what benchmarks need: a RelWithDebInfo build,
# the small C tools in bench/, an offline-shift database, process CPU and
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
BENCH_OWN_BUILD=0              # no VAN_BINARY_DIR given: bench_build builds one
if [ -z "${VAN_BINARY_DIR:-}" ]; then
	VAN_BINARY_DIR=${BENCH_BUILD:-/var/tmp/vanctld-bench-build}
	BENCH_OWN_BUILD=1
fi
VAN_CONF_DEFAULTS=production   # write_conf: production defaults except ports/paths
UNIT_NAME="Bench van"
BROKER_CONF_EXTRA="max_queued_messages 100000"
WAIT_STEP=0.05
DUMP_LINES=20
VAN_KEEP=${BENCH_KEEP:-0}
. "$VAN_SOURCE_DIR/tests/integration/lib.sh"

fail() { echo "bench: $*" >&2; it_dump; exit 1; }
die() { fail "$@"; }
say() { echo "$*"; }

# bench_setup NAME: work directory, cleanup trap, binaries built
bench_setup() {
	mkdir -p "$BENCH_TMP"
	WORK=$(mktemp -d "$BENCH_TMP/vanbench-$1.XXXXXX")
	trap it_cleanup EXIT
	bench_build
	bench_tools
}

# bench_build: vanctld in RelWithDebInfo (optimised, with symbols for
# callgrind_annotate).  VAN_BINARY_DIR given: use it as it is.
bench_build() {
	if [ "$BENCH_OWN_BUILD" = 1 ] && [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
		cmake -S "$VAN_SOURCE_DIR" -B "$VAN_BINARY_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			>"$BENCH_TMP/vanbench-cmake.log" 2>&1 &&
		cmake --build "$VAN_BINARY_DIR" -j"$(nproc)" --target vanctld \
			>>"$BENCH_TMP/vanbench-cmake.log" 2>&1 ||
			{ tail -n 30 "$BENCH_TMP/vanbench-cmake.log" >&2; die "build failed"; }
	fi
	[ -x "$VANCTLD" ] || die "no vanctld at $VANCTLD"
	export BENCH_NO_BUILD=1 VAN_BINARY_DIR   # sub-benchmarks of run-all.sh build once
}

# bench_tools: the C helpers (msub, panic_bench, panic_floor) next to the build
bench_tools() {
	TOOLS="$VAN_BINARY_DIR/bench-tools"
	mkdir -p "$TOOLS"
	local t
	for t in msub panic_bench panic_floor; do
		if [ ! -x "$TOOLS/$t" ] || [ "$BENCH_DIR/$t.c" -nt "$TOOLS/$t" ]; then
			cc -O2 -Wall -o "$TOOLS/$t" "$BENCH_DIR/$t.c" \
				$(pkg-config --cflags --libs libmosquitto jansson) -lm || die "cannot build $t"
		fi
	done
}

# bench_vanbase: vanbase built beside vanctld (when the bench builds its
# own tree) and found; sets VANBASE
bench_vanbase() {
	if [ "$BENCH_OWN_BUILD" = 1 ]; then
		cmake --build "$VAN_BINARY_DIR" -j"$(nproc)" --target vanbase >> "$BENCH_TMP/vanbench-cmake.log" 2>&1 ||
			die "vanbase build failed"
	fi
	VANBASE="$VAN_BINARY_DIR/vanbase/vanbase"
	[ -x "$VANBASE" ] || die "no vanbase at $VANBASE"
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

# gps_done: gpsfake (-1) has fed the whole log and exited
gps_done() { ! kill -0 "$GPSFAKE_PGID" 2>/dev/null; }

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
