#!/usr/bin/env bash
# it_95_vanbase - an emergency reaches people on call through vanbase, with
# every part real: vanctld as the van (sim inputs), mosquitto, vanbase, a
# webhook receiver (generic JSON), an SMTP server (aiosmtpd) and a command
# hook.  What a person at base relies on:
#   - a panic at the van reaches the on-call person on every channel of the
#     first step, and the second step reaches the next contact on time;
#   - `vanbase ack` stops the chain and the crew sees "base acknowledged";
#   - the crew's clear sends an all-clear to everyone who was told;
#   - SIGKILL of vanbase in the middle of a chain: after the restart the
#     chain goes on, no step lost, none sent twice;
#   - a covert emergency says so and says not to call the van;
#   - a drill (`vanbase test`) reaches the test roster only;
#   - everything is in vanbase's database (alarm, audit, each attempt's
#     result); garbage on the broker is refused without harm.
. "$(dirname "$0")/it_9x_notify_lib.sh"
VANBASE="$VAN_BINARY_DIR/vanbase/vanbase"
vb_setup
[ -x "$VANBASE" ] || fail "no vanbase at $VANBASE"
[ -x "$VANCTLD" ] || fail "no vanctld at $VANCTLD"

start_broker
start_http hook
dead_PORT=$(free_port)   # nobody listens: connections refused
start_smtp mx --tls none
cat > "$WORK/pager.sh" <<'SH'
#!/bin/sh
# the SMS modem's stand-in: one JSON line per notification
cat >> "$(dirname "$0")/pager.jsonl"; echo >> "$(dirname "$0")/pager.jsonl"
SH
chmod 0755 "$WORK/pager.sh"

cat > "$WORK/vanbase.conf" <<CONF
[base]
name = Test base
[mqtt]
host = 127.0.0.1
port = $BROKER_PORT
reconnect_max = 2
[storage]
db = $WORK/vanbase.db
[control]
socket = $WORK/vanbase.sock
[fleet]
van1 = Test van
[console]
url = https://base.example.org/console/

[channel.push]
kind = webhook
template = generic
url = http://127.0.0.1:$hook_PORT/push
position = true
timeout = 3s
[channel.mail]
kind = email
url = smtp://127.0.0.1:$mx_PORT
tls = none
from = base@example.org
[channel.sms]
kind = command
command = $WORK/pager.sh {to}
# a push service that is down (nothing listens there): it must not delay the SMS
[channel.deadpush]
kind = webhook
template = generic
url = http://127.0.0.1:$dead_PORT/push
timeout = 1s
attempts = 3
backoff = 500ms

[contact.sam]
push = sam
mail = sam@example.org
[contact.alex]
sms = +447700900001
deadpush = alex
[contact.drill]
test = true
mail = drill@example.org

[rota]
on_call = sam always
second = alex always
[test_rota]
on_call = drill always

[chain.emergency]
step = 0s on_call
step = 3s second
repeat = 60s
CONF
"$VANBASE" -c "$WORK/vanbase.conf" --check-config > "$WORK/check.log" 2>&1 || { cat "$WORK/check.log"; fail "config refused"; }

start_vanbase() {
	if [ "${VAN_VALGRIND:-0}" = 1 ]; then
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no \
			"$VANBASE" -c "$WORK/vanbase.conf" -v >> "$WORK/vanbase.log" 2>&1 &
	else
		"$VANBASE" -c "$WORK/vanbase.conf" -v >> "$WORK/vanbase.log" 2>&1 &
	fi
	VANBASE_PID=$!
	PIDS+=("$VANBASE_PID")
	WAIT_S=30 wait_for "$VANBASE" -c "$WORK/vanbase.conf" status || fail "vanbase did not answer"
	WAIT_S=30 wait_for bash -c "'$VANBASE' -c '$WORK/vanbase.conf' status | grep -q '\"broker\": true'" ||
		fail "vanbase did not reach the broker"
}
vb() { "$VANBASE" -c "$WORK/vanbase.conf" "$@"; }
# n_req PATH_REGEX TEXT_REGEX: webhook requests seen
n_req() {
	"$PY3" - "$hook_LOG" "$1" "${2:-}" <<'PY'
import json, re, sys
n = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if re.search(sys.argv[2], r["path"]) and re.search(sys.argv[3], r.get("body", "")):
            n += 1
except FileNotFoundError:
    pass
print(n)
PY
}
# ge N CMD...: CMD prints a number of at least N (for wait_for: run afresh each try)
ge() { local n=$1; shift; [ "$("$@")" -ge "$n" ]; }
eq() { local want=$1; shift; [ "$("$@")" = "$want" ]; }
n_mail() { grep -l -- "$1" "$mx_DIR"/*.json 2>/dev/null | wc -l; }
n_sms() { grep -c -- "$1" "$WORK/pager.jsonl" 2>/dev/null || echo 0; }
vsql() { sqlite3 -batch -noheader "$WORK/vanbase.db" "$1"; }

write_conf "$WORK/van.conf" "[alarm]" "duress_code = bluebird" "repeat = 30"
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for "$VANCTL" --socket "$WORK/control.sock" status || fail "vanctld did not start"
start_vanbase

# ---- 1. panic: the first step on every channel of the on-call person ----
"$VANCTL" --socket "$WORK/control.sock" panic > /dev/null || fail "vanctl panic"
WAIT_S=10 wait_for ge 1 n_req /push EMERGENCY || fail "no webhook for the emergency"
WAIT_S=10 wait_for ge 1 n_mail EMERGENCY || fail "no e-mail for the emergency"
alarm=$(vsql "SELECT id FROM alarm WHERE kind = 'emergency' ORDER BY raised_utc_ms DESC LIMIT 1")
[ -n "$alarm" ] || fail "no alarm row in vanbase's database"
pass "a panic reaches the on-call person by webhook and e-mail (alarm $alarm)"
"$PY3" - "$hook_LOG" <<'PY' || fail "webhook payload"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][0]
b = json.loads(r["body"])
assert r["method"] == "POST", r
assert b["alarm"].endswith("emergency-1") and "van1" in b["text"], b
assert "link" in b and b["link"].startswith("https://base.example.org/console/#van=van1"), b
assert r["headers"].get("idempotency-key") == b["id"], r["headers"]
PY
pass "the webhook carries the alarm, the console link and an idempotency key"
[ "$(n_sms EMERGENCY)" = 0 ] || fail "the second contact was paged before the second step"

# ---- 2. SIGKILL in the middle of the chain: the second step still comes, once ----
kill -KILL "$VANBASE_PID"; wait "$VANBASE_PID" 2>/dev/null
start_vanbase
WAIT_S=15 wait_for ge 1 n_sms EMERGENCY || fail "the second step was lost across the SIGKILL"
sleep 1
[ "$(n_sms EMERGENCY)" = 1 ] || fail "the second step was sent $(n_sms EMERGENCY) times"
[ "$(n_req /push EMERGENCY)" = 1 ] || fail "the first step was sent again after the restart"
grep -q "alarm(s) restored" "$WORK/vanbase.log" || fail "vanbase did not say it restored its alarms"
pass "SIGKILL mid-chain: the next step comes once after the restart, the first is not repeated"
# the dead push service: retried, logged with why, recorded as failed; the SMS went regardless
WAIT_S=15 wait_for grep -q "notify deadpush .*failed" "$WORK/vanbase.log" || fail "no failed attempt of the dead channel logged"
WAIT_S=15 wait_for eq failed vsql "SELECT state FROM notification WHERE channel = 'deadpush' AND alarm_id = '$alarm'" ||
	fail "the dead channel's notification: $(vsql "SELECT state, attempts, result FROM notification WHERE channel = 'deadpush'")"
[ "$(vsql "SELECT attempts FROM notification WHERE channel = 'deadpush' AND alarm_id = '$alarm'")" = 3 ] ||
	fail "the dead channel was not retried 3 times"
pass "a push service that refuses connections: retried and recorded as failed, the SMS of the same step on time"

# ---- 3. ack from the command line: the chain stops, the crew sees it ----
vb ack "$alarm" --by "Pat at base" > "$WORK/ack.json" || fail "vanbase ack"
grep -q '"state": "acknowledged"' "$WORK/ack.json" || fail "ack reply: $(cat "$WORK/ack.json")"
WAIT_S=10 wait_for bash -c "'$VANCTL' --socket '$WORK/control.sock' status | grep -q 'base acknowledged (Pat at base)'" ||
	fail "the crew does not see base's acknowledgement: $("$VANCTL" --socket "$WORK/control.sock" status | sed -n 2p)"
pass "vanbase ack: the van shows 'base acknowledged (Pat at base)'"

# ---- 4. the crew clears it: all-clear to everyone who was told ----
"$VANCTL" --socket "$WORK/control.sock" alarm clear > /dev/null || fail "vanctl alarm clear"
WAIT_S=10 wait_for ge 1 n_req /push 'ALL CLEAR' || fail "no all-clear by webhook"
WAIT_S=10 wait_for ge 1 n_mail 'ALL CLEAR' || fail "no all-clear by e-mail"
WAIT_S=10 wait_for ge 1 n_sms 'ALL CLEAR' || fail "no all-clear to the second contact"
state=$(vsql "SELECT state FROM alarm WHERE id = '$alarm'")
[ "$state" = resolved ] || fail "alarm state $state, not resolved"
pass "the crew's clear: an all-clear on every channel that was told; the alarm is resolved"

# the record: audit trail and each attempt's result
vsql "SELECT what FROM audit WHERE alarm_id = '$alarm' ORDER BY n" > "$WORK/audit.txt"
for w in raised notify notified acknowledged resolved; do
	grep -qx "$w" "$WORK/audit.txt" || fail "audit trail lacks '$w': $(tr '\n' ' ' < "$WORK/audit.txt")"
done
[ "$(vsql "SELECT count(*) FROM notification WHERE alarm_id = '$alarm' AND state = 'sent' AND result LIKE 'HTTP 200%'")" -ge 2 ] ||
	fail "webhook results not recorded: $(vsql "SELECT id, state, result FROM notification")"
[ "$(vsql "SELECT count(*) FROM notification WHERE alarm_id = '$alarm' AND state != 'sent' AND channel != 'deadpush'")" = 0 ] ||
	fail "notifications not all sent: $(vsql "SELECT id, state, result FROM notification WHERE state != 'sent'")"
pass "vanbase's database holds the alarm, its audit trail and every attempt's result"

# closing a resolved alarm (the usual end: the crew cleared it, a person
# closes it with a note): the row says so, the note is kept, it leaves the
# open list
vb close "$alarm" --by "Pat at base" --note "crew safe, debriefed" > /dev/null || fail "vanbase close"
[ "$(vsql "SELECT state || '|' || note || '|' || (closed_utc_ms > 0) FROM alarm WHERE id = '$alarm'")" = "closed|crew safe, debriefed|1" ] ||
	fail "closed alarm row: $(vsql "SELECT state, note, closed_utc_ms FROM alarm WHERE id = '$alarm'")"
[ "$(vsql "SELECT json_extract(detail, '$.state') FROM alarm WHERE id = '$alarm'")" = closed ] || fail "the alarm's view is not closed"
vb alarms | grep -q "\"$alarm\"" && fail "a closed alarm is still listed as open"
pass "vanbase close: a resolved alarm is closed with its note, and leaves the open list"

# ---- 5. covert: the crew's duress word ----
"$VANCTL" --socket "$WORK/control.sock" session start --crew 2 > /dev/null || fail "session start"
"$VANCTL" --socket "$WORK/control.sock" checkin --code bluebird > /dev/null 2>&1 || true
WAIT_S=10 wait_for ge 1 n_req /push COVERT || fail "no notification of the covert emergency"
"$PY3" - "$hook_LOG" <<'PY' || fail "covert text"
import json, sys
bodies = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
c = [b for b in bodies if "COVERT" in b["text"]][0]
assert "Do NOT call the van" in c["text"], c["text"]
assert "covert" in c["subject"], c["subject"]
PY
pass "a covert emergency says so plainly and says not to call the van openly"

# ---- 6. a drill reaches the test roster only ----
before_push=$(n_req /push .)
vb test --by "Drill lead" > "$WORK/drill.json" || fail "vanbase test"
WAIT_S=10 wait_for ge 1 n_mail DRILL || fail "the drill did not reach the test contact"
grep -l DRILL "$mx_DIR"/*.json | xargs grep -l 'drill@example.org' > /dev/null || fail "drill mail not to the test contact"
sleep 1
[ "$(n_req /push DRILL)" = 0 ] || fail "the drill paged the live on-call person"
pass "vanbase test: the drill reaches the test roster, not the live one ($before_push live webhooks before, none for it)"

# ---- 7. hostile input on the broker ----
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t vanctld/van1/state -m '{"session": [1,2' || true
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t vanctld/intruder/emergency -m '{"active": true}' || true
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t 'vanctld/bad unit/event' -m '{}' || true
WAIT_S=5 wait_for grep -q "refused a message" "$WORK/vanbase.log" || fail "garbage not refused in the log"
vb status > /dev/null || fail "vanbase died on garbage"
[ "$(vsql "SELECT count(*) FROM alarm WHERE unit = 'intruder'")" = 0 ] || fail "an unknown van raised an alarm"
pass "malformed and unknown-van messages are refused with a warning; vanbase carries on"

# ---- SIGHUP: a good edit is taken, a bad one keeps what runs ----
sed -i 's/^second = alex always$/second = alex always\nthird = sam always/' "$WORK/vanbase.conf"
kill -HUP "$VANBASE_PID"
WAIT_S=5 wait_for grep -q "reload: people, rota, chains and channels re-read" "$WORK/vanbase.log" ||
	fail "SIGHUP did not re-read the config"
printf '[chain.emergency]\nstep = 0s nobody_at_all\n' >> "$WORK/vanbase.conf"
kill -HUP "$VANBASE_PID"
WAIT_S=5 wait_for grep -q "keeping the running configuration" "$WORK/vanbase.log" || fail "a bad reload was not refused"
grep -q "vanbase.conf:[0-9]*: \[chain.emergency\] step: 'nobody_at_all'" "$WORK/vanbase.log" ||
	fail "the bad reload's problem has no FILE:LINE"
vb status > /dev/null || fail "vanbase died on a bad reload"
pass "SIGHUP re-reads people, rota and chains; a bad file is refused at its line and changes nothing"

# ---- stop cleanly: offline published, database sound ----
kill -TERM "$VANBASE_PID"; wait "$VANBASE_PID" || fail "vanbase exit status $? (99: valgrind found errors or leaks, see vanbase.log)"
[ "$(vsql 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
pass "it_95: an emergency reaches a person on call, and everything about it is on record"
