#!/usr/bin/python3
"""vb_http_receiver.py - a webhook receiver for the it_9x tests.

Records every request as one JSON line (method, path, headers, body, t) in
LOG, and answers as told:
  --answers 500,200   status of the 1st, 2nd... request; the last repeats
  --hang              read and record the request, never answer
  --refuse            bind the port but never listen: connections are refused
  --fail-for S        fail as told (--answers, --hang, --refuse) only for the
                      first S seconds after start, then answer 200 (a receiver
                      that comes back: bench/vanbase-failing-receiver.sh)
Writes READY (a file) once it serves.  Threads: a hanging request holds only
its own connection.  Stop it with SIGTERM.
"""
import argparse, json, signal, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--ready", required=True)
ap.add_argument("--answers", default="200")
ap.add_argument("--hang", action="store_true")
ap.add_argument("--refuse", action="store_true")
ap.add_argument("--fail-for", type=float, default=None)
a = ap.parse_args()
t_start = time.monotonic()


def failing():
    return a.fail_for is None or time.monotonic() - t_start < a.fail_for


answers = [int(x) for x in a.answers.split(",")]
lock = threading.Lock()
count = [0]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

if a.refuse:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", a.port))   # bound, not listening: SYN gets RST
    open(a.ready, "w").write("refuse\n")
    if a.fail_for is None:
        while True:
            time.sleep(3600)
    time.sleep(max(0.0, a.fail_for - (time.monotonic() - t_start)))
    s.close()   # back: the server below takes the port


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        fail = failing()
        with lock:
            i = count[0]
            count[0] += 1
            rec = {"n": i, "t": time.monotonic(), "method": self.command, "path": self.path,
                   "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "failing": fail}
            with open(a.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if a.hang and fail:
            time.sleep(3600)
            return
        code = answers[min(i, len(answers) - 1)] if fail and not a.hang else 200
        out = json.dumps({"ok": 200 <= code < 300, "n": i}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_POST = do_PUT = do_GET = handle_any

    def log_message(self, *args):
        pass


class S(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = S(("127.0.0.1", a.port), H)
open(a.ready, "w").write("ok\n")
srv.serve_forever()
