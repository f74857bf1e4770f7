#!/bin/bash
# it_21_display: the crew display as a person sees it.  vandisplay runs in
# a private tmux server (-L, never anyone else's) at 80x24 and at 100x30,
# fed by a real vanctld (sim GPIO) with a real mosquitto; a scenario is
# driven with the display's own keys, vanctl and sim inputs, and base's
# acknowledgement over MQTT; each step's screen is captured
# (captures/NN-step-WxH.txt in the work dir; VAN_KEEP=1 keeps it) and
# checked for what a person must see.
. "$(dirname "$0")/lib.sh"
it_setup

VANCTL="$VAN_BINARY_DIR/vanctl/vanctl"
VANDISPLAY="$VAN_BINARY_DIR/display/vandisplay"
[ -x "$VANCTL" ] || fail "no vanctl at $VANCTL"
[ -x "$VANDISPLAY" ] || fail "no vandisplay at $VANDISPLAY"
command -v tmux > /dev/null || fail "tmux is needed"
SOCK="$WORK/control.sock"
TM="vanit-display-$$"
tm() { tmux -L "$TM" "$@"; }
# on the way out: ask the displays to quit (q) before the tmux server goes
quit_displays() { tmux_stop "$TM"; }
trap 'quit_displays; it_cleanup' EXIT
mkdir -p "$WORK/captures"
STEP=0

vc() { "$VANCTL" --socket "$SOCK" "$@" >> "$WORK/vanctl.log" 2>&1 || fail "vanctl $* failed: $(tail -n 3 "$WORK/vanctl.log")"; }

# capture NAME: both screens to captures/NN-NAME-WxH.txt
capture() {
	STEP=$((STEP + 1))
	local s
	for s in 80x24 100x30; do
		tm capture-pane -p -t "d$s" > "$WORK/captures/$(printf %02d "$STEP")-$1-$s.txt"
	done
}
# see SIZE REGEX [SECONDS]: wait until the screen shows REGEX
see() {
	local deadline=$(( $(date +%s) + ${3:-10} ))
	while ! tm capture-pane -p -t "d$1" | grep -qE -- "$2"; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			tm capture-pane -p -t "d$1" > "$WORK/failed-screen-$1.txt"
			cat "$WORK/failed-screen-$1.txt" >&2
			fail "the $1 screen does not show /$2/"
		fi
		sleep 0.2
	done
}
both() { see 80x24 "$@"; see 100x30 "$@"; }
# lacks SIZE REGEX: the screen does not show it now
lacks() {
	if tm capture-pane -p -t "d$1" | grep -qE -- "$2"; then
		tm capture-pane -p -t "d$1" >&2
		fail "the $1 screen shows /$2/"
	fi
}
keys() { tm send-keys -t "d$1" "${@:2}"; }
# the count as big digits: rows of block characters in the left panel
big_digits() {
	local n
	n=$(tm capture-pane -p -t "d$1" | grep -c '████')
	[ "$n" -ge 5 ] || { tm capture-pane -p -t "d$1" >&2; fail "no big digits on the $1 screen"; }
}

start_broker
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" \
	"[line.door]" "role = door" "[line.outer]" "role = beam_outer" "[line.inner]" "role = beam_inner" \
	"[line.panic]" "role = panic" "[line.hidden]" "role = panic" "covert = true" \
	"[session]" "checkin_interval = 1m" "checkin_interval_lone = 1m" "checkin_interval_risk = 1m" "checkin_reminder = 20s" "checkin_grace = 10m"
start_vanctld "$WORK/van.conf"
WAIT_S=20 wait_for test -S "$SOCK" || fail "no control socket"

echo 'set -g default-terminal tmux-256color' > "$WORK/tmux.conf"
for s in 80x24 100x30; do
	tm -f "$WORK/tmux.conf" new-session -d -s "d$s" -x "${s%x*}" -y "${s#*x}" \
		"env LANG=C.UTF-8 $VANDISPLAY --socket $SOCK -c $WORK/van.conf 2> $WORK/display-$s.err; echo \"display exit \$?\"; sleep 600"
done

note "idle: no session, the count in big digits"
both "NO SESSION"
both "ON BOARD / LIMIT"
both "none - press s to start"
big_digits 80x24
big_digits 100x30
capture idle

note "start a session with the display's keys (s, +, Enter)"
keys 100x30 s
see 100x30 "START A SESSION"
capture start-dialog
keys 100x30 + Enter
both "SESSION ON \\| crew 3"
both "Check-in +in "
both "room for 6 more"
capture session-started

note "entries through the beams (sim), then + on the display up to the limit"
vc sim door on
vc sim outer pulse 150
sleep 0.05
vc sim inner pulse 150
both "room for 5 more"
for i in 1 2 3 4 5; do keys 80x24 +; sleep 0.15; done
both "FULL - no more entries"
capture full
keys 80x24 +
both "OVER LIMIT"
both "OVER THE LIMIT: 7 on board, limit 6"
capture over-limit
keys 80x24 m
both "buzzer muted until"
capture muted
keys 80x24 -
both "FULL - no more entries"
lacks 80x24 "OVER THE LIMIT"

note "an emergency, then base acknowledges it over MQTT"
vc sim panic pulse 300
both "EMERGENCY RAISED [0-9]{2}:[0-9]{2}  -  [0-9]+:[0-9]{2}"
both "WAITING FOR BASE TO ACKNOWLEDGE"
capture emergency
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t vanctld/van1/cmd/ack -m '{"unit":"van1","by":"Sam"}'
both "BASE ACKNOWLEDGED - HELP IS COMING"
both "by Sam at "
lacks 100x30 "WAITING FOR BASE"
capture acknowledged
vc alarm clear
sleep 0.5
lacks 80x24 "EMERGENCY|ACKNOWLEDGED|[Hh]elp is coming"
lacks 100x30 "EMERGENCY|ACKNOWLEDGED|[Hh]elp is coming"

note "a covert emergency never shows"
vc sim hidden pulse 300
sleep 1.5
lacks 80x24 "EMERGENCY|ACKNOWLEDGED|[Hh]elp is coming|covert|COVERT"
lacks 100x30 "EMERGENCY|ACKNOWLEDGED|[Hh]elp is coming|covert|COVERT"
capture covert-nothing-shown
"$VANCTL" --socket "$SOCK" --json status > "$WORK/status-covert.json"
grep -q '"emergency":null' "$WORK/status-covert.json" || fail "the crew snapshot shows the covert emergency"

note "an incident from the display: category, note, the no-names reminder"
keys 80x24 i
see 80x24 "RECORD AN INCIDENT"
see 80x24 "No names"
capture incident-pick
keys 80x24 2
see 80x24 "INCIDENT: medical"
see 80x24 "NO NAMES"
keys 80x24 -l "fell on the step"
see 80x24 "fell on the step_"
capture incident-note
keys 80x24 Enter
see 80x24 "Incident \\(no names\\)"
lacks 80x24 "INCIDENT: medical"

note "resize: the screen redraws at the new size"
tm resize-window -t d80x24 -x 90 -y 26
sleep 0.5
see 80x24 "ON BOARD / LIMIT"
[ "$(tm capture-pane -p -t d80x24 | wc -l)" = 26 ] || fail "resized pane is not 26 rows"
tm capture-pane -p -t d80x24 | tail -n 1 | grep -q "q quit" || fail "no key line at the bottom after a resize"
capture resized
tm resize-window -t d80x24 -x 80 -y 24
sleep 0.5
see 80x24 "q quit"

note "the check-in falls due (1 minute): reminder, then overdue"
both "Check-in due in|CHECK-IN OVERDUE" 70
both "CHECK-IN OVERDUE" 60
capture checkin-overdue
keys 100x30 c
see 100x30 "Check-in: " 10
sleep 0.5
lacks 80x24 "CHECK-IN OVERDUE"
lacks 100x30 "CHECK-IN OVERDUE"
capture checked-in

note "base asks for a check-in"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t vanctld/van1/cmd/checkin_request -m '{"unit":"van1","by":"Sam"}'
both "BASE ASKS FOR A CHECK-IN"
capture base-asks
keys 80x24 c
sleep 1
lacks 80x24 "BASE ASKS FOR A CHECK-IN - press c"

note "the daemon dies: the display says so, and recovers when it is back"
stop_vanctld KILL || true
both "vanctld not running - reconnecting" 5
capture daemon-down
start_vanctld "$WORK/van.conf"
both "SESSION ON" 15
both "vanctld is back"
capture daemon-back

note "end the session with the display's keys: the debrief"
keys 100x30 s
see 100x30 "END THE SESSION NOW"
capture end-dialog
keys 100x30 y
both "SESSION ENDED .* DEBRIEF"
both "NO NAMES"
capture debrief

note "q quits the display only"
keys 80x24 q
keys 100x30 q
both "display exit 0"
"$VANCTL" --socket "$SOCK" status > /dev/null || fail "vanctld is not answering after the displays quit"
for s in 80x24 100x30; do
	if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error" "$WORK/display-$s.err"; then
		cat "$WORK/display-$s.err" >&2
		fail "vandisplay $s: sanitizer report"
	fi
done
stop_vanctld TERM || fail "vanctld exited with status $?"
pass "display: scenario at 80x24 and 100x30 (captures in $WORK/captures)"
