#!/usr/bin/env python3
"""startup_ready.py - time from exec to sd_notify READY=1, like systemd sees it.

Binds a UNIX datagram socket, starts the daemon with NOTIFY_SOCKET pointing
at it (os.posix_spawn, stamped with CLOCK_MONOTONIC right before), and stamps
the arrival of the datagram holding "READY=1".  Then stops the daemon
(SIGTERM) and does it again.

    startup_ready.py RUNS LABEL [--prepare CMD] -- VANCTLD ARGS...

--prepare CMD runs (through sh) before each start, untimed (e.g. remove the
database for a first start).  Prints p50/p90/max in ms.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def main():
    args = sys.argv[1:]
    runs, label = int(args[0]), args[1]
    prepare = None
    rest = args[2:]
    if rest and rest[0] == "--prepare":
        prepare, rest = rest[1], rest[2:]
    assert rest and rest[0] == "--", "usage: startup_ready.py RUNS LABEL [--prepare CMD] -- CMD..."
    cmd = rest[1:]
    tmp = tempfile.mkdtemp(prefix="vanready.")
    path = os.path.join(tmp, "notify.sock")
    lat = []
    logf = open(os.path.join(os.environ.get("WORK", tmp), "startup-%s.log" % label.replace(" ", "_")), "ab")
    for i in range(runs):
        if prepare:
            subprocess.run(prepare, shell=True, check=True)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        s.bind(path)
        s.settimeout(10)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        t0 = time.monotonic_ns()
        pid = os.posix_spawn(cmd[0], cmd, env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, logf.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, logf.fileno(), 2)])
        t1 = None
        try:
            while t1 is None:
                data = s.recv(4096)
                if b"READY=1" in data.split(b"\n"):
                    t1 = time.monotonic_ns()
        except socket.timeout:
            print("  %s: run %d: no READY=1 within 10 s" % (label, i), file=sys.stderr)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        s.close()
        if t1 is not None:
            lat.append((t1 - t0) / 1e6)
    os.unlink(path)
    os.rmdir(tmp)
    if not lat:
        print("  %-44s no READY=1 at all" % label)
        return 1
    lat.sort()
    pick = lambda p: lat[min(len(lat) - 1, int(p * (len(lat) - 1) + 0.5))]
    print("  %-44s n=%-3d p50 %6.1f  p90 %6.1f  max %6.1f ms" % (label, len(lat), pick(0.5), pick(0.9), lat[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
