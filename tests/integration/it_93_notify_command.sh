#!/usr/bin/env bash
# it_93: command hooks (an SMS modem's gammu-smsd-inject, a voice-call
# system) run for real:
#  - the hook gets the alarm as JSON on stdin and its argv expanded ({to},
#    {id}), no shell; its stdout and stderr go to the log, bounded;
#  - a hook that exits 3 is retried; its exit status is the result;
#  - a hanging hook is killed at its timeout with its whole process group
#    (a background child too), while a hook started at the same moment
#    finishes at once;
#  - a missing program is a clear failure (127), not a crash.
. "$(dirname "$0")/it_9x_notify_lib.sh"
vb_setup
start_http hangrx --hang

cat > "$WORK/record.sh" <<SH
#!/bin/sh
ls -l /proc/\$\$/fd > "$WORK/fds.\$2.txt"
cat > "$WORK/stdin.\$2.json"
echo "queued SMS to \$1"
echo "modem: signal 4/5" >&2
SH
cat > "$WORK/flaky.sh" <<SH
#!/bin/sh
cat > /dev/null
if [ ! -e "$WORK/flaky.once" ]; then touch "$WORK/flaky.once"; echo "modem busy" >&2; exit 3; fi
echo "sent"
SH
cat > "$WORK/hang.sh" <<SH
#!/bin/sh
sleep 300 &
echo \$! > "$WORK/hang.child"
echo \$\$ > "$WORK/hang.pid"
sleep 300
SH
cat > "$WORK/chatty.sh" <<'SH'
#!/bin/sh
head -c 100000 /dev/zero | tr '\0' 'x'
SH
chmod +x "$WORK"/*.sh

cat > "$WORK/spec.json" <<JSON
{"channels": [
  {"name": "sms", "kind": "command", "argv": ["$WORK/record.sh", "{to}", "{id}"], "position": true},
  {"name": "flaky", "kind": "command", "argv": ["$WORK/flaky.sh"], "attempts": 3, "backoff_ms": 200},
  {"name": "hang", "kind": "command", "argv": ["$WORK/hang.sh"], "timeout_ms": 800, "attempts": 1},
  {"name": "quick", "kind": "command", "argv": ["true"]},
  {"name": "chatty", "kind": "command", "argv": ["$WORK/chatty.sh"]},
  {"name": "missing", "kind": "command", "argv": ["$WORK/no-such-program"], "attempts": 1},
  {"name": "web", "kind": "webhook", "template": "generic", "url": "http://127.0.0.1:$hangrx_PORT/",
   "timeout_ms": 1500, "attempts": 1}
 ],
 "sends": [
  {"at_ms": 0, "channel": "web", "id": "w1", "subject": "EMERGENCY"},
  {"at_ms": 300, "channel": "sms", "id": "c1", "alarm": "a9", "kind": "raise", "subject": "EMERGENCY Van 2",
   "text": "Panic \"pressed\"", "lat": 51.5, "lon": -0.125, "link": "https://base.example/#van=v2",
   "to": "+447700900456"},
  {"at_ms": 0, "channel": "flaky", "id": "c2", "subject": "EMERGENCY"},
  {"at_ms": 0, "channel": "hang", "id": "c3", "subject": "EMERGENCY"},
  {"at_ms": 0, "channel": "quick", "id": "c4", "subject": "EMERGENCY"},
  {"at_ms": 0, "channel": "chatty", "id": "c5", "subject": "EMERGENCY"},
  {"at_ms": 0, "channel": "missing", "id": "c6", "subject": "EMERGENCY"}
 ]}
JSON

drive "$WORK/spec.json"
[ "$DRIVE_RC" = 0 ] || fail "drive exited $DRIVE_RC"
r() { result "$1" "${2:-}"; }
L="$WORK/drive.log"

[ "$(r c1 ok)" = true ] && [ "$(r c1 code)" = 0 ] || fail "record hook: $(r c1)"
"$PY3" - "$WORK/stdin.c1.json" <<'PY' || fail "the hook's stdin"
import json, sys
j = json.load(open(sys.argv[1]))
want = {"id": "c1", "alarm": "a9", "kind": "raise", "subject": "EMERGENCY Van 2", "text": 'Panic "pressed"',
        "to": "+447700900456", "link": "https://base.example/#van=v2", "lat": 51.5, "lon": -0.125}
if j != want:
    raise SystemExit("FAIL stdin %s" % j)
PY
# a transfer was open when the hook started: its socket is not the hook's
WAIT_S=5 wait_for test -s "$hangrx_LOG" || fail "the webhook never reached its receiver"
grep -q socket "$WORK/fds.c1.txt" && fail "the hook inherited a socket: $(cat "$WORK/fds.c1.txt")"
grep -q 'notify sms \[c1\]: hook stdout: queued SMS to +447700900456' "$L" || fail "hook stdout not logged"
grep -q 'notify sms \[c1\]: hook stderr: modem: signal 4/5' "$L" || fail "hook stderr not logged"

[ "$(r c2 ok)" = true ] && [ "$(r c2 attempts)" = 2 ] || fail "flaky hook: $(r c2)"
grep -q 'notify flaky \[c2\]: attempt 1/3 failed: exit status 3 (exit 3).*retry in 200 ms' "$L" ||
	fail "exit status 3 not logged"
grep -q 'notify flaky \[c2\]: hook stderr: modem busy' "$L" || fail "flaky stderr"

[ "$(r c3 ok)" = false ] && [ "$(r c3 code)" = -9 ] || fail "hang hook: $(r c3)"
r c3 error | grep -q 'killed at its timeout (800 ms)' || fail "hang error: $(r c3 error)"
e=$(r c3 elapsed_ms)
[ "$e" -ge 800 ] && [ "$e" -lt 3000 ] || fail "hang hook killed after $e ms, not at 800"
grep -q 'notify hang \[c3\]: hook pid [0-9]* still running at its timeout (800 ms): killing its process group' "$L" ||
	fail "the kill is not logged"
for f in hang.pid hang.child; do
	p=$(cat "$WORK/$f") || fail "no $f"
	WAIT_S=5 wait_for sh -c "! kill -0 $p" || fail "$f ($p) still alive after the timeout"
done

[ "$(r c4 ok)" = true ] && [ "$(r c4 elapsed_ms)" -lt 800 ] || fail "quick hook delayed: $(r c4)"
[ "$(r c5 ok)" = true ] || fail "chatty hook: $(r c5)"
grep -q 'notify chatty \[c5\]: hook stdout: (95904 more bytes not kept)' "$L" || fail "output not bounded"
[ "$(r c6 ok)" = false ] && [ "$(r c6 code)" = 127 ] || fail "missing program: $(r c6)"
r c6 error | grep -q 'not found' || fail "missing program error: $(r c6 error)"
grep -q 'hook stderr: exec .*no-such-program: No such file or directory' "$L" || fail "exec error not logged"
pass "it_93: hooks get the alarm on stdin, output logged and bounded, exit status retried, a hanging hook's group killed at its timeout"
