#!/usr/bin/env bash
# it_91: e-mail through a real SMTP server on loopback (aiosmtpd):
#  - STARTTLS required + AUTH from a password file: the message arrives under
#    TLS, authenticated, with Date, From, To, Subject, Message-ID (from the
#    notification id), the envelope as configured; req->to overrides To;
#  - implicit TLS (smtps://) the same;
#  - a server that offers no STARTTLS: the channel refuses to send in clear
#    (permanent error, one attempt, said plainly);
#  - a wrong password: AUTH fails, reported with the SMTP reply.
. "$(dirname "$0")/it_9x_notify_lib.sh"
vb_setup
make_cert
start_smtp st --tls starttls --cert "$CERT" --key "$KEY" --user vanbase --password 'pa ss:w0rd'
start_smtp im --tls implicit --cert "$CERT" --key "$KEY" --user vanbase --password 'pa ss:w0rd'
start_smtp pl --tls none
printf 'pa ss:w0rd\n' > "$WORK/smtp.pw"
printf 'wrong\n' > "$WORK/bad.pw"
chmod 0640 "$WORK"/*.pw

cat > "$WORK/spec.json" <<JSON
{"channels": [
  {"name": "mail", "kind": "email", "url": "smtp://127.0.0.1:$st_PORT", "tls": "starttls",
   "from": "base@outreach.example.org", "to": ["oncall@example.org", "manager@example.org"],
   "user": "vanbase", "password_file": "$WORK/smtp.pw", "ca_file": "$CERT", "position": true,
   "timeout_ms": 5000},
  {"name": "smtps", "kind": "email", "url": "smtps://127.0.0.1:$im_PORT", "tls": "implicit",
   "from": "base@outreach.example.org", "to": ["oncall@example.org"],
   "user": "vanbase", "password_file": "$WORK/smtp.pw", "ca_file": "$CERT", "timeout_ms": 5000},
  {"name": "cleartext", "kind": "email", "url": "smtp://127.0.0.1:$pl_PORT", "tls": "starttls",
   "from": "base@outreach.example.org", "to": ["oncall@example.org"], "timeout_ms": 5000},
  {"name": "badpw", "kind": "email", "url": "smtp://127.0.0.1:$st_PORT", "tls": "starttls",
   "from": "base@outreach.example.org", "to": ["oncall@example.org"],
   "user": "vanbase", "password_file": "$WORK/bad.pw", "ca_file": "$CERT", "timeout_ms": 5000,
   "attempts": 2, "backoff_ms": 100}
 ],
 "sends": [
  {"at_ms": 0, "channel": "mail", "id": "a7-s0-p2", "alarm": "a7", "kind": "raise",
   "subject": "EMERGENCY: Van 1 (covert)", "text": "Covert alarm. Do not call the van.",
   "lat": 51.5, "lon": -0.125, "link": "https://base.example/#van=v1"},
  {"at_ms": 0, "channel": "smtps", "id": "a7-s1-p3", "alarm": "a7", "kind": "repeat",
   "subject": "EMERGENCY: Van 1", "text": "Still unacknowledged", "to": "second@example.org"},
  {"at_ms": 0, "channel": "cleartext", "id": "a7-clear", "alarm": "a7", "kind": "raise", "subject": "x"},
  {"at_ms": 0, "channel": "badpw", "id": "a7-badpw", "alarm": "a7", "kind": "raise", "subject": "x"}
 ]}
JSON

drive "$WORK/spec.json"
[ "$DRIVE_RC" = 0 ] || fail "drive exited $DRIVE_RC"
[ "$(result a7-s0-p2 ok)" = true ] || fail "STARTTLS mail not sent: $(result a7-s0-p2)"
[ "$(result a7-s0-p2 code)" = 250 ] || fail "SMTP reply: $(result a7-s0-p2 code)"
[ "$(result a7-s1-p3 ok)" = true ] || fail "smtps mail not sent: $(result a7-s1-p3)"
[ "$(result a7-clear ok)" = false ] || fail "sent in clear to a server without STARTTLS"
[ "$(result a7-clear attempts)" = 1 ] || fail "no STARTTLS should be permanent: $(result a7-clear)"
result a7-clear error | grep -qi 'ssl\|tls' || fail "no-STARTTLS error unclear: $(result a7-clear error)"
[ "$(result a7-badpw ok)" = false ] || fail "a wrong password was accepted"
result a7-badpw error | grep -qi 'login\|auth' || fail "auth error unclear: $(result a7-badpw error)"
[ -z "$(ls "$pl_DIR" 2>/dev/null)" ] || fail "the cleartext server got a message"
grep -q 'pa ss:w0rd' "$WORK/drive.log" && fail "the password appears in the log"

"$PY3" - "$st_DIR" "$im_DIR" <<'PY' || fail "messages"
import email, email.policy, glob, json, sys
def msgs(d):
    return [json.load(open(f)) for f in sorted(glob.glob(d + "/*.json"))]
def check(c, m):
    if not c:
        raise SystemExit("FAIL " + m)
st, im = msgs(sys.argv[1]), msgs(sys.argv[2])
check(len(st) == 1 and len(im) == 1, "one message each: %d %d" % (len(st), len(im)))
r = st[0]
check(r["tls"] and r["auth"] and r["login"] == "vanbase", "STARTTLS + AUTH: %s" % r)
check(r["mail_from"] == "base@outreach.example.org", "MAIL FROM %s" % r["mail_from"])
check(r["rcpt_tos"] == ["oncall@example.org", "manager@example.org"], "RCPT TO %s" % r["rcpt_tos"])
m = email.message_from_string(r["data"], policy=email.policy.default)
check(m["Subject"] == "EMERGENCY: Van 1 (covert)", "Subject %s" % m["Subject"])
check(m["Message-ID"] == "<a7-s0-p2.vanbase@outreach.example.org>", "Message-ID %s" % m["Message-ID"])
check(m["From"] == "base@outreach.example.org", "From")
check(m["To"].addresses[1].addr_spec == "manager@example.org", "To %s" % m["To"])
check(m["Date"].datetime is not None and m["Date"].datetime.utcoffset().total_seconds() == 0, "Date %s" % m["Date"])
check(m["X-Vanbase-Alarm"] == "a7" and m["X-Vanbase-Kind"] == "raise", "X-Vanbase-*")
body = m.get_content()
check("Do not call the van." in body and "Position: 51.500000,-0.125000" in body
      and "https://base.example/#van=v1" in body, "body %r" % body)
r = im[0]
check(r["tls"] and r["auth"], "implicit TLS + AUTH")
check(r["rcpt_tos"] == ["second@example.org"], "to override %s" % r["rcpt_tos"])
m = email.message_from_string(r["data"], policy=email.policy.default)
check(m["To"] == "second@example.org" and "Position" not in m.get_content(), "smtps message")
print("messages ok")
PY
grep -q 'notify mail \[a7-s0-p2\]: attempt 1/10 delivered: SMTP 250' "$WORK/drive.log" || fail "SMTP reply not logged"
pass "it_91: e-mail over STARTTLS and smtps with AUTH arrives with the right headers; no STARTTLS or a bad password fail plainly"
