#!/usr/bin/env python3
"""notify_listen.py - stand-in for systemd's notification socket.

Binds a UNIX datagram socket at SOCKET (give it to a daemon as
NOTIFY_SOCKET) and appends every datagram to OUT as
"MONO_NS<TAB>text" (CLOCK_MONOTONIC, newlines in the text as ' | '),
flushed at once.  Prints "ready" when bound.  Runs until killed.

    notify_listen.py SOCKET OUT
"""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("ready", flush=True)
with open(out, "a", buffering=1) as f:
    while True:
        data = s.recv(4096)
        t = time.monotonic_ns()
        f.write("%d\t%s\n" % (t, data.decode(errors="replace").strip().replace("\n", " | ")))
