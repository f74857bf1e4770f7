#!/usr/bin/env bash
# The demo: install what is needed, build, and run vanctld on the embedded
# default - a local mosquitto on free ports (MQTT, and WebSockets serving the
# base console), gpsd fed by gpsfake with an evening track made for now,
# simulated inputs (the crew and service users: tools/demo-story.py) - and
# show the crew's display, what base sees and the story, side by side in
# tmux, with the phone of the person on call at base, paged by vanbase
# (base's escalation service) when the crew presses panic.  Base's operator
# is played by this script (it acknowledges the emergency after 12 s) unless
# you acknowledge it first in the console.
#
# The short evening (default) tells the whole story in about 7 minutes:
# people in until FULL, one more OVER THE LIMIT, a check-in at the plan's
# check-in point, a panic, base's acknowledgement, the reset, back at base,
# the session's end and its debrief.  Then the demo says it is over, and
# stops by itself a few minutes later.  Ctrl-C (or q in the display) stops
# everything this script started, by PID.
#
#   VAN_DEMO_FULL=1     the full evening instead: four stops, 31 minutes, real time
#   VAN_DEMO_NO_TMUX=1  no tmux: print base's view and the story in this terminal
#   VAN_DEMO_SECONDS=N  stop by itself after N seconds (scripted runs)
#   VAN_DEMO_BUILD=DIR  use the programs already built in DIR; install and
#                       build nothing (tests/integration/it_23_demo.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD

if [ -n "${VAN_DEMO_SPEED:-}" ]; then
	echo "demo: VAN_DEMO_SPEED is gone (the daemon's timers are real time, so a faster"
	echo "      track only broke the story); the default evening is short now,"
	echo "      VAN_DEMO_FULL=1 is the real-time 31-minute one." >&2
	exit 2
fi

CONSOLE=1
if [ -n "${VAN_DEMO_BUILD:-}" ]; then
	B=$VAN_DEMO_BUILD
	command -v node > /dev/null && [ -d base/node_modules ] || CONSOLE=0
else
	bash scripts/install-deps.sh
	# the base console: node and its locked packages (not the browser its tests use)
	VAN_NO_CHROMIUM=1 bash scripts/install-base-deps.sh > /dev/null || {
		echo "demo: the base console could not be prepared (see above): running without it" >&2
		CONSOLE=0
	}
	B=build
	cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$B" -j "$(nproc)" --target vanctld vanctl vandisplay vanbase >/dev/null
fi

WORK=$(mktemp -d /tmp/vanctld-demo.XXXXXX)
WWW=""
PIDS=()
PGIDS=()
TMUX_SOCK="vanctld-demo-$$"
cleanup() {
	trap - INT TERM HUP EXIT
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for g in "${PGIDS[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
	sleep 0.5
	for g in "${PGIDS[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	[ -n "${WWW:-}" ] && rm -rf "$WWW"
	echo
	echo "demo stopped. The evening's records, for the manager:"
	echo "  $B/vanctl/vanctl --db $WORK/van.db sessions"
	echo "  $B/vanctl/vanctl --db $WORK/van.db report last --html $WORK/report.html"
	echo "  $B/vanbase/vanbase --db $WORK/vanbase.db --socket $WORK/vanbase.sock alarms --all   (while it runs)"
	echo "Also kept in $WORK: base.txt (everything base received), vanctld.log, story.txt,"
	echo "  oncall.txt (what the on-call phone got), vanbase.log, vanbase.db"
}
trap cleanup INT TERM HUP EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }

# tonight's evening, made for now: the track, the plan around its stop times,
# the crew's and service users' inputs and the story (tools/demo-story.py)
if [ "${VAN_DEMO_FULL:-0}" = 1 ]; then VARIANT=() PARK=600; else VARIANT=(--quick) PARK=300; fi
python3 tools/make-track.py "${VARIANT[@]}" --start now --park "$PARK" -o "$WORK/evening.nmea" \
	--stops-json "$WORK/evening.stops.json" 2>/dev/null
python3 tools/demo-story.py make "$WORK/evening.stops.json" "$WORK"
sed -e "s|^plans_dir = .*|plans_dir = $WORK/plans|" -e "s|^sim_script = .*|sim_script = $WORK/inputs.sim|" \
	config/demo/demo.conf > "$WORK/demo.conf"

BROKER_PORT=$(free_port)
GPSD_PORT=$(free_port)
WS_PORT=$(free_port)
{
	echo "per_listener_settings false"
	echo "allow_anonymous true"
	echo "persistence false"
	echo "listener $BROKER_PORT 127.0.0.1"
	# the base console, served by the broker itself (docs/base.md), from a
	# folder of its own: mosquitto started as root runs as user mosquitto,
	# who may not read $WORK
	if [ "$CONSOLE" = 1 ] && WWW=$(mktemp -d /tmp/vanctld-demo-console.XXXXXX) && chmod 755 "$WWW" &&
		node base/build.mjs --out "$WWW" > "$WORK/console-build.log" 2>&1 && chmod -R a+rX "$WWW"; then
		echo "listener $WS_PORT 127.0.0.1"
		echo "protocol websockets"
		echo "http_dir $WWW"
	else
		CONSOLE=0
	fi
} > "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
wait_port "$BROKER_PORT"
CONSOLE_URL=""
if [ "$CONSOLE" = 1 ] && wait_port "$WS_PORT" 2>/dev/null; then
	CONSOLE_URL="http://127.0.0.1:$WS_PORT/"
fi

# base's view: an independent subscriber to everything the van sends
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -v -t 'vanctld/#' > "$WORK/base.txt" 2>&1 &
PIDS+=($!)

# the evening through a real gpsd, in real time: 3 sentences per 1 Hz epoch
setsid gpsfake -1 -p -P "$GPSD_PORT" -c 0.3333 -q "$WORK/evening.nmea" > "$WORK/gpsd.json" 2> "$WORK/gpsfake.log" &
GPSFAKE=$!
PGIDS+=($GPSFAKE)
wait_port "$GPSD_PORT"

# the daemon on its own clock rule (docs/time.md): the track is dated now
T0=$(date +%s.%N)
TZ=${TZ:-Europe/London} "$B/controller/vanctld" -c "$WORK/demo.conf" \
	--broker "127.0.0.1:$BROKER_PORT" --gpsd "127.0.0.1:$GPSD_PORT" --db "$WORK/van.db" \
	--socket "$WORK/control.sock" > "$WORK/vanctld.log" 2>&1 &
PIDS+=($!)

# vanbase, base's escalation service: pages "Sam", on call tonight, whose
# phone is a pane of its own (a command hook that writes what arrives)
cat > "$WORK/phone.sh" <<'SH'
#!/bin/sh
# the on-call phone: one notification as JSON on stdin -> a line a person reads
python3 -c 'import json,sys,time; n=json.load(sys.stdin); print(time.strftime("%H:%M:%S"), "|", n["subject"]); print("         ", n["text"]); print(flush=True)' >> "$(dirname "$0")/oncall.txt"
SH
chmod 0755 "$WORK/phone.sh"
echo "== Sam's phone (on call tonight; vanbase pages it)" > "$WORK/oncall.txt"
cat > "$WORK/vanbase.conf" <<CONF
[base]
name = Demo base
[mqtt]
host = 127.0.0.1
port = $BROKER_PORT
[storage]
db = $WORK/vanbase.db
[control]
socket = $WORK/vanbase.sock
[fleet]
demo-van = Demo van
[channel.phone]
kind = command
command = $WORK/phone.sh
[contact.sam]
phone = -
[rota]
on_call = sam always
[chain.emergency]
step = 0s on_call
repeat = 2m
[chain.offline]
step = 0s on_call
[chain.overdue]
step = 0s on_call
[chain.checkin]
step = 0s on_call
CONF
if [ -x "$B/vanbase/vanbase" ]; then
	"$B/vanbase/vanbase" -c "$WORK/vanbase.conf" > "$WORK/vanbase.log" 2>&1 &
	PIDS+=($!)
else
	echo "   (vanbase is not built in $B: nobody is paged)" >> "$WORK/oncall.txt"
fi

# base's operator: acknowledges an emergency 12 s after it arrives, unless
# someone at the console did first
(
	while ! grep -q '"type":"emergency.raised"' "$WORK/base.txt" 2>/dev/null; do sleep 1; done
	sleep 12
	grep -q '"acknowledged":true' "$WORK/base.txt" 2>/dev/null ||
		mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t vanctld/demo-van/cmd/ack \
			-m '{"v":1,"unit":"demo-van","id":"demo-1","by":"Sam at base (the demo script)"}'
) &
PIDS+=($!)

# the story, told as it happens
{
	echo "== the story (times from the start)"
	if [ -n "$CONSOLE_URL" ]; then
		echo "   base console: open $CONSOLE_URL in a browser, give your name, Connect"
	else
		echo "   (no base console: node or its packages are missing, see $WORK/console-build.log)"
	fi
	echo "   vanctld's log: $WORK/vanctld.log"
} > "$WORK/story.txt"
TZ=${TZ:-Europe/London} python3 tools/demo-story.py narrate "$WORK/story.json" "$T0" >> "$WORK/story.txt" &
PIDS+=($!)

echo "vanctld demo: broker 127.0.0.1:$BROKER_PORT, gpsd 127.0.0.1:$GPSD_PORT, files in $WORK"
[ -n "$CONSOLE_URL" ] && echo "base console: $CONSOLE_URL (give your name, Connect)"
echo "Try: $B/vanctl/vanctl --socket $WORK/control.sock status"

if [ -n "${VAN_DEMO_SECONDS:-}" ]; then
	sleep "$VAN_DEMO_SECONDS"
	echo "--- the story so far:"
	cat "$WORK/story.txt"
	echo "--- base's view (last 15 messages):"
	python3 tools/base-view.py < "$WORK/base.txt" | tail -n 15
	echo "--- the on-call phone:"
	cat "$WORK/oncall.txt"
	exit 0
fi

if [ "${VAN_DEMO_NO_TMUX:-0}" != 1 ] && [ -t 1 ] && command -v tmux >/dev/null; then
	T=(tmux -L "$TMUX_SOCK" -f /dev/null)
	"${T[@]}" new-session -d -s demo -x "$(tput cols)" -y "$(tput lines)" \
		"$B/display/vandisplay --socket '$WORK/control.sock'; tmux -L '$TMUX_SOCK' kill-server"
	"${T[@]}" split-window -h -t demo -l 45% \
		"echo \"== what base sees (MQTT)\"; tail -n +1 -f '$WORK/base.txt' | python3 tools/base-view.py"
	"${T[@]}" split-window -v -t demo -l 55% "tail -n +1 -f '$WORK/story.txt'"
	"${T[@]}" split-window -v -t demo -l 35% "tail -n +1 -f '$WORK/oncall.txt'"
	"${T[@]}" select-pane -t demo:0.0
	"${T[@]}" bind-key -n C-c kill-server
	# the track (with its time parked at base after the story) is over: stop
	( wait_gone() { while kill -0 "$1" 2>/dev/null; do sleep 1; done; }
	  wait_gone "$GPSFAKE"; "${T[@]}" kill-server 2>/dev/null ) &
	PIDS+=($!)
	"${T[@]}" attach -t demo || true
else
	tail -n +1 -f "$WORK/base.txt" | python3 tools/base-view.py &
	PIDS+=($!)
	tail -n +1 -f "$WORK/story.txt" &
	PIDS+=($!)
	tail -n +1 -f "$WORK/oncall.txt" &
	PIDS+=($!)
	while kill -0 "$GPSFAKE" 2>/dev/null; do sleep 1; done
fi
