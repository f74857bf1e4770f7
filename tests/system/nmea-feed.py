#!/usr/bin/env python3
"""nmea-feed.py SOCKET LOG - the van's GPS receiver, on the host.

Connects to qemu's chardev for the guest's /dev/ttyS1 (a UNIX socket qemu
listens on) and writes one RMC and one GGA sentence a second, stamped with
the host's UTC time, for a van driving east at 10 m/s.  Each fix sent is
appended to LOG as "UTC_MS LAT LON".  When qemu goes away (a power cut) it
keeps the track running and reconnects as soon as the next qemu listens, so
the fix times follow wall time across boots.  Stops on SIGTERM.
"""
import math, os, signal, socket, sys, time

path, logpath = sys.argv[1], sys.argv[2]
LAT0, LON0, SPEED = 51.5000, -0.1000, 10.0  # deg, deg, m/s
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)


def cks(s):
    c = 0
    for ch in s.encode():
        c ^= ch
    return "%02X" % c


def dm(v, lat):
    a = abs(v)
    d = int(a)
    m = (a - d) * 60
    if lat:
        return "%02d%07.4f" % (d, m), "N" if v >= 0 else "S"
    return "%03d%07.4f" % (d, m), "E" if v >= 0 else "W"


t0 = time.time()
sock = None
log = open(logpath, "a", buffering=1)
while running:
    now = time.time()
    nxt = math.floor(now) + 1
    time.sleep(max(0, nxt - now))
    t = nxt
    dist = (t - t0) * SPEED
    lat = LAT0
    lon = LON0 + dist / (111320.0 * math.cos(math.radians(LAT0)))
    tm = time.gmtime(t)
    hms = time.strftime("%H%M%S", tm) + ".00"
    dmy = time.strftime("%d%m%y", tm)
    la, ns = dm(lat, True)
    lo, ew = dm(lon, False)
    kn = SPEED * 1.943844
    rmc = "GPRMC,%s,A,%s,%s,%s,%s,%.2f,90.0,%s,,,A" % (hms, la, ns, lo, ew, kn, dmy)
    gga = "GPGGA,%s,%s,%s,%s,%s,1,08,0.9,35.0,M,47.0,M,," % (hms, la, ns, lo, ew)
    data = ("$%s*%s\r\n$%s*%s\r\n" % (rmc, cks(rmc), gga, cks(gga))).encode()
    if sock is None:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
        except OSError:
            sock = None
    if sock is not None:
        try:
            try:  # what gpsd writes to the receiver: read and dropped
                while sock.recv(4096, socket.MSG_DONTWAIT):
                    pass
            except BlockingIOError:
                pass
            sock.sendall(data)
            log.write("%d %.7f %.7f\n" % (int(t * 1000), lat, lon))
        except OSError:
            sock.close()
            sock = None
