#!/usr/bin/python3
"""vb_smtp_server.py - a real SMTP server (Debian's python3-aiosmtpd) for
the it_9x tests.  Saves each message it accepts as DIR/N.json: envelope
(mail_from, rcpt_tos), the raw message, whether the session was under TLS,
and who authenticated.

  --tls starttls   plain listener that offers STARTTLS and requires it
  --tls implicit   TLS from the first byte (smtps)
  --tls none       no TLS
  --user U --password P   require AUTH (only under TLS with starttls/implicit)
Writes READY once it serves.  Stop it with SIGTERM.
"""
import argparse, json, os, signal, ssl, sys, threading, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--ready", required=True)
ap.add_argument("--tls", default="starttls", choices=["starttls", "implicit", "none"])
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--user")
ap.add_argument("--password")
a = ap.parse_args()
os.makedirs(a.dir, exist_ok=True)
count = [0]
lock = threading.Lock()


class Handler:
    async def handle_DATA(self, server, session, envelope):
        with lock:
            i = count[0]
            count[0] += 1
        rec = {"n": i, "t": time.monotonic(), "mail_from": envelope.mail_from,
               "rcpt_tos": envelope.rcpt_tos,
               "data": envelope.content.decode("utf-8", "replace"),
               "tls": server.transport.get_extra_info("ssl_object") is not None,
               "auth": session.authenticated,
               "login": getattr(session, "_vb_login", None)}
        tmp = os.path.join(a.dir, "%d.tmp" % i)
        with open(tmp, "w") as f:
            json.dump(rec, f)
        os.rename(tmp, os.path.join(a.dir, "%d.json" % i))
        return "250 OK queued as %d" % i


def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    ok = (auth_data.login.decode() == a.user and auth_data.password.decode() == a.password)
    if ok:
        session._vb_login = a.user
    # handled=False: aiosmtpd then answers 535 itself (True leaves the
    # client waiting for a reply that never comes)
    return AuthResult(success=ok, handled=False)


ctx = None
if a.tls != "none":
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)
kw = dict(hostname="127.0.0.1", port=a.port)
smtp_kw = {}
if a.user:
    smtp_kw.update(authenticator=authenticator, auth_required=True,
                   # aiosmtpd counts only STARTTLS as TLS; implicit TLS is
                   # TLS from the first byte
                   auth_require_tls=(a.tls == "starttls"))
if a.tls == "starttls":
    smtp_kw.update(tls_context=ctx, require_starttls=True)
elif a.tls == "implicit":
    kw.update(ssl_context=ctx)
ctl = Controller(Handler(), **kw, **smtp_kw, ready_timeout=10)
ctl.start()
open(a.ready, "w").write("ok\n")
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
ctl.stop()
