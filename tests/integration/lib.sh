# tests/integration/lib.sh - shared helpers for integration tests.
#
# Starts real servers on free loopback ports and stops them by PID (gpsfake
# by process group: it ignores a plain SIGTERM under `timeout`).  Every test
# sources this, calls it_setup, and everything it started is stopped on exit.
#
#   VAN_BINARY_DIR  build directory (vanctld, vanctl)      [set by ctest]
#   VAN_SOURCE_DIR  source tree                              [set by ctest]
#   VAN_VALGRIND=1  run vanctld under valgrind memcheck (fails on errors/leaks)
#   VAN_KEEP=1      keep the test's work directory
#
# Hooks for bench/lib.sh, which sources this (unset for the tests):
#   VAN_CONF_DEFAULTS=production  write_conf leaves the intervals at the
#                   daemon's defaults instead of the tests' short ones
#   UNIT_NAME       write_conf's unit name                  [Test van]
#   BROKER_CONF_EXTRA  lines appended to the broker's config
#   WAIT_STEP       wait_for's retry interval in seconds      [0.1]
#   DUMP_LINES      lines of each log fail shows              [40]

set -u
: "${VAN_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${VAN_BINARY_DIR:=$VAN_SOURCE_DIR/build}"
VANCTLD="$VAN_BINARY_DIR/controller/vanctld"
VANCTL="$VAN_BINARY_DIR/vanctl/vanctl"
PIDS=()
PGIDS=()

fail() { echo "FAIL: $*" >&2; it_dump; exit 1; }
pass() { echo "PASS: $*"; }
note() { echo "--- $*"; }

it_dump() {
	[ -n "${WORK:-}" ] || return 0
	for f in "$WORK"/*.log; do
		[ -f "$f" ] || continue
		echo "===== $f (last ${DUMP_LINES:-40} lines)" >&2
		tail -n "${DUMP_LINES:-40}" "$f" >&2
	done
}

it_cleanup() {
	local p
	for p in "${PGIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null   # the child of a wrapper (/usr/bin/time)
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${PGIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "${VAN_KEEP:-0}" = 1 ]; then echo "kept: $WORK" >&2; else rm -rf "$WORK"; fi
}

it_setup() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/vanit.XXXXXX")
	trap it_cleanup EXIT
	[ -x "$VANCTLD" ] || fail "no vanctld at $VANCTLD (build first)"
}

# free_port: a TCP port on 127.0.0.1 nobody listens on now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for CMD... : retry CMD every $WAIT_STEP s for up to $WAIT_S seconds (default 20)
wait_for() {
	local deadline=$(( $(date +%s) + ${WAIT_S:-20} ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep "${WAIT_STEP:-0.1}"
	done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_broker [PORT]: mosquitto on loopback; sets BROKER_PORT, BROKER_PID
start_broker() {
	BROKER_PORT=${1:-$(free_port)}
	cat > "$WORK/mosquitto.conf" <<CONF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
persistence ${BROKER_PERSIST:-false}
persistence_location $WORK/
user $(id -un)
log_dest stdout
log_type error
log_type warning
log_type notice
${BROKER_CONF_EXTRA:-}
CONF
	mosquitto -c "$WORK/mosquitto.conf" >> "$WORK/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
	wait_for port_open "$BROKER_PORT" || fail "mosquitto did not start on $BROKER_PORT"
}

stop_broker() {
	kill -TERM "$BROKER_PID" 2>/dev/null
	wait "$BROKER_PID" 2>/dev/null
}

# start_gps NMEA_FILE [PORT] [CYCLE_S]: gpsd fed by gpsfake; sets GPSD_PORT,
# GPSFAKE_PGID, GPS_JSON.  gpsfake -p: it watches gpsd itself (its JSON goes
# to $GPS_JSON, gpsfake.N.json), so it feeds from the log's first line; -1:
# exit at the end of the log.
start_gps() {
	local file=$1
	GPSD_PORT=${2:-$(free_port)}
	local cycle=${3:-0.2}
	GPS_N=$(( ${GPS_N:-0} + 1 ))
	GPS_JSON="$WORK/gpsfake.$GPS_N.json"
	setsid gpsfake -1 -p -P "$GPSD_PORT" -c "$cycle" -q "$file" > "$GPS_JSON" 2>> "$WORK/gpsfake.log" &
	GPSFAKE_PGID=$!
	PGIDS+=("$GPSFAKE_PGID")
	wait_for port_open "$GPSD_PORT" || fail "gpsd (gpsfake) did not start on $GPSD_PORT"
}

stop_gps() {
	kill -TERM -- "-$GPSFAKE_PGID" 2>/dev/null
	sleep 0.3
	kill -KILL -- "-$GPSFAKE_PGID" 2>/dev/null
	wait "$GPSFAKE_PGID" 2>/dev/null
	wait_for bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$GPSD_PORT) 2>/dev/null"
}

# start_sub TOPIC FILE [CLIENT_ID]: an independent subscriber (mosquitto_sub),
# "topic payload" per line.  With a client id it keeps a persistent session
# (QoS 1, reconnecting by itself): with BROKER_PERSIST=true it then misses
# nothing across a broker restart.
start_sub() {
	if [ -n "${3:-}" ]; then
		mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -v -q 1 -c -i "$3" -t "$1" >> "$2" 2>> "$WORK/sub.log" &
	else
		mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -v -q 1 -t "$1" >> "$2" 2>> "$WORK/sub.log" &
	fi
	PIDS+=("$!")
	SUB_PID=$!
	sleep 0.3
}

# write_conf FILE [extra INI text]: a config for tests, ports filled in; the
# tests' short intervals unless VAN_CONF_DEFAULTS=production
write_conf() {
	local f=$1; shift
	local gps_short=$'\nstale_after = 3'
	local mqtt_short=$'\nlocation_interval = 1\nstate_interval = 5'
	local track_short=$'\n\n[track]\nflush_interval = 1'
	if [ "${VAN_CONF_DEFAULTS:-test}" = production ]; then
		gps_short= mqtt_short= track_short=
	fi
	cat > "$f" <<CONF
[unit]
id = ${UNIT:-van1}
name = ${UNIT_NAME:-Test van}

[gps]
host = 127.0.0.1
port = ${GPSD_PORT:-2947}${gps_short}

[mqtt]
host = ${MQTT_HOST:-127.0.0.1}
port = ${BROKER_PORT:-1883}
prefix = vanctld
reconnect_max = 2${mqtt_short}

[storage]
db = $WORK/van.db

[control]
socket = $WORK/control.sock${track_short}
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >> "$f"
	return 0
}

# start_vanctld CONF [ARGS...]: sets VANCTLD_PID
start_vanctld() {
	local conf=$1; shift
	if [ "${VAN_VALGRIND:-0}" = 1 ]; then
		valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			"$VANCTLD" -c "$conf" -v "$@" >> "$WORK/vanctld.log" 2>&1 &
	else
		"$VANCTLD" -c "$conf" -v "$@" >> "$WORK/vanctld.log" 2>&1 &
	fi
	VANCTLD_PID=$!
	PIDS+=("$VANCTLD_PID")
}

# stop_vanctld [SIGNAL]: returns vanctld's exit status
stop_vanctld() {
	kill "-${1:-TERM}" "$VANCTLD_PID" 2>/dev/null
	local rc=0
	wait "$VANCTLD_PID" || rc=$?
	return $rc
}

# count_lines FILE REGEX
count_lines() { grep -cE "$2" "$1" 2>/dev/null || true; }

# sql QUERY [DB]: run against the test database (default $WORK/van.db)
sql() { sqlite3 -batch -noheader "${2:-$WORK/van.db}" "$1"; }

# ctl JSON [SOCKET]: one request on the control socket (default
# $WORK/control.sock), prints the reply line (independent of vanctl, so tests
# of the daemon do not depend on it).
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

# base_cmd NAME JSON: publish a command as base would
base_cmd() {
	mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "vanctld/${UNIT:-van1}/cmd/$1" -m "$2"
}

# tmux_stop SERVER: the displays in a private tmux server (-L SERVER) quit by
# their own 'q' and are waited for (up to 20 s), then the server goes, then
# anything left is killed by PID.  An ASan build runs its leak check on the
# way out; a SIGHUP from kill-server in the middle of it left vandisplay
# hung and spinning long after the test (seen in CI: 8 of them at 40% CPU
# each, which made later tests time out).
# tmux_stop SERVER SESSION...: only those sessions, and the server stays.
tmux_stop() {
	local srv=$1 p pane kids="" i alive pids="" s
	shift
	if [ $# -eq 0 ]; then
		pids=$(tmux -L "$srv" list-panes -a -F '#{pane_pid}' 2> /dev/null) || return 0
	else
		for s in "$@"; do pids="$pids $(tmux -L "$srv" list-panes -s -t "$s" -F '#{pane_pid}' 2> /dev/null)"; done
	fi
	for p in $pids; do kids="$kids $(pgrep -P "$p" -x vandisplay | tr '\n' ' ')"; done
	for p in $kids; do kill -TERM "$p" 2> /dev/null; done   # (q, without a pane to type in)
	if [ $# -eq 0 ]; then
		for pane in $(tmux -L "$srv" list-panes -a -F '#{session_name}:#{window_index}.#{pane_index}' 2> /dev/null); do
			tmux -L "$srv" send-keys -t "$pane" Escape q 2> /dev/null
		done
	fi
	for i in $(seq 200); do
		alive=0
		for p in $kids; do kill -0 "$p" 2> /dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	[ "$alive" = 0 ] || echo "--- tmux_stop: a display did not quit within 20 s: killed" >&2
	if [ $# -eq 0 ]; then
		tmux -L "$srv" kill-server 2> /dev/null
	else
		for s in "$@"; do tmux -L "$srv" kill-session -t "$s" 2> /dev/null; done
	fi
	for p in $kids $pids; do kill -KILL "$p" 2> /dev/null; done
	return 0
}

# disk_tmpfs_setup "$0" "$@": for the disk-full tests.  Runs the test again
# in a private mount namespace (skipped, exit 77, where that is not
# permitted), then it_setup and DISK, a 2 MB tmpfs unmounted at exit after
# the test's processes stop.  dsql QUERY runs against $DISK/van.db; check
# WHAT CMD... records a failure in FAILED and goes on.
disk_tmpfs_setup() {
	if [ -z "${VAN_DISK_NS:-}" ]; then
		if ! unshare -m --propagation private true 2>/dev/null; then
			echo "SKIP: cannot create a private mount namespace (unshare -m): not permitted here"
			exit 77
		fi
		VAN_DISK_NS=1 exec unshare -m --propagation private bash "$@"
	fi
	it_setup
	DISK="$WORK/disk"
	mkdir "$DISK"
	if ! mount -t tmpfs -o size=2m,mode=0700 tmpfs "$DISK" 2>"$WORK/mount.err"; then
		echo "SKIP: cannot mount a tmpfs in the private namespace: $(cat "$WORK/mount.err")"
		exit 77
	fi
	# stop everything, then unmount, then the usual cleanup
	trap 'for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; sleep 0.3; umount -l "$DISK"; it_cleanup' EXIT
	FAILED=()
}
dsql() { sqlite3 -batch -noheader "$DISK/van.db" "$1"; }
check() {
	local what=$1; shift
	if "$@"; then pass "$what"; else echo "FAIL: $what" >&2; FAILED+=("$what"); fi
}
