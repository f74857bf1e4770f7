#!/usr/bin/env bash
# The demo: install what is needed, build, and run vanctld on the embedded
# default - a local mosquitto on a free port, gpsd fed by gpsfake with the
# shipped evening track (real time: the evening is 31 minutes), simulated
# inputs (config/demo/inputs.sim: a session following the evening plan,
# people in and out at the stops, a check-in, a panic) - and show the crew's
# display and what base sees, side by side in tmux.  Base's operator is
# played by this script: it acknowledges the emergency after 15 s.
# Ctrl-C (or q in the display) stops everything this script started, by PID.
#
#   VAN_DEMO_SPEED=N   replay N times faster than real time (default 1; timers
#                      stay real, so stops and check-ins shrink accordingly)
#   VAN_DEMO_NO_TMUX=1 no tmux: print base's view in this terminal
#   VAN_DEMO_SECONDS=N stop by itself after N seconds (scripted runs)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD

bash scripts/install-deps.sh
cmake -S "$SRC" -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target vanctld vanctl vandisplay >/dev/null

WORK=$(mktemp -d /tmp/vanctld-demo.XXXXXX)
PIDS=()
PGIDS=()
TMUX_SOCK="vanctld-demo-$$"
cleanup() {
	trap - INT TERM EXIT
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for g in "${PGIDS[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
	sleep 0.5
	for g in "${PGIDS[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	echo
	echo "demo stopped. Kept in $WORK: van.db (vanctl --db $WORK/van.db sessions), base.txt, vanctld.log"
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

# the evening through a real gpsd: about 3 sentences per 1 Hz epoch
SPEED=${VAN_DEMO_SPEED:-1}
CYCLE=$(python3 -c "print(round(1.0/3/$SPEED, 4))")
setsid gpsfake -1 -p -P "$GPSD_PORT" -c "$CYCLE" -q config/demo/evening.nmea > "$WORK/gpsd.json" 2> "$WORK/gpsfake.log" &
PGIDS+=($!)
wait_port "$GPSD_PORT"

# the track is dated 21:00 tonight: the van's records follow its GPS time
VANCTLD_CLOCK=gps TZ=${TZ:-Europe/London} build/controller/vanctld -c config/demo/demo.conf \
	--broker "127.0.0.1:$BROKER_PORT" --gpsd "127.0.0.1:$GPSD_PORT" --db "$WORK/van.db" \
	--socket "$WORK/control.sock" > "$WORK/vanctld.log" 2>&1 &
PIDS+=($!)

# base's operator: acknowledges an emergency 15 s after it arrives
(
	while ! grep -q '"type":"emergency.raised"' "$WORK/base.txt" 2>/dev/null; do sleep 1; done
	sleep 15
	mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t vanctld/demo-van/cmd/ack \
		-m '{"v":1,"unit":"demo-van","id":"demo-1","by":"Sam at base"}'
) &
PIDS+=($!)

echo "vanctld demo: broker 127.0.0.1:$BROKER_PORT, gpsd 127.0.0.1:$GPSD_PORT, files in $WORK"
echo "Try: build/vanctl/vanctl --socket $WORK/control.sock status"

if [ -n "${VAN_DEMO_SECONDS:-}" ]; then
	sleep "$VAN_DEMO_SECONDS"
	echo "--- base's view (last 15 messages):"
	python3 tools/base-view.py < "$WORK/base.txt" | tail -n 15
	exit 0
fi

if [ "${VAN_DEMO_NO_TMUX:-0}" != 1 ] && [ -t 1 ] && command -v tmux >/dev/null; then
	T=(tmux -L "$TMUX_SOCK" -f /dev/null)
	"${T[@]}" new-session -d -s demo -x "$(tput cols)" -y "$(tput lines)" \
		"build/display/vandisplay --socket '$WORK/control.sock'; tmux -L '$TMUX_SOCK' kill-server"
	"${T[@]}" split-window -h -t demo -l 45% \
		"echo \"== what base sees (MQTT)\"; tail -n +1 -f '$WORK/base.txt' | python3 tools/base-view.py"
	"${T[@]}" split-window -v -t demo -l 35% \
		"echo '== vanctld log (try: build/vanctl/vanctl --socket $WORK/control.sock status)'; tail -f '$WORK/vanctld.log' | grep --line-buffered -v 'gps: mode'"
	"${T[@]}" select-pane -t demo:0.0
	"${T[@]}" bind-key -n C-c kill-server
	"${T[@]}" attach -t demo || true
else
	tail -n +1 -f "$WORK/base.txt" | python3 tools/base-view.py &
	PIDS+=($!)
	wait "${PIDS[2]}" || true
fi
