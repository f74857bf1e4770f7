#!/usr/bin/env bash
# it_90: every webhook template, as a real HTTP receiver sees it: method,
# path, headers, JSON body; secrets from files (never in the spec); the
# position only where the channel may carry it; the Matrix transaction id
# and the generic Idempotency-Key are the notification id.
. "$(dirname "$0")/it_9x_notify_lib.sh"
vb_setup

start_http rx
U="http://127.0.0.1:$rx_PORT"
printf 'ntfy-tok\n' > "$WORK/ntfy.tok"
printf 'gotify-app-tok\n' > "$WORK/gotify.tok"
printf 'syt_matrix_tok\n' > "$WORK/matrix.tok"
printf '123456:TG-bot-tok\n' > "$WORK/tg.tok"
printf '%s/services/T000/B000/slacksecret\n' "$U" > "$WORK/slack.url"
printf 'sms-key\n' > "$WORK/sms.tok"
chmod 0640 "$WORK"/*.tok "$WORK/slack.url"

cat > "$WORK/spec.json" <<JSON
{"channels": [
  {"name": "ntfy", "kind": "webhook", "template": "ntfy", "url": "$U/ntfy", "target": "van-alarms",
   "token_file": "$WORK/ntfy.tok", "position": true},
  {"name": "gotify", "kind": "webhook", "template": "gotify", "url": "$U/gotify/", "token_file": "$WORK/gotify.tok"},
  {"name": "matrix", "kind": "webhook", "template": "matrix", "url": "$U/mx", "target": "!ops:example.org",
   "token_file": "$WORK/matrix.tok", "position": true},
  {"name": "slack", "kind": "webhook", "template": "slack", "url_file": "$WORK/slack.url"},
  {"name": "mattermost", "kind": "webhook", "template": "mattermost", "url": "$U/hooks/mm"},
  {"name": "telegram", "kind": "webhook", "template": "telegram", "url": "$U/tg", "target": "-100200",
   "token_file": "$WORK/tg.tok"},
  {"name": "generic", "kind": "webhook", "template": "generic", "url": "$U/generic", "position": true},
  {"name": "sms", "kind": "webhook", "template": "generic", "url": "$U/sms/send", "token_file": "$WORK/sms.tok",
   "fields": {"to": "{to}", "message": "{subject} {position} {link}"}, "position": true}
 ],
 "sends": [
  {"at_ms": 0, "channel": "ntfy", "id": "n1", "alarm": "a1", "kind": "raise", "subject": "EMERGENCY Van 1",
   "text": "Panic pressed", "lat": 51.5, "lon": -0.125, "link": "https://base.example/#van=v1"},
  {"at_ms": 0, "channel": "gotify", "id": "n2", "alarm": "a1", "kind": "repeat", "subject": "EMERGENCY Van 1",
   "text": "Still unacknowledged", "lat": 51.5, "lon": -0.125, "link": "https://base.example/#van=v1"},
  {"at_ms": 0, "channel": "matrix", "id": "n3.step-2", "alarm": "a1", "kind": "raise", "subject": "EMERGENCY Van 1",
   "text": "Panic pressed", "lat": 51.5, "lon": -0.125},
  {"at_ms": 0, "channel": "slack", "id": "n4", "alarm": "a2", "kind": "all_clear", "subject": "All clear: Van 1",
   "text": "Resolved by the crew"},
  {"at_ms": 0, "channel": "mattermost", "id": "n5", "alarm": "a2", "kind": "drill", "subject": "DRILL Van 1"},
  {"at_ms": 0, "channel": "telegram", "id": "n6", "alarm": "a1", "kind": "raise", "subject": "EMERGENCY Van 1",
   "text": "Panic pressed", "to": "777"},
  {"at_ms": 0, "channel": "generic", "id": "n7", "alarm": "a1", "kind": "raise", "subject": "EMERGENCY Van 1",
   "text": "Panic \"now\"", "lat": 51.5, "lon": -0.125},
  {"at_ms": 0, "channel": "sms", "id": "n8", "alarm": "a1", "kind": "raise", "subject": "EMERGENCY Van 1",
   "lat": 51.5, "lon": -0.125, "link": "https://base.example/#van=v1", "to": "+447700900123"}
 ]}
JSON

drive "$WORK/spec.json"
[ "$DRIVE_RC" = 0 ] || fail "drive exited $DRIVE_RC"
for id in n1 n2 n3.step-2 n4 n5 n6 n7 n8; do
	[ "$(result "$id" ok)" = true ] || fail "$id not delivered: $(result "$id")"
	[ "$(result "$id" code)" = 200 ] || fail "$id: status $(result "$id" code)"
done
grep -q 'tok\|slacksecret' "$WORK/drive.log" && fail "a secret appears in the log"

"$PY3" - "$rx_LOG" <<'PY' || fail "request shapes"
import json, sys
reqs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    reqs[r["path"]] = r
def get(path):
    assert path in reqs, "no request to %s (got %s)" % (path, sorted(reqs))
    r = reqs[path]
    assert r["headers"]["content-type"] == "application/json", r
    return r, json.loads(r["body"])
def check(c, msg):
    if not c:
        raise SystemExit("FAIL " + msg)

r, b = get("/ntfy")
check(r["method"] == "POST", "ntfy method")
check(r["headers"]["authorization"] == "Bearer ntfy-tok", "ntfy auth")
check(b["topic"] == "van-alarms" and b["title"] == "EMERGENCY Van 1", "ntfy topic/title %s" % b)
check(b["priority"] == 5 and b["click"] == "https://base.example/#van=v1", "ntfy prio/click")
check("51.500000,-0.125000" in b["message"], "ntfy carries the position")

r, b = get("/gotify/message")
check(r["method"] == "POST" and r["headers"]["x-gotify-key"] == "gotify-app-tok", "gotify key")
check(b["title"] == "EMERGENCY Van 1" and b["priority"] == 10, "gotify body %s" % b)
check("51.5" not in b["message"], "gotify may not carry the position")
check(b["extras"]["client::notification"]["click"]["url"] == "https://base.example/#van=v1", "gotify click")

r, b = get("/mx/_matrix/client/v3/rooms/%21ops%3Aexample.org/send/m.room.message/n3.step-2")
check(r["method"] == "PUT", "matrix PUT")
check(r["headers"]["authorization"] == "Bearer syt_matrix_tok", "matrix auth")
check(b["msgtype"] == "m.text" and b["body"].startswith("EMERGENCY Van 1\nPanic pressed\nPosition: 51.5"), "matrix body %s" % b)

r, b = get("/services/T000/B000/slacksecret")
check(r["method"] == "POST" and list(b) == ["text"], "slack body %s" % b)
check(b["text"].startswith("All clear: Van 1\nResolved by the crew"), "slack text")
r, b = get("/hooks/mm")
check(b["text"].startswith("DRILL Van 1"), "mattermost text")

r, b = get("/tg/bot123456:TG-bot-tok/sendMessage")
check(r["method"] == "POST" and b["chat_id"] == "777", "telegram chat override %s" % b)
check(b["text"].startswith("EMERGENCY Van 1\nPanic pressed"), "telegram text")

r, b = get("/generic")
check(r["headers"]["idempotency-key"] == "n7", "generic idempotency key")
check(b == {"id": "n7", "alarm": "a1", "kind": "raise", "subject": "EMERGENCY Van 1",
            "text": 'Panic "now"', "to": "", "lat": 51.5, "lon": -0.125}, "generic body %s" % b)

r, b = get("/sms/send")
check(r["headers"]["authorization"] == "Bearer sms-key", "sms auth")
check(b == {"to": "+447700900123", "message": "EMERGENCY Van 1 51.500000,-0.125000 https://base.example/#van=v1"},
      "sms body %s" % b)
check(all(r["headers"]["user-agent"].startswith("vanbase/") for r in reqs.values()), "user agent")
check(len(reqs) == 8, "8 requests, one each: %d" % len(reqs))
print("shapes ok")
PY
grep -q 'notify matrix \[n3.step-2\]: attempt 1/10 delivered: HTTP 200' "$WORK/drive.log" ||
	fail "the attempt's result is not logged"
pass "it_90: ntfy, Gotify, Matrix, Slack, Mattermost, Telegram, generic and SMS-gateway requests as the receiver saw them"
