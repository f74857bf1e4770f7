#!/usr/bin/env bash
# check-events.sh CONSOLE_LOG VARIANT - host-side checks of what gpio_vmtest
# printed in the VM (between "=== BEGIN VARIANT ===" and "=== END VARIANT ==="):
#   - the INIT and EVENT lines, in order, are exactly tests/vm/expected-events.txt
#     (door, crossings both ways, aborted crossing, ONE transition per
#     bouncing burst, no event for a short panic press, the held panic, the
#     panic held at boot reported as initial level and then released);
#   - timestamps are kernel CLOCK_MONOTONIC stamps: small (VM uptime, not
#     wall-clock time), never after delivery, non-decreasing;
#   - the held panic was delivered >= hold_ms after its (original) edge;
#   - v1 (software debounce): the bouncing contact really bounced (several RAW
#     edges within debounce_ms) and the event carries the first edge's stamp;
#     v2 (kernel debounce): the kernel passed on exactly one edge per burst;
#   - nothing was dropped, and the in-VM CHECK lines all passed.
# Prints "ok ..." / "FAIL ..." lines; exit 0 only if all pass.
set -uo pipefail
LOG=$1
V=$2
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
fails=0
ok() { echo "ok   $V: $*"; }
bad() { echo "FAIL $V: $*"; fails=$((fails + 1)); }

tr -d '\r' < "$LOG" | sed -n "/^=== BEGIN $V ===\$/,/^=== END $V ===\$/p" > "$OUT/run"
if ! grep -q "^=== END $V ===" "$OUT/run"; then
	bad "no complete output block for $V in $LOG"
	exit 1
fi

# 1. the sequence
grep -E '^(INIT|EVENT) ' "$OUT/run" | awk '{print $1, $2, $3, $4}' > "$OUT/seq"
if diff -u "$HERE/expected-events.txt" "$OUT/seq" > "$OUT/diff"; then
	ok "event sequence as expected ($(grep -c '^EVENT' "$OUT/seq") events)"
else
	bad "event sequence differs from expected-events.txt:"
	cat "$OUT/diff"
fi

# 2.-4. stamps
awk '
$1 == "EVENT" {
	ts = $5 + 0; at = $6 + 0
	if (ts <= 0 || ts > 3600000) { printf "stamp %s of %s is no VM-uptime monotonic ms\n", $5, $2; bad++ }
	if (ts > at) { printf "%s %s: stamp %d after delivery %d\n", $2, $4, ts, at; bad++ }
	if (at - ts > 2000) { printf "%s %s: delivered %d ms after its stamp\n", $2, $4, at - ts; bad++ }
	if (n++ && ts < last) { printf "%s %s: stamp %d before previous %d\n", $2, $4, ts, last; bad++ }
	last = ts
	if ($2 == "panic" && $4 == 1) {
		held = 1
		if (at - ts < 300) { printf "held panic delivered %d ms after its edge (< hold_ms 300)\n", at - ts; bad++ }
	}
}
END {
	if (!held) { print "no held panic event"; bad++ }
	exit bad ? 1 : 0
}' "$OUT/run" > "$OUT/ts" && ok "stamps monotonic kernel ms, ordered, held panic delivered >= 300 ms after its edge" ||
	{ bad "stamps:"; cat "$OUT/ts"; }

# 5. bouncing contact
api=$(awk '$1 == "API" { $1 = ""; print substr($0, 2); exit }' "$OUT/run")
nraw=$(grep -c '^RAW door_rear ' "$OUT/run")
if [ "$api" = "libgpiod 1.6 (v1 API)" ]; then
	# first burst: RAW edges before the first door_rear EVENT
	awk '
	$1 == "RAW" && $2 == "door_rear" && !done { if (!n++) first = $4; lastraw = $4 }
	$1 == "EVENT" && $2 == "door_rear" && !done { done = 1; ev = $5 }
	END {
		if (n < 4) { printf "only %d raw edges in the opening burst (did it bounce?)\n", n; exit 1 }
		if (lastraw - first >= 100) { printf "burst lasted %d ms (>= debounce_ms 100)\n", lastraw - first; exit 1 }
		if (ev != first) { printf "event stamp %d is not the first edge %d\n", ev, first; exit 1 }
		printf "%d raw edges within %d ms -> one event stamped at the first edge\n", n, lastraw - first
	}' "$OUT/run" > "$OUT/bounce" && ok "software debounce: $(cat "$OUT/bounce")" ||
		{ bad "software debounce: $(cat "$OUT/bounce")"; }
elif [ "$api" = "libgpiod 2.x" ]; then
	if [ "$nraw" = 2 ]; then
		ok "kernel debounce: the kernel passed 2 edges for the 2 bursts of door_rear"
	else
		bad "kernel debounce: $nraw edges of door_rear reached us, want 2"
	fi
else
	bad "unknown API line '$api'"
fi

# 6. nothing dropped, and the guest's own checks
grep -q '^END dropped=0$' "$OUT/run" && ok "nothing dropped" || bad "events dropped or no END line"
nchk=$(tr -d '\r' < "$LOG" | grep -c "^CHECK $V .* PASS$")
if tr -d '\r' < "$LOG" | grep "^CHECK $V " | grep -v ' PASS$'; then
	bad "in-VM checks failed (above)"
elif [ "$nchk" -lt 8 ]; then
	bad "only $nchk in-VM checks passed, want 8"
else
	ok "in-VM checks: outputs on/off on the chip, busy line, bad offset, unknown chip, permission, exit ($nchk)"
fi

[ $fails = 0 ]
