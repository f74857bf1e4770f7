#!/usr/bin/env bash
# it_17: plans from the crew's side.  vanctl starts a session on a named
# plan, phones in a change of route (base gets plan.changed with the reason),
# and a plan file with an error refuses the session with the problem named:
# never a session on a half-read plan.
. "$(dirname "$0")/lib.sh"
it_setup
VANCTL="$VAN_BINARY_DIR/vanctl/vanctl"
export TZ=Europe/London

mkdir -p "$WORK/plans"
cp "$VAN_SOURCE_DIR/config/demo/plans/evening.json" "$WORK/plans/"
sed 's/"radius_m": *[0-9]*/"radius_m": 5/' "$WORK/plans/evening.json" > "$WORK/plans/broken.json"
start_broker
start_sub 'vanctld/van1/#' "$WORK/sub.txt"
write_conf "$WORK/van.conf" "[session]" "plans_dir = $WORK/plans"
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "not connected"

rc=0
out=$("$VANCTL" --socket "$WORK/control.sock" session start --crew 2 --plan broken 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "a broken plan must refuse the start (exit 1), got $rc: $out"
echo "$out" | grep -q "radius_m" || fail "the refusal does not name the problem: $out"
"$VANCTL" --socket "$WORK/control.sock" --json status | python3 -c '
import json,sys; s=json.load(sys.stdin)["result"]["session"]; assert s["state"]=="idle", s' \
	|| fail "a session started on a broken plan"
pass "broken plan: start refused with the problem named; no session"

"$VANCTL" --socket "$WORK/control.sock" session start --crew 2 --plan evening >/dev/null || fail "start on the evening plan"
WAIT_S=5 wait_for grep -q '"type":"plan.started"' "$WORK/sub.txt" || fail "no plan.started at base"
"$VANCTL" --socket "$WORK/control.sock" plan skip S2 --reason police || fail "plan skip"
WAIT_S=5 wait_for grep -q '"type":"plan.changed"' "$WORK/sub.txt" || fail "no plan.changed at base"
grep '"type":"plan.changed"' "$WORK/sub.txt" | grep -q '"reason":"police"' || fail "plan.changed without the reason"
rc=0; "$VANCTL" --socket "$WORK/control.sock" plan skip S9 --reason police 2>/dev/null || rc=$?
[ $rc -eq 1 ] || fail "skipping an unknown location must be refused (exit 1), got $rc"
"$VANCTL" --socket "$WORK/control.sock" --json status | python3 -c '
import json,sys; p=json.load(sys.stdin)["result"]["plan"]; assert p and p.get("name")=="evening", p' \
	|| fail "the state does not show the plan"
pass "session on a plan; a change of route phoned in reaches base with its reason"
stop_vanctld TERM || fail "exit status $?"
