#!/usr/bin/env bash
# it_92: channels that fail, against real receivers:
#  - 500 then 200: retried after the backoff, delivered, each attempt logged
#    with its status;
#  - a receiver that hangs: each attempt times out (logged), and meanwhile an
#    e-mail and another webhook sent at the same moment (and one during the
#    hang) arrive at once: one channel never delays another;
#  - connection refused: retries with a doubling, capped backoff, then gives
#    up with a clear result;
#  - 404: the request's fault, not retried;
#  - a send cancelled (the alarm was acknowledged) stops its transfer.
. "$(dirname "$0")/it_9x_notify_lib.sh"
vb_setup
make_cert
start_http flaky --answers 500,200
start_http hang --hang
start_http refuse --refuse
start_http gone --answers 404
start_http good
start_smtp mx --tls starttls --cert "$CERT" --key "$KEY"
# the hanging receiver's timeout; under valgrind TLS alone takes seconds
T=1; [ "${VAN_VALGRIND:-0}" = 1 ] && T=3
HANG_MS=$((2500 * T))

cat > "$WORK/spec.json" <<JSON
{"channels": [
  {"name": "flaky", "kind": "webhook", "template": "generic", "url": "http://127.0.0.1:$flaky_PORT/f",
   "attempts": 3, "backoff_ms": 300},
  {"name": "hang", "kind": "webhook", "template": "generic", "url": "http://127.0.0.1:$hang_PORT/h",
   "timeout_ms": $HANG_MS, "attempts": 2, "backoff_ms": 200},
  {"name": "refuse", "kind": "webhook", "template": "generic", "url": "http://127.0.0.1:$refuse_PORT/r",
   "timeout_ms": 1000, "attempts": 4, "backoff_ms": 100, "backoff_max_ms": 250},
  {"name": "gone", "kind": "webhook", "template": "generic", "url": "http://127.0.0.1:$gone_PORT/g",
   "attempts": 3, "backoff_ms": 100},
  {"name": "good", "kind": "webhook", "template": "ntfy", "url": "http://127.0.0.1:$good_PORT/", "target": "t"},
  {"name": "mail", "kind": "email", "url": "smtp://127.0.0.1:$mx_PORT", "tls": "starttls",
   "from": "base@example.org", "to": ["oncall@example.org"], "ca_file": "$CERT", "timeout_ms": 5000}
 ],
 "sends": [
  {"at_ms": 0, "channel": "flaky", "id": "flaky-1", "subject": "EMERGENCY"},
  {"at_ms": 0, "channel": "hang", "id": "hang-1", "subject": "EMERGENCY"},
  {"at_ms": 0, "channel": "hang", "id": "hang-cancel", "subject": "EMERGENCY", "cancel_at_ms": 500},
  {"at_ms": 0, "channel": "mail", "id": "mail-1", "subject": "EMERGENCY"},
  {"at_ms": 0, "channel": "good", "id": "good-1", "subject": "EMERGENCY"},
  {"at_ms": 1000, "channel": "mail", "id": "mail-2", "subject": "EMERGENCY, 2nd step"},
  {"at_ms": 0, "channel": "refuse", "id": "refuse-1", "subject": "EMERGENCY"},
  {"at_ms": 0, "channel": "gone", "id": "gone-1", "subject": "EMERGENCY"}
 ]}
JSON

drive "$WORK/spec.json"
[ "$DRIVE_RC" = 0 ] || fail "drive exited $DRIVE_RC"
r() { result "$1" "${2:-}"; }
L="$WORK/drive.log"

# 500 then 200
[ "$(r flaky-1 ok)" = true ] && [ "$(r flaky-1 attempts)" = 2 ] && [ "$(r flaky-1 code)" = 200 ] ||
	fail "500 then 200: $(r flaky-1)"
grep -q 'notify flaky \[flaky-1\]: attempt 1/3 failed: HTTP status 500.*(HTTP 500).*retry in 300 ms' "$L" ||
	fail "the 500 is not logged with its status"
grep -q 'notify flaky \[flaky-1\]: attempt 2/3 delivered: HTTP 200' "$L" || fail "the retry is not logged"
[ "$(r flaky-1 elapsed_ms)" -ge 300 ] || fail "retried before the backoff: $(r flaky-1 elapsed_ms) ms"
[ "$(grep -c '"path": "/f"' "$flaky_LOG")" = 2 ] || fail "flaky receiver saw $(grep -c . "$flaky_LOG") requests"

# hang: timeouts, while the others go on time
[ "$(r hang-1 ok)" = false ] && [ "$(r hang-1 attempts)" = 2 ] || fail "hang: $(r hang-1)"
r hang-1 error | grep -qi 'timeout\|timed out' || fail "hang error: $(r hang-1 error)"
[ "$(grep -c "notify hang \[hang-1\]: attempt [12]/2 failed: .*timed out after ${HANG_MS%??}[0-9][0-9]" "$L")" = 2 ] ||
	fail "the timeouts are not logged"
[ "$(r hang-1 elapsed_ms)" -ge $((2 * HANG_MS)) ] || fail "hang gave up before 2 timeouts: $(r hang-1 elapsed_ms)"
for id in mail-1 mail-2 good-1; do
	[ "$(r $id ok)" = true ] || fail "$id not sent: $(r $id)"
	# ~10 ms normally; the bound leaves room for a slow machine, and is
	# still well before the hang's first timeout
	[ "$(r $id elapsed_ms)" -lt $((2000 * T)) ] || fail "$id delayed by the hanging channel: $(r $id elapsed_ms) ms"
done
[ "$(r mail-2 done_at_ms)" -lt "$HANG_MS" ] || fail "mail-2 (sent during the hang) done at $(r mail-2 done_at_ms) ms"
[ "$(ls "$mx_DIR" | grep -c json)" = 2 ] || fail "the SMTP server did not get both messages"
[ "$(r hang-cancel cancelled)" = true ] && [ "$(r hang-cancel done_at_ms)" -lt $((2000 * T)) ] ||
	fail "cancel: $(r hang-cancel)"

# refused: 4 attempts, waits 100, 200, 250 (capped), then a clear result
[ "$(r refuse-1 ok)" = false ] && [ "$(r refuse-1 attempts)" = 4 ] && [ "$(r refuse-1 code)" = 0 ] ||
	fail "refused: $(r refuse-1)"
# the reason, in the result and the log: the system's "Connection refused"
# (libcurl alone says "Couldn't connect" for a refusal and a dead host alike)
r refuse-1 error | grep -qi "couldn't connect.*Connection refused" || fail "refused error: $(r refuse-1 error)"
for w in "1/4.*Connection refused.*retry in 100 ms" "2/4.*retry in 200 ms" "3/4.*retry in 250 ms" \
	"4/4 failed: .*Couldn't connect.*Connection refused.*giving up"; do
	grep -q "notify refuse \[refuse-1\]: attempt $w" "$L" || fail "refused: no log line for attempt $w"
done
[ "$(r refuse-1 elapsed_ms)" -ge 550 ] || fail "refused: backoff not kept: $(r refuse-1 elapsed_ms) ms"
# the per-attempt observer (the shell's audit trail) saw each attempt
seen=$("$PY3" -c '
import json, sys
print(" ".join("%d:%d" % (r["attempt"], r["retry_in_ms"]) for r in map(json.loads, open(sys.argv[1]))
               if r.get("attempt_of") == "refuse-1"))' "$WORK/results.jsonl")
[ "$seen" = "1:100 2:200 3:250 4:-1" ] || fail "attempts observed: $seen"

# 404: not retried
[ "$(r gone-1 ok)" = false ] && [ "$(r gone-1 attempts)" = 1 ] && [ "$(r gone-1 code)" = 404 ] ||
	fail "404: $(r gone-1)"
grep -q 'notify gone \[gone-1\]: attempt 1/3 failed: HTTP status 404.*giving up (permanent error)' "$L" ||
	fail "404 not logged as permanent"
pass "it_92: 500 retried, hang times out without delaying mail or other webhooks, refused backs off and gives up, 404 final, cancel stops"
