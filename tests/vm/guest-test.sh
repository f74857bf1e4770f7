#!/bin/sh
# guest-test.sh BIN VARIANT - runs INSIDE the test VM (busybox sh), once per
# build of gpio_vmtest (v1 = libgpiod 1.6, v2 = libgpiod 2.x).
#
# Starts BIN on /vm/vmtest.conf, waits until it holds the lines, then moves
# the lines of the gpio-sim chip through its sysfs "pull" files like a van
# would: door, beam crossings both ways, an aborted crossing, a bouncing
# contact, a short and a held panic, the panic that was held at boot, a
# button.  Prints the program's output between "=== BEGIN/END VARIANT ==="
# for the host (tests/vm/check-events.sh) and "CHECK VARIANT NAME PASS|FAIL"
# for what is checked here: outputs driven on the chip, a second instance
# refused (line busy), a bad offset, an unknown chip, no permission.
#
# Environment (from /init): VAN_SYS = /sys/devices/platform/gpio-sim.N/gpiochipM,
# VAN_CHIP = gpiochipM.
BIN=$1
V=$2
SYS=$VAN_SYS
CHIP=$VAN_CHIP
S=0.3         # between scenario steps: far above every debounce and hold
B=0.15        # between the two beams of a crossing

pull() { echo "$2" > "$SYS/sim_gpio$1/pull"; }
up() { pull "$1" pull-up; }
down() { pull "$1" pull-down; }
val() { cat "$SYS/sim_gpio$1/value"; }
check() {
	if eval "$2"; then echo "CHECK $V $1 PASS"; else echo "CHECK $V $1 FAIL"; fi
}

# Before the program starts, every line is pulled to its ACTIVE level.  The
# bias the program requests (pull-up for doors and buttons, pull-down for
# beams) must bring them to idle, so INIT shows them inactive.  Only the
# covert panic (bias as-is) keeps its level: held since "boot".
down 0; down 1; up 2; up 3; down 4; down 5; down 6

LOG=/tmp/ev-$V.log
"$BIN" /vm/vmtest.conf > "$LOG" 2>&1 &
PID=$!
i=0
until grep -q '^READY' "$LOG"; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 $PID 2>/dev/null; then
		echo "CHECK $V ready FAIL"
		cat "$LOG"
		exit 1
	fi
	sleep 0.1
done
echo "CHECK $V ready PASS"

# outputs were driven on: entry light and alarm high, buzzer (active-low) low
check outputs_on '[ "$(val 8)" = 1 ] && [ "$(val 9)" = 0 ] && [ "$(val 10)" = 1 ]'

# a second instance cannot take the lines
"$BIN" /vm/vmtest.conf > /tmp/busy-$V.log 2>&1
check busy_line "grep -q 'OPEN-ERROR -16 \\[line.door_side\\]: line 0 on $CHIP is held by another program (\"vmtest\"; see gpioinfo $CHIP)' /tmp/busy-$V.log"

# door opens and closes
down 0; sleep $S; up 0; sleep $S
# crossing in: outer, inner, outer clear, inner clear
up 2; sleep $B; up 3; sleep $B; down 2; sleep $B; down 3; sleep $S
# crossing out: inner, outer, inner clear, outer clear
up 3; sleep $B; up 2; sleep $B; down 3; sleep $B; down 2; sleep $S
# aborted: outer only
up 2; sleep $B; down 2; sleep $S
# the rear door contact bounces when it opens and when it closes (shell
# builtins: the edges come within a few ms, debounce_ms is 100)
down 1; up 1; down 1; up 1; down 1; up 1; down 1; sleep $S
up 1; down 1; up 1; down 1; up 1; sleep $S
# panic pressed too briefly for hold_ms = 300: nothing
down 5; sleep 0.1; up 5; sleep 0.5
# panic held
down 5; sleep 0.8; up 5; sleep $S
# the covert panic held since boot is let go
up 6; sleep $S
# check-in button
down 4; sleep $B; up 4; sleep $S

kill -USR1 $PID; sleep $S
check outputs_off '[ "$(val 8)" = 0 ] && [ "$(val 9)" = 1 ] && [ "$(val 10)" = 0 ]'
kill -TERM $PID
wait $PID
check exit_status "[ $? = 0 ]"
echo "=== BEGIN $V ==="
cat "$LOG"
echo "=== END $V ==="

# start-up failures, each with one clear message
"$BIN" /vm/vmtest-badoffset.conf > /tmp/bad-$V.log 2>&1
check bad_offset "grep -q 'OPEN-ERROR -22 \\[line.beam_b\\]: offset 40 is out of range: $CHIP \\[vansim\\] has 16 lines (0..15)' /tmp/bad-$V.log"
"$BIN" /vm/vmtest-nochip.conf > /tmp/nochip-$V.log 2>&1
check unknown_chip "grep -q \"OPEN-ERROR -2 \\[line.door_side\\]: GPIO chip 'vansim2' not found\" /tmp/nochip-$V.log"
su van -s /bin/sh -c "$BIN /vm/vmtest.conf" > /tmp/acces-$V.log 2>&1
check permission "grep -q 'OPEN-ERROR -13 \\[line.door_side\\]: permission denied opening /dev/$CHIP.*gpio group' /tmp/acces-$V.log"
for f in busy bad nochip acces; do
	echo "--- $f-$V:"; cat /tmp/$f-$V.log
done
exit 0
