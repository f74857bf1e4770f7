#!/usr/bin/env python3
"""stamp_lines.py IN OUT - copy lines from IN (a FIFO) to OUT, each prefixed
with the wall-clock time in ms and a tab, flushed at once."""
import sys
import time

with open(sys.argv[1], "rb") as src, open(sys.argv[2], "ab", buffering=0) as out:
    for line in src:
        out.write(b"%d\t" % int(time.time() * 1000) + line)
