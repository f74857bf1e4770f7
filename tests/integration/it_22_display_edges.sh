#!/bin/bash
# it_22_display_edges: the crew display in an emergency and at the edges
# (issue 17, section 3), as a person sees it: the real vandisplay in a
# private tmux server (-L) at 80x24 and at 100x30, with xterm's 256 colours
# and with the Linux console's terminfo (TERM=linux, the Pi's own screen),
# captured with colours (capture-pane -e -N) and read cell by cell
# (display_screen.py: the band a text sits in, its width, bold, and its
# contrast on the console's own palette).
#
# Part 1 feeds exact snapshots through a stand-in for the control socket
# (fake_ctl.py, display_state.py): an emergency and base's answer, a
# planned end passed by 7 minutes inside the overdue grace, a check-in
# overdue by 6:15 with base alerted beside a two-digit count, the
# backlog young and old, a 4h12m debrief, and a session started with a
# count left from before.  Part 2 runs the same points that need the real
# daemon against vanctld and mosquitto: an emergency acknowledged over
# MQTT, cleared, then a covert one; the planned end passing; the count
# left at the end of a session.  Every pane writes what it had to cut
# ($VANDISPLAY_CLIP_LOG): nothing may be cut on any screen.
# VAN_KEEP=1 keeps the captures (captures/NN-step-PANE.txt, .ansi).
. "$(dirname "$0")/lib.sh"
it_setup

VANCTL="$VAN_BINARY_DIR/vanctl/vanctl"
VANDISPLAY="$VAN_BINARY_DIR/display/vandisplay"
HERE="$VAN_SOURCE_DIR/tests/integration"
[ -x "$VANDISPLAY" ] || fail "no vandisplay at $VANDISPLAY"
command -v tmux > /dev/null || fail "tmux is needed"
command -v infocmp > /dev/null && command -v tic > /dev/null || fail "infocmp and tic (ncurses-bin) are needed"
TM="vanit-edges-$$"
tm() { tmux -L "$TM" "$@"; }
FAKE_PID=
finish() {
	tmux_stop "$TM"
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
	it_cleanup
}
trap finish EXIT
mkdir -p "$WORK/captures"
STEP=0
PANES=

# The Linux console's terminfo without bce: curses then writes a bar's
# blanks as cells instead of erasing the line in colour, which tmux would
# keep but not show in a capture.  Colours and attributes are the console's.
infocmp linux | sed 's/bce, //' > "$WORK/linux.ti"
mkdir -p "$WORK/terminfo"
tic -o "$WORK/terminfo" "$WORK/linux.ti" || fail "cannot compile the linux terminfo"
echo 'set -g default-terminal tmux-256color' > "$WORK/tmux.conf"

# panes SOCKET PREFIX: four displays on SOCKET, PREFIX-{r,l}{80x24,100x30}
panes() {
	local s k env
	for s in 80x24 100x30; do
		for k in r l; do
			if [ $k = l ]; then env="TERM=linux TERMINFO=$WORK/terminfo"; else env=; fi
			tm -f "$WORK/tmux.conf" new-session -d -s "$2$k$s" -x "${s%x*}" -y "${s#*x}" \
				"env $env TZ=UTC LANG=C.UTF-8 VANDISPLAY_CLIP_LOG=$WORK/clip-$2$k$s.log $VANDISPLAY --socket $1 -c $WORK/van.conf 2> $WORK/display-$2$k$s.err; echo \"display exit \$?\"; sleep 600"
			PANES="$PANES $2$k$s"
		done
	done
}
palette() { case $1 in *l[0-9]*x*) echo linux ;; *) echo xterm256 ;; esac; }
size() { echo "${1##*[rl]}"; }

# see PANE REGEX [SECONDS]: wait until the pane shows REGEX
see() {
	local deadline=$(( $(date +%s) + ${3:-10} ))
	while ! tm capture-pane -p -t "$1" | grep -qE -- "$2"; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			tm capture-pane -p -t "$1" >&2
			fail "the $1 screen does not show /$2/"
		fi
		sleep 0.2
	done
}
lacks() {
	if tm capture-pane -p -t "$1" | grep -qE -- "$2"; then
		tm capture-pane -p -t "$1" >&2
		fail "the $1 screen shows /$2/"
	fi
}
all_see() { local p; for p in $SET; do see "$p" "$@"; done; }
all_lack() { local p; for p in $SET; do lacks "$p" "$@"; done; }
capture() {
	STEP=$((STEP + 1))
	local p f
	for p in $SET; do
		f="$WORK/captures/$(printf %02d "$STEP")-$1-$p"
		tm capture-pane -p -t "$p" > "$f.txt"
		tm capture-pane -p -e -N -t "$p" > "$f.ansi"
	done
}
# band PANE TEXT ARGS...: the coloured band TEXT sits in (display_screen.py)
band() {
	local p=$1 t=$2; shift 2
	tm capture-pane -p -e -N -t "$p" > "$WORK/band.ansi"
	python3 "$HERE/display_screen.py" band "$WORK/band.ansi" "$t" --palette "$(palette "$p")" "$@" \
		|| { cat "$WORK/band.ansi" >&2; fail "$p: the band of '$t' is not right"; }
}
colour() {
	tm capture-pane -p -e -N -t "$1" > "$WORK/colour.ansi"
	python3 "$HERE/display_screen.py" colour "$WORK/colour.ansi" "$2" || fail "$1: no '$2'"
}
keys() { tm send-keys -t "$1" "${@:2}"; }
no_cuts() {
	local p
	for p in $SET; do
		if [ -s "$WORK/clip-$p.log" ]; then
			cat "$WORK/clip-$p.log" >&2
			fail "$p: text was cut"
		fi
	done
}
# the emergency block: at least 5 rows at 80x24 and 7 at 100x30, the whole
# width, readable on the pane's palette
em_block() {
	local p rows
	for p in $SET; do
		case $(size "$p") in 80x24) rows=5 ;; *) rows=7 ;; esac
		band "$p" "$1" --min-rows $rows --full --min-contrast "${2:-5.5}" ${3:-}
	done
}

# ---------------------------------------------------------------- part 1
note "part 1: exact snapshots through a stand-in for vanctld"
write_conf "$WORK/van.conf" "[session]" "incident_types = medical, other"
FSOCK="$WORK/fake.sock"
ST="$WORK/state.json"
state() { python3 "$HERE/display_state.py" "$ST" "$@" || fail "bad snapshot patch"; }
state
python3 "$HERE/fake_ctl.py" "$FSOCK" "$ST" "$WORK/commands.log" > "$WORK/fake.log" 2>&1 &
FAKE_PID=$!
WAIT_S=10 wait_for test -S "$FSOCK" || fail "the stand-in did not start"
panes "$FSOCK" f
SET="fr80x24 fr100x30 fl80x24 fl100x30"

note "a normal screen: nothing cut"
all_see "SESSION ON \\| crew 2"
all_see "Planned end 17:00  \\(in [0-9:]+\\)"
capture normal

note "an emergency: a block across the screen, bold, readable on the console"
state '{"emergency": {"active": true, "id": 1750003100000, "raised_utc": 1750003100000, "duration_s": 100,
	"source": "panic", "covert": false, "repeat": 0, "presses": 1, "acknowledged": false,
	"acked_by": null, "acked_utc": null, "timing": {"broker": 1}},
	"session": {"checkin": {"overdue": true, "overdue_s": 375, "escalated": true, "due_in_s": -375}},
	"occupancy": {"occupancy": 10, "count": 10, "limit": 12}}'
all_see "EMERGENCY RAISED 15:58  -  1:4[0-9]"
all_see "WAITING FOR BASE TO ACKNOWLEDGE"
all_see "sent to base - repeated until base acknowledges"
em_block "EMERGENCY RAISED" 5.5 --bold
# the check-in row beside a two-digit count at 100x30 (it was "base alerte")
all_see "Check-in    OVERDUE \\+6:[12][0-9]  base alerted"
for p in $SET; do band "$p" "CHECK-IN OVERDUE" --full --min-contrast 4.5; done
capture emergency

note "base acknowledges: the block turns green, as large, the most visible thing"
state '{"emergency": {"acknowledged": true, "acked_by": "Sam", "acked_utc": 1750003150000}}'
all_see "BASE ACKNOWLEDGED - HELP IS COMING"
all_see "by Sam at 15:59  -  emergency 1:4[0-9]"
all_lack "WAITING FOR BASE"
em_block "BASE ACKNOWLEDGED - HELP IS COMING" 4.5
capture acknowledged

note "the emergency cleared, then a covert one acknowledged: nothing shows"
state '{"emergency": null}'
echo '{"event": "event", "type": "emergency.cleared", "data": {"id": 1750003100000, "covert": false}}' >> "$ST.events"
sleep 1
all_lack "ACKNOWLEDGED|[Hh]elp is coming|HELP IS COMING|EMERGENCY"
state '{"emergency": {"active": true, "id": 1750003300000, "raised_utc": 1750003300000, "duration_s": 5,
	"source": "panic", "covert": true, "repeat": 0, "presses": 1, "acknowledged": true,
	"acked_by": "Sam", "acked_utc": 1750003301000, "timing": {}}}'
echo '{"event": "event", "type": "emergency.acknowledged", "data": {"id": 1750003300000, "by": "Sam", "covert": true}}' >> "$ST.events"
sleep 1
all_lack "ACKNOWLEDGED|[Hh]elp is coming|HELP IS COMING|EMERGENCY|[Cc]overt"
capture covert-nothing
state '{"emergency": null}'

note "the planned end passed 7 minutes ago, inside the overdue grace"
state '{"session": {"state": "active", "remaining_s": -420, "checkin": {"overdue": false, "overdue_s": 0,
	"escalated": false, "due_in_s": 1200}}, "occupancy": {"occupancy": 3, "count": 3, "limit": 6}}'
all_see "PLANNED END PASSED \\| crew 2"
all_see "Planned end 17:00  passed 7 min ago"
all_see "PLANNED END PASSED 7 min ago - end the session \\(s\\) or extend it"
all_lack "SESSION ON|in 0:00"
for p in $SET; do band "$p" "PLANNED END PASSED 7 min ago" --full --min-contrast 4.5; done
capture end-passed
state '{"session": {"remaining_s": -20}}'
all_see "Planned end 17:00  passed just now"
state '{"session": {"state": "overdue", "remaining_s": -1320, "overdue_s": 1320}}'
all_see "SESSION OVERDUE \\| crew 2"
all_see "SESSION OVERDUE - planned end passed 22 min ago"
capture overdue
state '{"session": {"state": "active", "remaining_s": 3600, "overdue_s": 0}}'

note "the backlog: young messages on a working link are not a warning"
state '{"link": {"base": "online", "backlog": 3, "oldest_s": 2.1}}'
all_see "Not sent    up to date"
all_lack "Not sent +[0-9]+ message"
for p in $SET; do
	[ "$(colour "$p" "up to date")" = "$(colour "$p" "Not sent")" ] || fail "$p: 'up to date' is not in the label's dim colour"
done
capture backlog-young
state '{"link": {"base": "online", "backlog": 5, "oldest_s": 95}}'
all_see "Not sent    5 messages, oldest 1:[3-4][0-9]"
for p in $SET; do
	[ "$(colour "$p" "5 messages")" != "$(colour "$p" "Not sent")" ] || fail "$p: an old backlog is not shown as a warning"
done
capture backlog-old
state '{"link": {"base": "online", "backlog": 0, "oldest_s": null}}'

note "the debrief: a length is a duration, not a time of day"
state '{"session": {"state": "ended", "checkin": null, "remaining_s": 0, "ended_utc": 1750003200000},
	"occupancy": {"occupancy": 2, "count": 2},
	"last_session": {"ended_utc": 1750003200000, "duration_s": 15150, "planned_end_utc": 1750003080000,
	"entries": 14, "peak_occupancy": 5, "over_limit_events": 1, "over_limit_s": 130, "checkins": 4,
	"checkins_late": 1, "checkins_missed": 0, "stops": 6, "distance_m": 23400,
	"incidents": {"medical": 1, "other": 2}, "occupancy_at_end": 2}}'
all_see "SESSION ENDED 16:00 - DEBRIEF"
all_see "Length      4h12m  \\(planned end 15:58\\)"
all_see "Over limit  1 time\\(s\\), 2m10s"
all_see "2 STILL COUNTED ON BOARD"
all_see "\\(e = empty\\)"
all_lack "Length +[0-9]+:[0-9]"
capture debrief

note "a session started with a count left from before: the display asks"
: > "$WORK/commands.log"
keys fr80x24 s
see fr80x24 "START A SESSION"
see fr80x24 "Count at start: +2 still counted - aboard\\?"
see fr80x24 "0  nobody aboard: start at 0"
see fr80x24 "k  keep 2: they are still aboard"
keys fr80x24 Enter
see fr80x24 "First: is anyone still aboard\\?"
see fr80x24 "START A SESSION"
sleep 0.3
grep -q session_start "$WORK/commands.log" && fail "a session was started before the count was answered"
keys fr80x24 0
see fr80x24 "Count at start: 0  \\(van empty\\)"
SET=fr80x24 capture start-asks
keys fr80x24 Enter
WAIT_S=5 wait_for grep -q session_start "$WORK/commands.log" || fail "no session_start sent"
[ "$(sed -n 1p "$WORK/commands.log")" = '{"cmd": "occupancy", "empty": true, "id": 3}' ] &&
	sed -n 2p "$WORK/commands.log" | grep -q '"cmd": "session_start", "crew": 2' ||
	{ cat "$WORK/commands.log" >&2; fail "not: van empty, then the session start"; }
: > "$WORK/commands.log"
keys fr100x30 s
see fr100x30 "Count at start: +2 still counted - aboard\\?"
keys fr100x30 k
see fr100x30 "Count at start: 2  \\(kept: still aboard\\)"
keys fr100x30 Enter
WAIT_S=5 wait_for grep -q session_start "$WORK/commands.log" || fail "no session_start sent (kept)"
grep -q occupancy "$WORK/commands.log" && fail "the kept count was changed"
state '{"occupancy": {"occupancy": 0, "count": 0}}'
see fl80x24 "room for 6 more"
keys fl80x24 s
see fl80x24 "START A SESSION"
lacks fl80x24 "Count at start"
keys fl80x24 Escape
no_cuts
kill "$FAKE_PID"
FAKE_PID=
# the displays quit before their sessions go (ASan's exit leak check hung
# on the SIGHUP of a kill-session: they spun on after the test)
# shellcheck disable=SC2086  # SET: session names
tmux_stop "$TM" $SET
PANES=

# ---------------------------------------------------------------- part 2
note "part 2: the real vanctld, mosquitto and base over MQTT"
start_broker
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" \
	"[line.panic]" "role = panic" "[line.hidden]" "role = panic" "covert = true" \
	"[session]" "incident_types = medical, other"
start_vanctld "$WORK/van.conf"
SOCK="$WORK/control.sock"
WAIT_S=20 wait_for test -S "$SOCK" || fail "no control socket"
vc() { "$VANCTL" --socket "$SOCK" "$@" >> "$WORK/vanctl.log" 2>&1 || fail "vanctl $* failed: $(tail -n 3 "$WORK/vanctl.log")"; }
panes "$SOCK" d
SET="dr80x24 dr100x30 dl80x24 dl100x30"
all_see "NO SESSION"

# the planned end in 65 s: it passes during this part
END_S=$(( $(date +%s) + 65 ))
vc session start --crew 2 --until "$(date -u -d "@$END_S" +%Y-%m-%dT%H:%M:%SZ)"
all_see "SESSION ON \\| crew 2"

note "an emergency, acknowledged by base, cleared; then a covert one"
vc sim panic pulse 300
all_see "EMERGENCY RAISED .*  -  [0-9]+:[0-9]{2}"
all_see "WAITING FOR BASE TO ACKNOWLEDGE"
em_block "EMERGENCY RAISED" 5.5 --bold
capture real-emergency
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t vanctld/van1/cmd/ack -m '{"unit":"van1","by":"Sam"}'
all_see "BASE ACKNOWLEDGED - HELP IS COMING"
all_see "by Sam at "
em_block "BASE ACKNOWLEDGED - HELP IS COMING" 4.5
capture real-acknowledged
vc alarm clear
sleep 0.5
all_lack "ACKNOWLEDGED|[Hh]elp is coming|HELP IS COMING|EMERGENCY"
vc sim hidden pulse 300
sleep 1
all_lack "ACKNOWLEDGED|[Hh]elp is coming|HELP IS COMING|EMERGENCY"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t vanctld/van1/cmd/ack -m '{"unit":"van1","by":"Sam"}'
sleep 1.5
all_lack "ACKNOWLEDGED|[Hh]elp is coming|HELP IS COMING|EMERGENCY|[Cc]overt"
capture real-covert-nothing
vc alarm clear

note "mid-session on a loopback broker: the backlog is no warning"
vc occupancy set 2
for i in 1 2 3 4 5; do
	all_lack "Not sent +[0-9]+ message"
	sleep 0.5
done
all_see "Not sent    (none - all delivered|up to date)"

note "the planned end passes: said at once, while the daemon is in its grace"
WAIT_S=$(( END_S + 8 - $(date +%s) )) wait_for \
	sh -c "tmux -L $TM capture-pane -p -t dr100x30 | grep -q 'PLANNED END PASSED'" ||
	{ tm capture-pane -p -t dr100x30 >&2; fail "the planned end passed and the display did not say so"; }
[ "$(date +%s)" -le $(( END_S + 3 )) ] || fail "the planned end was shown late"
all_see "PLANNED END PASSED \\| crew 2"
all_see "Planned end [0-9:]+  passed just now"
all_lack "SESSION ON|in 0:00"
"$VANCTL" --socket "$SOCK" --json status > "$WORK/status-passed.json"
grep -q '"state":"active"' "$WORK/status-passed.json" || fail "the daemon is already overdue: this test needs its grace"
capture real-end-passed

note "the session ends with 2 counted; the next one from the display asks"
vc session end
all_see "SESSION ENDED .* DEBRIEF"
all_see "Length      [0-9]+m[0-9]{2}s  \\(planned end [0-9]{2}:[0-9]{2}\\)"
all_see "2 STILL COUNTED ON BOARD"
capture real-debrief
keys dr80x24 s
see dr80x24 "Count at start: +2 still counted - aboard\\?"
keys dr80x24 0 Enter
all_see "SESSION ON \\| crew 2"
"$VANCTL" --socket "$SOCK" --json status > "$WORK/status-new.json"
python3 - "$WORK/status-new.json" <<'PY' || fail "the new session did not start at 0 with clean figures"
import json, sys
s = json.load(open(sys.argv[1]))["result"]
o = s["occupancy"]
assert o["occupancy"] == 0 and o["count"] == 0, o
assert o["corrections"] == 0, o
assert s["session"]["state"] == "active", s["session"]
PY
capture real-started-at-0
no_cuts

for p in $PANES; do
	if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error" "$WORK/display-$p.err" 2>/dev/null; then
		cat "$WORK/display-$p.err" >&2
		fail "vandisplay $p: sanitizer report"
	fi
done
stop_vanctld TERM || fail "vanctld exited with status $?"
pass "display edges: emergency, planned end, clipping, debrief, backlog, carried count at 80x24 and 100x30 (xterm-256 and the Linux console)"
