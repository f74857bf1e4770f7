#!/usr/bin/env python3
"""fake_ctl.py - a stand-in for vanctld's control socket, for display tests.

    fake_ctl.py SOCKET STATE_FILE COMMAND_LOG

Serves the control socket protocol (docs/control.md) as far as the crew
display uses it: `watch` and `status` are answered with the snapshot in
STATE_FILE (a JSON object, the crew's snapshot as `vanctl --json status`
gives it); every other request is answered ok and appended to COMMAND_LOG
(one JSON line each), so a test can see what the display sent.  When
STATE_FILE changes (write a new file and rename it over), watch clients get
{"event":"state","state":...} at once, as from the real daemon.  A line
{"event": ...} in STATE_FILE.events (appended) is sent to watch clients as
it is, for core events.  Every 3 s watch clients get an event the display
ignores, so it never says the daemon is silent (the real one sends a
snapshot at least every 5 s).  Runs until SIGTERM.
"""
import json
import os
import selectors
import signal
import socket
import sys
import time


def main():
    path, state_file, log_path = sys.argv[1:4]
    events_file = state_file + ".events"
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    clients = {}          # sock -> {"buf": bytes, "watch": bool}
    state_mtime = None
    state = None
    events_pos = 0
    running = [True]
    last_tick = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *a: running.__setitem__(0, False))

    def send(c, obj):
        try:
            c.sendall((json.dumps(obj) + "\n").encode())
        except OSError:
            drop(c)

    def drop(c):
        if c in clients:
            sel.unregister(c)
            del clients[c]
            c.close()

    while running[0]:
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            if s is srv:
                c, _ = srv.accept()
                c.setblocking(False)
                clients[c] = {"buf": b"", "watch": False}
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                drop(s)
                continue
            cl = clients[s]
            cl["buf"] += data
            while b"\n" in cl["buf"]:
                line, cl["buf"] = cl["buf"].split(b"\n", 1)
                if not line.strip():
                    continue
                req = json.loads(line)
                cmd = req.get("cmd")
                rep = {"id": req["id"]} if "id" in req else {}
                if cmd in ("watch", "status"):
                    if cmd == "watch":
                        cl["watch"] = True
                    rep.update(ok=True, result=state)
                else:
                    with open(log_path, "a") as f:
                        f.write(json.dumps(req, sort_keys=True) + "\n")
                    rep.update(ok=True, reason="done")
                send(s, rep)
        # a new snapshot or new events: to the watchers at once
        try:
            m = os.stat(state_file).st_mtime_ns
        except FileNotFoundError:
            m = None
        if m is not None and m != state_mtime:
            state_mtime = m
            with open(state_file) as f:
                state = json.load(f)
            for c in list(clients):
                if c in clients and clients[c]["watch"]:
                    send(c, {"event": "state", "state": state})
        if time.monotonic() - last_tick >= 3:
            last_tick = time.monotonic()
            for c in list(clients):
                if c in clients and clients[c]["watch"]:
                    send(c, {"event": "event", "type": "test.alive", "data": {}})
        try:
            with open(events_file) as f:
                f.seek(events_pos)
                chunk = f.read()
                events_pos = f.tell()
        except FileNotFoundError:
            chunk = ""
        for line in chunk.splitlines():
            if line.strip():
                ev = json.loads(line)
                for c in list(clients):
                    if c in clients and clients[c]["watch"]:
                        send(c, ev)
    srv.close()
    os.unlink(path)


if __name__ == "__main__":
    main()
