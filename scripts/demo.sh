#!/usr/bin/env bash
# The demo: install what is needed, build, and run vanctld on the embedded
# default - a local mosquitto on a free port, gpsd fed by gpsfake with the
# shipped evening track, simulated inputs - and show what the crew and base
# would see.  Ctrl-C stops everything this script started, by PID.
#
#   VAN_DEMO_SPEED=N   replay the track N times faster than real time (default 4)
#   VAN_DEMO_NO_TMUX=1 do not use tmux: print base's view in this terminal
#   VAN_DEMO_SECONDS=N stop by itself after N seconds (for scripted runs)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD

bash scripts/install-deps.sh
cmake -S "$SRC" -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target vanctld $( [ -f controller/vanctl.c ] && echo vanctl ) >/dev/null

WORK=$(mktemp -d /tmp/vanctld-demo.XXXXXX)
PIDS=()
PGIDS=()
TMUX_SESSION=""
cleanup() {
	trap - INT TERM EXIT
	[ -n "$TMUX_SESSION" ] && tmux kill-session -t "$TMUX_SESSION" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for g in "${PGIDS[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
	sleep 0.5
	for g in "${PGIDS[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	echo
	echo "demo stopped. Records kept in $WORK (database: $WORK/van.db, base's view: $WORK/base.txt)"
}
trap cleanup INT TERM EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }

BROKER_PORT=$(free_port)
GPSD_PORT=$(free_port)
cat > "$WORK/mosquitto.conf" <<CONF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
persistence false
CONF
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
wait_port "$BROKER_PORT"

# base's view: an independent subscriber to everything the van sends
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -v -t 'vanctld/#' > "$WORK/base.txt" 2>&1 &
PIDS+=($!)

# the evening replayed through a real gpsd; 1 Hz epochs of ~3 sentences
SPEED=${VAN_DEMO_SPEED:-4}
CYCLE=$(python3 -c "print(round(1.0/3/$SPEED, 4))")
setsid gpsfake -1 -p -P "$GPSD_PORT" -c "$CYCLE" -q config/demo/evening.nmea > "$WORK/gpsd.json" 2> "$WORK/gpsfake.log" &
PGIDS+=($!)
wait_port "$GPSD_PORT"

build/controller/vanctld -c config/demo/demo.conf --broker "127.0.0.1:$BROKER_PORT" \
	--gpsd "127.0.0.1:$GPSD_PORT" --db "$WORK/van.db" --socket "$WORK/control.sock" \
	> "$WORK/vanctld.log" 2>&1 &
PIDS+=($!)

echo "vanctld demo running: broker 127.0.0.1:$BROKER_PORT, gpsd 127.0.0.1:$GPSD_PORT, work dir $WORK"
echo "Ctrl-C stops everything."

if [ -n "${VAN_DEMO_SECONDS:-}" ]; then
	sleep "$VAN_DEMO_SECONDS"
	echo "--- base's view (last 15 messages):"
	tail -n 15 "$WORK/base.txt"
	exit 0
fi

if [ "${VAN_DEMO_NO_TMUX:-0}" != 1 ] && [ -t 1 ] && command -v tmux >/dev/null; then
	TMUX_SESSION="vanctld-demo-$$"
	tmux new-session -d -s "$TMUX_SESSION" -x "$(tput cols)" -y "$(tput lines)" \
		"echo \"== base's view (MQTT)\"; tail -f '$WORK/base.txt'"
	tmux split-window -v -t "$TMUX_SESSION" "echo '== vanctld log'; tail -f '$WORK/vanctld.log'"
	tmux set-option -t "$TMUX_SESSION" mouse on >/dev/null
	tmux bind-key -n C-c kill-session
	tmux attach -t "$TMUX_SESSION" || true
else
	tail -f "$WORK/base.txt" &
	PIDS+=($!)
	wait "${PIDS[2]}" || true
fi
