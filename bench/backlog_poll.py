#!/usr/bin/env python3
"""backlog_poll.py DB TIMEOUT_S - stamp (CLOCK_MONOTONIC ns) when the outbox
table of DB becomes empty; polls every 5 ms through a read-only connection.
Prints "empty MONO_NS" or "timeout COUNT"."""
import sqlite3
import sys
import time

db, timeout = sys.argv[1], float(sys.argv[2])
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
deadline = time.monotonic() + timeout
n = -1
while time.monotonic() < deadline:
    try:
        n = con.execute("select count(*) from outbox").fetchone()[0]
    except sqlite3.OperationalError:
        n = -1
    if n == 0:
        print("empty %d" % time.monotonic_ns())
        sys.exit(0)
    time.sleep(0.005)
print("timeout %d" % n)
sys.exit(1)
