#!/usr/bin/env python3
"""make-track.py - generate realistic NMEA 0183 logs of a van's evening for gpsfake.

Python 3 standard library only, and deterministic: the same options (and
--seed) always give byte-identical output.

What it simulates
-----------------
An outreach van based in Leeds (base ~53.79 N, 1.55 W).  The van sits at base
through a receiver cold start (the first 5 seconds have no fix: RMC status V,
GGA quality 0, GSA mode 1), leaves, drives road-like polylines (straight
segments joined by rounded corners; cruise 8-15 m/s per segment, braking for
corners at ~1.8 m/s^2 and accelerating at ~1.3 m/s^2), makes its stops of 2-6
minutes each, and returns to base.  While stopped, the reported position
wanders by a metre or two (correlated receiver noise) and the reported speed
is 0-0.3 m/s with a meaningless course, as real receivers do.

Every epoch is $GPRMC, $GPGGA, $GPGSA (with --vtg: $GPRMC, $GPVTG, $GPGGA,
$GPGSA, the order u-blox receivers use) with valid checksums and CRLF line
ends; lat/lon are ddmm.mmmm / dddmm.mmmm with hemisphere letters, RMC/VTG
speed is in knots (VTG also km/h), GGA carries fix quality 1, 8-10
satellites, HDOP, altitude and geoid separation.  Start time 2026-11-24 21:00:00 UTC by
default, or --start (dates roll over correctly past midnight).

Alongside the log it writes the ground truth as JSON (--stops-json): base
location, departure/return times and the list of stops with centre lat/lon,
arrival and departure (UTC, ISO 8601 "Z", whole seconds: arrival is the first
whole-second fix at rest, departure the last one before moving off).

Usage
-----
  tools/make-track.py [options]

  -o FILE             NMEA output (default: config/demo/evening.nmea,
                      "-" for stdout)
  --stops-json FILE   ground-truth JSON output (default: the -o path with
                      ".nmea" replaced by ".stops.json"; "none" to skip)
  --rate HZ           1 (default) or 10 fixes per second.  The kinematics are
                      always integrated at 10 Hz; at 1 Hz every tenth state is
                      emitted, at 10 Hz all of them (fractional NMEA times).
  --hours H           a long shift of about H hours instead of the demo
                      evening: repeated loops from base with 4-6 stops each
                      drawn from a pool of 12 sites, a 5-12 minute break at
                      base between loops (listed as "base_visits").  The log
                      lasts exactly H hours.  --hours 10 gives 36,000 fixes at
                      1 Hz (about 2 s to make, 7 MB) or 360,000 at 10 Hz
                      (about 5 s, 74 MB).
  --garbage           mix realistic junk into the log: sentences with bad
                      checksums, truncated sentences, !AIVDM lines, $GPTXT
                      antenna notices, lines of random binary bytes and stale
                      RMC sentences whose time goes backwards.  Junk is only
                      ever inserted: deleting the junk lines gives back the
                      clean log byte for byte (same seed, same options).
  --deviate           the demo evening, but the van skips planned stop S2
                      (drives S1 -> S3) and makes an unplanned stop "U1" between
                      S3 and S4.  The JSON lists what really happened in
                      "stops" (each with "planned": true/false), the plan in
                      "planned_stops" and the skipped site(s) in
                      "skipped_planned".
  --quick             a short evening for the demo's few-minute story: two
                      planned stops near base (Q1, then Q2: 75 s and 95 s),
                      about 6 minutes in all
  --park S            after the return, stay parked at base S seconds more
                      (the demo keeps gpsd fed while the debrief shows)
  --start WHEN        the first epoch's UTC time: ISO 8601 ("2026-11-24T21:00:00Z"),
                      or "now", "now-90s", "now+2h", "now-1d" (the current time, whole
                      seconds).  Default 2026-11-24T21:00:00Z, the date of the files
                      kept in the repository.  Tests and the demo use "now...":
                      a track dated by a fixed day makes a test that passes this
                      week and fails next month (docs/time.md).
  --seed N            random seed (default 20261124)
  --vtg               add $GPVTG to every epoch (4 sentences instead of 3;
                      scripts that pace gpsfake with -c assume 3)
  --lf                LF line ends instead of CRLF
  --pattern P         write a pattern real receivers give (repeat for several;
                      the JSON lists each under "patterns" with its epochs and
                      fix times, for tests to check against):
                        gll-first      every fix epoch begins with $GPGLL
                                       (position and time, no speed or course):
                                       gpsd's first report of the epoch lacks them
                        first-untimed  no cold start, and the first epoch begins
                                       with its $GPGGA before any date is known:
                                       gpsd's first report has no time
                        day-ahead      one epoch (a third of the way into the
                                       fixes) whose RMC date is a day ahead
                        rollover       from half-way on, RMC dates 1024 weeks
                                       (19.6 years) ahead, as gpsd's week-rollover
                                       correction can make them
                        gap            20 minutes without a sentence from 45% of
                                       the log on, or earlier so that a minute is
                                       left after it (a tunnel, a car park, a
                                       receiver stall); the van is elsewhere after
                                       it (needs --hours)
                        stall          a receiver that stops giving fixes for a
                                       minute (RMC status V, no position) and then
                                       goes on where it is
                        time-back      from two thirds of the log on, every time an
                                       hour earlier (a receiver whose clock stepped
                                       back)
  --check FILE...     do not generate: check NMEA files instead (checksums,
                      field counts of RMC/VTG/GGA/GSA, RMC time order) and
                      print a summary; exits 1 if any line is bad.  With
                      --allow-junk, junk is counted but does not fail.

Files kept in the repository (regenerate with these commands):

  tools/make-track.py -o config/demo/evening.nmea
  tools/make-track.py -o config/demo/evening-garbage.nmea --garbage \\
      --stops-json none
  tools/make-track.py -o config/demo/evening-deviate.nmea --deviate

Long logs for tests and benchmarks are made at run time, e.g.

  tools/make-track.py --hours 10 -o "$TMP/shift.nmea"
  tools/make-track.py --hours 0.5 --rate 10 -o "$TMP/fast.nmea"

Feed one to gpsd with, e.g.:  gpsfake -1 -p -P 29470 config/demo/evening.nmea
(gpsfake exits by itself at the end of the log with -1; without -S it feeds
the whole evening in about 5 s, with -S in real time.)

What gpsd 3.22 makes of the junk (observed, for test writers):
  * gpsfake splits its log with gpsd's own packet lexer before feeding it,
    so lines the lexer rejects (bad checksums, random binary) never reach
    gpsd through gpsfake.  Truncated sentences without "*hh" pass the lexer
    (gpsd accepts checksum-less NMEA) but gpsd makes no report from them.
  * !AIVDM makes gpsd announce the device again with "driver":"AIVDM" and
    emit {"class":"AIS",...} reports; NMEA fixes keep coming.
  * The first stale RMC gives no TPV but breaks gpsd's end-of-cycle
    detection: from then on
    it sends two TPVs per epoch with the same time (one after RMC without
    altitude, one after GGA with it), and each later stale RMC yields a TPV
    whose time (and position) goes backwards.
  * Clean logs give exactly one mode-3 TPV per fix epoch (no "status" field).
"""

import argparse
import datetime
import json
import math
import os
import random
import re
import sys
import time

DEFAULT_SEED = 20261124
START = datetime.datetime(2026, 11, 24, 21, 0, 0, tzinfo=datetime.timezone.utc)
BASE_LAT = 53.7925          # Leeds, just south of the city centre
BASE_LON = -1.5460
GEOID_SEP = 48.9            # EGM96 geoid separation around Leeds (m)
EARTH_R = 6371008.8

SIM_HZ = 10                 # kinematics are integrated at this rate
NO_FIX_S = 5                # cold start: seconds without a fix
PRE_DEPART_S = 40           # sitting at base (incl. the cold start)
POST_RETURN_S = 30          # sitting at base after the return

A_ACC = 1.3                 # m/s^2
A_DEC = 1.8                 # m/s^2
A_LAT = 2.0                 # m/s^2, lateral, sets corner speeds
V_MIN_CRUISE, V_MAX_CRUISE = 8.5, 14.5

# Stop sites in metres east/north of base.
SITES = {
    "S1": (-1260.0, 840.0),
    "S2": (-420.0, 1800.0),
    "S3": (840.0, 1500.0),
    "S4": (1440.0, 180.0),
    # extra sites for --hours
    "S5": (-1920.0, -720.0),
    "S6": (-840.0, -1560.0),
    "S7": (480.0, -1740.0),
    "S8": (1800.0, -1080.0),
    "S9": (2520.0, 840.0),
    "S10": (1560.0, 2520.0),
    "S11": (-2280.0, 1920.0),
    "S12": (-2760.0, 360.0),
    # the unplanned stop of --deviate
    "U1": (1660.0, 980.0),
    # the short evening of --quick (the demo's few-minute story)
    "Q1": (-330.0, 260.0),
    "Q2": (120.0, 430.0),
}
EVENING_PLAN = ["S1", "S2", "S3", "S4"]
EVENING_DWELL_S = {"S1": 250, "S2": 330, "S3": 165, "S4": 230, "U1": 200}
QUICK_PLAN = ["Q1", "Q2"]
QUICK_DWELL_S = {"Q1": 75, "Q2": 95}
DEVIATE_SKIP = "S2"
DEVIATE_EXTRA = ("U1", "S3")   # unplanned site, inserted after this stop
SHIFT_POOL = ["S%d" % i for i in range(1, 13)]


# ---------------------------------------------------------------------------
# geometry helpers

def enu_to_ll(x, y):
    lat = BASE_LAT + math.degrees(y / EARTH_R)
    lon = BASE_LON + math.degrees(x / (EARTH_R * math.cos(math.radians(BASE_LAT))))
    return lat, lon


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rot(u, v, ang):
    c, s = math.cos(ang), math.sin(ang)
    return (u * c - v * s, u * s + v * c)


def road_path(a, b, rng):
    """Corner points of a road-like route from a to b (metres)."""
    ax, ay = a
    bx, by = b
    # A local street grid, roughly NNE in this part of town, varying by leg.
    ang = math.radians(18.0 + rng.uniform(-25.0, 25.0))
    dx, dy = bx - ax, by - ay
    # displacement in grid coordinates
    u, v = _rot(dx, dy, -ang)
    style = rng.random()
    pts_g = [(0.0, 0.0)]
    if style < 0.35:                      # L: along one street, then another
        if rng.random() < 0.5:
            pts_g.append((u, 0.0))
        else:
            pts_g.append((0.0, v))
    elif style < 0.8:                     # Z: u-part, v, rest of u
        f = rng.uniform(0.25, 0.75)
        if rng.random() < 0.5:
            pts_g += [(u * f, 0.0), (u * f, v)]
        else:
            pts_g += [(0.0, v * f), (u, v * f)]
    else:                                 # staircase with a jog
        f1, f2 = sorted((rng.uniform(0.15, 0.45), rng.uniform(0.55, 0.85)))
        g = rng.uniform(0.3, 0.7)
        pts_g += [(u * f1, 0.0), (u * f1, v * g), (u * f2, v * g), (u * f2, v)]
    pts_g.append((u, v))
    pts = [(ax + p[0], ay + p[1]) for p in (_rot(q[0], q[1], ang) for q in pts_g)]
    pts[-1] = (bx, by)
    # drop degenerate (very short) segments
    clean = [pts[0]]
    for p in pts[1:-1]:
        if math.hypot(p[0] - clean[-1][0], p[1] - clean[-1][1]) > 40.0:
            clean.append(p)
    clean.append(pts[-1])
    if len(clean) > 2 and math.hypot(clean[-1][0] - clean[-2][0],
                                     clean[-1][1] - clean[-2][1]) < 40.0:
        del clean[-2]
    # gentle bends in long straights: real roads are rarely dead straight
    out = [clean[0]]
    for p, q in zip(clean, clean[1:]):
        seg = math.hypot(q[0] - p[0], q[1] - p[1])
        n = int(seg // 260.0)
        if n:
            nx, ny = -(q[1] - p[1]) / seg, (q[0] - p[0]) / seg
            for k in range(1, n + 1):
                f = k / (n + 1.0)
                off = rng.uniform(-18.0, 18.0)
                out.append((p[0] + (q[0] - p[0]) * f + nx * off,
                            p[1] + (q[1] - p[1]) * f + ny * off))
        out.append(q)
    return out


def fillet(pts, rng):
    """Round the corners of a polyline.

    Returns a list of (x, y, vlim, cruise) points: vlim is the speed limit at
    that point from lateral acceleration (None on straights), cruise the
    driver's chosen speed on the segment the point belongs to."""
    n = len(pts)
    cruise = [rng.uniform(V_MIN_CRUISE, V_MAX_CRUISE) for _ in range(n - 1)]
    seglen = [math.hypot(pts[i + 1][0] - pts[i][0], pts[i + 1][1] - pts[i][1])
              for i in range(n - 1)]
    out = [(pts[0][0], pts[0][1], None, cruise[0])]
    for i in range(1, n - 1):
        px, py = pts[i - 1]
        cx, cy = pts[i]
        qx, qy = pts[i + 1]
        h1 = math.atan2(cy - py, cx - px)
        h2 = math.atan2(qy - cy, qx - cx)
        turn = (h2 - h1 + math.pi) % (2 * math.pi) - math.pi
        phi = abs(turn)
        if phi < math.radians(4.0):
            out.append((cx, cy, None, cruise[i]))
            continue
        r = rng.uniform(7.0, 13.0) * min(6.0, (math.pi / 2) / phi)
        d = r * math.tan(phi / 2)
        dmax = 0.4 * min(seglen[i - 1], seglen[i])
        if d > dmax:
            d = dmax
            r = d / math.tan(phi / 2)
        vlim = min(math.sqrt(A_LAT * r), V_MAX_CRUISE)
        # tangent points
        t1 = (cx - d * math.cos(h1), cy - d * math.sin(h1))
        # arc centre is to the left for a left turn (turn > 0)
        sgn = 1.0 if turn > 0 else -1.0
        ox = t1[0] - sgn * r * math.sin(h1)
        oy = t1[1] + sgn * r * math.cos(h1)
        a0 = math.atan2(t1[1] - oy, t1[0] - ox)
        m = max(2, int(r * phi / 2.0))          # an arc point every ~2 m
        out.append((t1[0], t1[1], vlim, cruise[i - 1]))
        for k in range(1, m + 1):
            a = a0 + sgn * phi * k / m
            out.append((ox + r * math.cos(a), oy + r * math.sin(a), vlim, cruise[i]))
    out.append((pts[-1][0], pts[-1][1], None, cruise[-1]))
    return out


class Track:
    """Truth at SIM_HZ: parallel lists of x, y, speed, heading (deg)."""

    def __init__(self):
        self.x, self.y, self.v, self.h = [], [], [], []
        self.dist = 0.0

    def __len__(self):
        return len(self.x)

    def hold(self, ticks, x, y, h):
        self.x += [x] * ticks
        self.y += [y] * ticks
        self.v += [0.0] * ticks
        self.h += [h] * ticks

    def hold_until_second(self, x, y, h):
        while len(self.x) % SIM_HZ:
            self.hold(1, x, y, h)

    def drive(self, fpts):
        """Drive along filleted points from rest to rest."""
        xs = [p[0] for p in fpts]
        ys = [p[1] for p in fpts]
        s = [0.0]
        for i in range(1, len(fpts)):
            s.append(s[-1] + math.hypot(xs[i] - xs[i - 1], ys[i] - ys[i - 1]))
        total = s[-1]
        # speed envelope on a 1 m grid, backward pass for braking
        ngrid = int(total) + 2
        env = [0.0] * ngrid
        j = 0
        for g in range(ngrid):
            sg = min(float(g), total)
            while j < len(s) - 2 and s[j + 1] <= sg:
                j += 1
            lim = fpts[j][3]
            for k in (j, j + 1):
                if fpts[k][2] is not None and abs(s[k] - sg) < 1.5:
                    lim = min(lim, fpts[k][2])
            env[g] = lim
        env[-1] = 0.0
        if total < ngrid - 1:
            env[int(total) + 1:] = [0.0] * (ngrid - int(total) - 1)
        for g in range(ngrid - 2, -1, -1):
            env[g] = min(env[g], math.sqrt(env[g + 1] ** 2 + 2 * A_DEC))
        # integrate in time
        dt = 1.0 / SIM_HZ
        pos, v, j = 0.0, 0.0, 0
        while True:
            g = int(pos)
            f = pos - g
            e = env[g] * (1 - f) + env[min(g + 1, ngrid - 1)] * f
            # braking for the end of the leg, exactly rather than on the grid
            e = min(e, math.sqrt(2 * A_DEC * max(total - pos, 0.0)))
            v = min(v + A_ACC * dt, e)
            if total - pos < 0.2 or v < 1e-3:
                pos = total
                v = 0.0
            else:
                pos = min(pos + v * dt, total)
            while j < len(s) - 2 and s[j + 1] <= pos:
                j += 1
            seg = s[j + 1] - s[j]
            f = (pos - s[j]) / seg if seg > 0 else 0.0
            x = xs[j] + (xs[j + 1] - xs[j]) * f
            y = ys[j] + (ys[j + 1] - ys[j]) * f
            h = math.degrees(math.atan2(xs[j + 1] - xs[j], ys[j + 1] - ys[j])) % 360.0
            self.x.append(x)
            self.y.append(y)
            self.v.append(v)
            self.h.append(h)
            if pos >= total and v == 0.0:
                break
        self.dist += total


# ---------------------------------------------------------------------------
# scenario

def leg_rng(seed, tag, a, b):
    return random.Random("%d:%s:%s:%s" % (seed, tag, a, b))


def build(args):
    """Return (Track, truth dict)."""
    seed = args.seed
    tr = Track()
    bx, by = 0.0, 0.0
    tr.hold(PRE_DEPART_S * SIM_HZ, bx, by, 0.0)
    stops, base_visits = [], []
    truth = {"departed_base": iso(START + datetime.timedelta(seconds=PRE_DEPART_S))}

    def go(frm, to, tag):
        a = SITES.get(frm, (0.0, 0.0))
        b = SITES.get(to, (0.0, 0.0))
        rng = leg_rng(seed, tag, frm, to)
        tr.drive(fillet(road_path(a, b, rng), rng))

    def dwell(site, seconds, planned):
        rest_tick = len(tr) - 1            # the drive ends at rest
        x, y, h = tr.x[-1], tr.y[-1], tr.h[-1]
        tr.hold_until_second(x, y, h)
        t_arr = -(-rest_tick // SIM_HZ)    # first whole second at rest
        tr.hold(seconds * SIM_HZ, x, y, h)
        tr.hold(1, x, y, h)                # at rest on the departure second too
        t_dep = (len(tr) - 1) // SIM_HZ
        lat, lon = enu_to_ll(x, y)
        return {
            "site": site,
            "planned": planned,
            "lat": round(lat, 7),
            "lon": round(lon, 7),
            "arrival": iso(START + datetime.timedelta(seconds=t_arr)),
            "departure": iso(START + datetime.timedelta(seconds=t_dep)),
            "duration_s": t_dep - t_arr,
        }

    def dwell_s(tag, site, lo=120, hi=360):
        return leg_rng(seed, "dwell:" + tag, site, "").randint(lo, hi)

    if args.hours:
        end_tick = int(round(args.hours * 3600 * SIM_HZ))
        prng = random.Random("%d:shift" % seed)
        loop = 0
        while True:
            loop += 1
            k = prng.randint(4, 6)
            sites = prng.sample(SHIFT_POOL, k)
            start_ang = prng.uniform(-math.pi, math.pi)
            sites.sort(key=lambda s_: (math.atan2(SITES[s_][1], SITES[s_][0])
                                       - start_ang) % (2 * math.pi))
            if prng.random() < 0.5:
                sites.reverse()
            # try the loop; if it does not fit, try fewer stops, else stop
            saved = (len(tr), tr.dist, len(stops))
            fitted = False
            while sites:
                tag = "L%d" % loop
                prev = "base"
                for site in sites:
                    go(prev, site, tag)
                    stops.append(dwell(site, dwell_s(tag, site), True))
                    prev = site
                go(prev, "base", tag)
                if len(tr) + POST_RETURN_S * SIM_HZ <= end_tick:
                    fitted = True
                    break
                del tr.x[saved[0]:], tr.y[saved[0]:], tr.v[saved[0]:], tr.h[saved[0]:]
                tr.dist = saved[1]
                del stops[saved[2]:]
                sites = sites[:-1]
            if not fitted:
                break
            # a break at base before the next loop
            brk = prng.randint(300, 720)
            if len(tr) + (brk + 600) * SIM_HZ > end_tick:
                break
            bv = dwell("base", brk, True)
            base_visits.append({k_: bv[k_] for k_ in ("arrival", "departure", "duration_s")})
        truth["returned_base"] = iso(START + datetime.timedelta(
            seconds=-(-(len(tr) - 1) // SIM_HZ)))
        tr.hold(end_tick - len(tr), tr.x[-1], tr.y[-1], tr.h[-1])
        truth["variant"] = "shift"
        planned = None
        skipped = []
    else:
        plan = list(QUICK_PLAN if args.quick else EVENING_PLAN)
        dwell_table = QUICK_DWELL_S if args.quick else EVENING_DWELL_S
        route = list(plan)
        skipped = []
        if args.deviate:
            route.remove(DEVIATE_SKIP)
            skipped = [DEVIATE_SKIP]
            route.insert(route.index(DEVIATE_EXTRA[1]) + 1, DEVIATE_EXTRA[0])
        prev = "base"
        for site in route:
            go(prev, site, "E")
            stops.append(dwell(site, dwell_table[site], site in plan))
            prev = site
        go(prev, "base", "E")
        truth["returned_base"] = iso(START + datetime.timedelta(
            seconds=-(-(len(tr) - 1) // SIM_HZ)))
        tr.hold_until_second(tr.x[-1], tr.y[-1], tr.h[-1])
        tr.hold((POST_RETURN_S + args.park) * SIM_HZ, tr.x[-1], tr.y[-1], tr.h[-1])
        truth["variant"] = "deviate" if args.deviate else "quick" if args.quick else "evening"
        planned = []
        for site in plan:
            lat, lon = enu_to_ll(*SITES[site])
            planned.append({"site": site, "lat": round(lat, 7), "lon": round(lon, 7)})
    for i, st in enumerate(stops):
        st["id"] = i + 1
    stops = [dict([("id", st["id"])] + [(k_, v_) for k_, v_ in st.items() if k_ != "id"])
             for st in stops]
    truth["stops"] = stops
    if planned is not None:
        truth["planned_stops"] = planned
        truth["skipped_planned"] = skipped
    if args.hours:
        truth["base_visits"] = base_visits
    return tr, truth


# ---------------------------------------------------------------------------
# NMEA output

def nmea_cksum(body):
    """XOR of the bytes between '$'/'!' and '*' (str or bytes)."""
    if isinstance(body, str):
        body = body.encode("latin-1")
    x = int.from_bytes(body, "big")
    if len(body) < 128:
        # shift-and-XOR folding: the low byte ends up as the XOR of bytes
        # 0..127 counted from the end, i.e. of all of them
        x ^= x >> 512
        x ^= x >> 256
        x ^= x >> 128
        x ^= x >> 64
        x ^= x >> 32
        x ^= x >> 16
        x ^= x >> 8
        return x & 0xFF
    c = 0
    for b in body:
        c ^= b
    return c


def sentence(body, start="$"):
    return "%s%s*%02X" % (start, body, nmea_cksum(body))


PRN_POOL = [2, 5, 7, 9, 13, 15, 18, 20, 24, 27, 29, 30]


def _ll_fields(lat, lon):
    """ddmm.mmmm,N,dddmm.mmmm,W for a position (rounded to 1e-4 minute)."""
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    a = int(abs(lat) * 600000.0 + 0.5)       # 1e-4 minutes
    o = int(abs(lon) * 600000.0 + 0.5)
    return "%02d%02d.%04d,%s,%03d%02d.%04d,%s" % (
        a // 600000, a // 10000 % 60, a % 10000, ns,
        o // 600000, o // 10000 % 60, o % 10000, ew)


def epochs(tr, args):
    """Yield the list of sentences (str, with $ and *hh) of each epoch."""
    rate = args.rate
    step = SIM_HZ // rate
    dt = 1.0 / rate
    rng = random.Random("%d:noise:%d" % (args.seed, rate))
    # standard normal deviates from a table: random.gauss() per draw would
    # be a quarter of the run time of a 10-hour 10 Hz log
    table = [rng.gauss(0.0, 1.0) for _ in range(1 << 16)]
    bits = rng.getrandbits
    tau, sig = 25.0, 0.7                      # correlated horizontal error
    phi = math.exp(-dt / tau)
    innov = sig * math.sqrt(1 - phi * phi)
    tau_z, sig_z = 40.0, 2.0
    phi_z = math.exp(-dt / tau_z)
    innov_z = sig_z * math.sqrt(1 - phi_z * phi_z)
    ex, ey, ez = table[bits(16)] * sig, table[bits(16)] * sig, table[bits(16)] * sig_z
    hd_sig = 0.004 * math.sqrt(dt)
    hd_rev = dt / 300.0
    prns = list(PRN_POOL)
    rng.shuffle(prns)
    nsat = 9
    hdop0 = {10: 0.82, 9: 0.94, 8: 1.12}
    gsa_prns = {n_: ",".join(["%02d" % p_ for p_ in sorted(prns[:n_])] + [""] * (12 - n_))
                for n_ in (8, 9, 10)}
    hd = 0.0
    course_rest = rng.uniform(0, 360)
    mlat = math.degrees(1.0 / EARTH_R)
    mlon = math.degrees(1.0 / (EARTH_R * math.cos(math.radians(BASE_LAT))))
    vtg = args.vtg
    day_cache = {}
    midnight = START.replace(hour=0, minute=0, second=0, microsecond=0)
    sod0 = int((START - midnight).total_seconds())
    nfix = NO_FIX_S * rate
    n = len(tr) // step
    txs, tys, tvs, ths = tr.x, tr.y, tr.v, tr.h
    sin, cos, sqrt, hypot = math.sin, math.cos, math.sqrt, math.hypot
    for k in range(n):
        i = k * step
        t_cs = k * 100 // rate                 # centiseconds since START
        sec, cs = divmod(t_cs, 100)
        day, sod = divmod(sec + sod0, 86400)
        ddmmyy = day_cache.get(day)
        if ddmmyy is None:
            ddmmyy = day_cache[day] = (midnight + datetime.timedelta(days=day)).strftime("%d%m%y")
        hms = "%02d%02d%02d.%02d" % (sod // 3600, sod // 60 % 60, sod % 60, cs)
        # receiver state
        if cs == 0 and k >= nfix and rng.random() < 1.0 / 90:
            nsat = min(10, max(8, nsat + (1 if bits(1) else -1)))
        hd += hd_sig * table[bits(16)] - hd * hd_rev
        hdop = hdop0[nsat] + hd
        pdop = hdop * 1.72 + 0.05
        vdop = sqrt(pdop * pdop - hdop * hdop)
        ex = phi * ex + innov * table[bits(16)]
        ey = phi * ey + innov * table[bits(16)]
        ez = phi_z * ez + innov_z * table[bits(16)]
        if k < nfix:
            out = ["GPRMC,%s,V,,,,,,,%s,,,N" % (hms, ddmmyy)]
            if vtg:
                out.append("GPVTG,,,,,,,,,N")
            out.append("GPGGA,%s,,,,,0,00,99.99,,,,,," % hms)
            out.append("GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99")
        else:
            x, y, v, h = txs[i], tys[i], tvs[i], ths[i]
            scale = hdop / 0.94
            px = x + scale * (ex + 0.2 * table[bits(16)])
            py = y + scale * (ey + 0.2 * table[bits(16)])
            ll = _ll_fields(BASE_LAT + py * mlat, BASE_LON + px * mlon)
            if v > 0.0:
                sp = v + 0.08 * table[bits(16)]
                if sp < 0.0:
                    sp = 0.0
            else:
                sp = min(0.3, 0.07 * hypot(table[bits(16)], table[bits(16)]))
            if v > 1.0:
                course = (h + 0.8 * table[bits(16)]) % 360.0
                course_rest = course
            else:
                course_rest = (course_rest + 25.0 * table[bits(16)]) % 360.0
                course = course_rest
            alt = 62.0 + 14.0 * sin(x / 900.0) + 9.0 * cos(y / 1300.0) + ez
            kn = sp * 1.943844
            out = ["GPRMC,%s,A,%s,%.3f,%.2f,%s,,,A" % (hms, ll, kn, course, ddmmyy)]
            if vtg:
                out.append("GPVTG,%.2f,T,,M,%.3f,N,%.3f,K,A" % (course, kn, sp * 3.6))
            out.append("GPGGA,%s,%s,1,%02d,%.2f,%.1f,M,%.1f,M,,"
                       % (hms, ll, nsat, hdop, alt, GEOID_SEP))
            out.append("GPGSA,A,3,%s,%.2f,%.2f,%.2f" % (gsa_prns[nsat], pdop, hdop, vdop))
        yield [sentence(b) for b in out]


AIS_PAYLOADS = [
    "13u?etPv2;0n:dDPwUM1U1Cb069D",
    "15MgK45P3@G?fl0E`JbR0OwT0@MS",
    "H3pro?4l4hhEEBt0000000000000",
]


class Junk:
    """Realistic junk a serial GPS link produces; its own RNG stream."""

    KINDS = ["bad_checksum", "truncated", "aivdm", "binary", "time_backwards",
             "txt", "bad_checksum", "truncated"]

    def __init__(self, seed):
        self.rng = random.Random("%d:garbage" % seed)
        self.count = 0
        self.history = []                 # recent RMC sentences
        self.warm = False

    def make(self, kind, recent):
        rng = self.rng
        if kind == "bad_checksum":
            s = rng.choice(recent)
            body, ck = s[1:-3], s[-2:]
            if rng.random() < 0.5:        # a corrupted data byte
                p = rng.randrange(6, len(body))
                c = body[p]
                r = chr(ord(c) ^ (1 << rng.randrange(0, 4)))
                if r in "$*\r\n,":
                    r = "7" if c != "7" else "3"
                body = body[:p] + r + body[p + 1:]
                if nmea_cksum(body) == int(ck, 16):
                    body = body[:p] + ("0" if r != "0" else "1") + body[p + 1:]
                return "$" + body + "*" + ck
            good = int(ck, 16)            # a wrong checksum
            return "$%s*%02X" % (body, good ^ (1 << rng.randrange(0, 8)))
        if kind == "truncated":
            s = rng.choice(recent)
            return s[:rng.randrange(8, len(s) - 6)]
        if kind == "aivdm":
            return sentence("AIVDM,1,1,,%s,%s,0" % (rng.choice("AB"),
                                                    rng.choice(AIS_PAYLOADS)), "!")
        if kind == "binary":
            # high bytes and controls, avoiding the sync bytes of binary
            # protocols gpsd's lexer knows (UBX 0xB5, SiRF 0xA0, RTCM3 0xD3,
            # DLE 0x10) so that the junk stays one line long
            pool = [b for b in list(range(0x80, 0xFF)) + list(range(1, 9)) + [0x0B, 0x0C] +
                    list(range(0x0E, 0x20)) if b not in (0xB5, 0xA0, 0xD3, 0x10)]
            return bytes(rng.choice(pool) for _ in range(rng.randint(12, 60)))
        if kind == "time_backwards":
            return self.history[0] if self.history else recent[0]
        if kind == "txt":
            return sentence("GPTXT,01,01,02,ANTENNA %s" % rng.choice(["OPEN", "OK", "SHORT"]))
        raise ValueError(kind)

    def after_epoch(self, sents):
        """Junk lines to insert after this epoch's sentences (may be [])."""
        self.history.append(sents[0])
        if len(self.history) > 8:
            self.history.pop(0)
            self.warm = True
        if not self.warm or self.rng.random() >= 1.0 / 45:
            return []
        kind = self.KINDS[self.count] if self.count < len(self.KINDS) else \
            self.rng.choice(self.KINDS)
        self.count += 1
        return [self.make(kind, sents)]


PATTERNS = ("gll-first", "first-untimed", "day-ahead", "rollover", "gap", "stall", "time-back")


def _shift(sents, seconds):
    """The epoch with its times (RMC date and time, GGA/GLL time) moved."""
    out = []
    for s_ in sents:
        body = s_[1:s_.index("*")]
        f = body.split(",")
        ti = {"GPRMC": 1, "GPGGA": 1, "GPGLL": 5}.get(f[0])
        if ti is not None and f[ti]:
            hms, frac = f[ti][:6], f[ti][6:]
            t = datetime.datetime.strptime(hms, "%H%M%S") + datetime.timedelta(seconds=seconds)
            f[ti] = t.strftime("%H%M%S") + frac
            if f[0] == "GPRMC":
                d = datetime.datetime.strptime(f[9] + hms, "%d%m%y%H%M%S") + \
                    datetime.timedelta(seconds=seconds)
                f[9] = d.strftime("%d%m%y")
            s_ = sentence(",".join(f))
        out.append(s_)
    return out


def _rmc_fields(sents):
    for s_ in sents:
        if s_.startswith("$GPRMC"):
            return s_[1:s_.index("*")].split(",")
    return None


def _redate(sents, days):
    """The epoch with its RMC date moved by whole days."""
    out = []
    for s_ in sents:
        if s_.startswith("$GPRMC"):
            f = s_[1:s_.index("*")].split(",")
            d = datetime.datetime.strptime(f[9], "%d%m%y") + datetime.timedelta(days=days)
            f[9] = d.strftime("%d%m%y")
            s_ = sentence(",".join(f))
        out.append(s_)
    return out


def _rmc_time(f):
    """UTC of an RMC's fields, ISO 8601 with milliseconds."""
    d = datetime.datetime.strptime(f[9] + f[1][:6], "%d%m%y%H%M%S")
    frac = f[1][7:] if len(f[1]) > 7 else "0"
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % round(float("0." + frac) * 1000)


def patterned(eps, args, n, info):
    """Apply args.pattern to the epochs (a generator of sentence lists);
    info[name] gets what each pattern did."""
    pats = set(args.pattern or ())
    if not pats:
        yield from eps
        return
    rate = args.rate
    nfix = NO_FIX_S * rate
    ahead_at = nfix + (n - nfix) // 3
    mid = n // 2
    g0 = max(nfix + 60 * rate, min(n * 45 // 100, n - 1260 * rate))
    gap = (g0, g0 + 1200 * rate)
    stall = (nfix + (n - nfix) // 4, nfix + (n - nfix) // 4 + 60 * rate)
    first = True
    for k, sents in enumerate(eps):
        f = _rmc_fields(sents)
        fix = f is not None and f[2] == "A"
        if "first-untimed" in pats:
            if not fix:
                continue                  # no cold start: the date is not known yet
            if first:
                gga = [s_ for s_ in sents if s_.startswith("$GPGGA")]
                sents = gga + [s_ for s_ in sents if not s_.startswith("$GPGGA")]
                info.setdefault("first-untimed", {"epoch": k, "time": _rmc_time(f)})
        if "gap" in pats and gap[0] <= k < gap[1]:
            g = info.setdefault("gap", {"from_epoch": k, "epochs": 0})
            g["epochs"] += 1
            g["last_dropped"] = _rmc_time(f)
            continue
        if "stall" in pats and stall[0] <= k < stall[1] and fix:
            hms = f[1]
            sents = [sentence("GPRMC,%s,V,,,,,,,%s,,,N" % (hms, f[9])),
                     sentence("GPGGA,%s,,,,,0,00,99.99,,,,,," % hms),
                     sentence("GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99")]
            st_ = info.setdefault("stall", {"from_epoch": k, "epochs": 0})
            st_["epochs"] += 1
        if "day-ahead" in pats and k == ahead_at and fix:
            sents = _redate(sents, 1)
            info["day-ahead"] = {"epoch": k, "true_time": _rmc_time(f),
                                 "time": _rmc_time(_rmc_fields(sents))}
        if "rollover" in pats and k >= mid and fix:
            sents = _redate(sents, 1024 * 7)
            r = info.setdefault("rollover", {"from_epoch": k, "epochs": 0,
                                             "first_time": _rmc_time(_rmc_fields(sents))})
            r["epochs"] += 1
        if "time-back" in pats and k >= nfix + (n - nfix) * 2 // 3 and fix:
            sents = _shift(sents, -3600)
            b = info.setdefault("time-back", {"from_epoch": k, "epochs": 0,
                                              "first_time": _rmc_time(_rmc_fields(sents))})
            b["epochs"] += 1
        if "gll-first" in pats and fix:
            f2 = _rmc_fields(sents)
            gll = sentence("GPGLL,%s,%s,%s,%s,%s,A,A" % (f2[3], f2[4], f2[5], f2[6], f2[1]))
            sents = [gll] + sents
            info["gll-first"] = info.get("gll-first", 0) + 1
        if fix:
            first = False
        yield sents


def write_log(tr, truth, args, fp):
    eol = "\n" if args.lf else "\r\n"
    eolb = eol.encode()
    head = ("# Name: vanctld %s (generated by tools/make-track.py)%s"
            "# Seed: %d, rate: %d Hz, start: %s%s"
            % (truth["variant"], "\n",
               args.seed, args.rate, iso(START), "\n"))
    fp.write(head.encode())
    junk = Junk(args.seed) if args.garbage else None
    buf = []
    n = 0
    info = truth.setdefault("patterns", {})
    for sents in patterned(epochs(tr, args), args, len(tr) // (SIM_HZ // args.rate), info):
        n += 1
        buf.append(eol.join(sents).encode() + eolb)
        if junk is not None:
            for j in junk.after_epoch(sents):
                if isinstance(j, str):
                    j = j.encode("latin-1")
                buf.append(j + eolb)
        if len(buf) >= 4096:
            fp.write(b"".join(buf))
            buf = []
    fp.write(b"".join(buf))
    return n


# ---------------------------------------------------------------------------
# checker

# allowed numbers of fields after the sentence name (NMEA 2.3 and older)
NMEA_FIELDS = {"GPRMC": (11, 12), "GPGGA": (14,), "GPGSA": (17,),
               "GPVTG": (8, 9)}


def check_line(raw):
    """Classify one line (bytes without line end).

    Returns 'comment', 'ok', or a string naming the fault."""
    if raw.startswith(b"#"):
        return "comment"
    try:
        s = raw.decode("ascii")
    except UnicodeDecodeError:
        return "not_ascii"
    if not s or s[0] not in "$!":
        return "no_start"
    star = s.rfind("*")
    if star < 0 or len(s) != star + 3:
        return "no_checksum"
    try:
        want = int(s[star + 1:], 16)
    except ValueError:
        return "no_checksum"
    body = s[1:star]
    if nmea_cksum(body) != want:
        return "bad_checksum"
    fields = body.split(",")
    allowed = NMEA_FIELDS.get(fields[0])
    if allowed and len(fields) - 1 not in allowed:
        return "bad_field_count"
    return "ok"


def check_file(path, allow_junk=False, quiet=False):
    """Check an NMEA log; return (ok, summary dict)."""
    with open(path, "rb") as f:
        data = f.read()
    counts = {}
    backwards = 0
    last_t = None
    rmc_valid = rmc_void = 0
    for raw in data.split(b"\n"):
        raw = raw.rstrip(b"\r")
        if not raw:
            continue
        c = check_line(raw)
        counts[c] = counts.get(c, 0) + 1
        if c == "ok" and raw.startswith(b"$GPRMC"):
            f = raw.decode().split(",")
            if f[2] == "A":
                rmc_valid += 1
            else:
                rmc_void += 1
            t = (f[9][4:6] + f[9][2:4] + f[9][0:2], f[1])
            if last_t is not None and t <= last_t:
                backwards += 1
            last_t = t    # each against the one before: one bad time counts once
    bad = sum(v for k, v in counts.items() if k not in ("ok", "comment"))
    summary = dict(sorted(counts.items()))
    summary["rmc_fix"] = rmc_valid
    summary["rmc_nofix"] = rmc_void
    summary["rmc_time_not_increasing"] = backwards
    ok = allow_junk or (bad == 0 and backwards == 0)
    if not quiet:
        print("%s: %s%s" % (path, json.dumps(summary), "" if ok else "  FAIL"))
    return ok, summary


# ---------------------------------------------------------------------------

def parse_start(when, now=None):
    """--start: ISO 8601 UTC, or now[+-]N[smhd] (whole seconds)."""
    m = re.fullmatch(r"now(?:([+-])(\d+)([smhd]))?", when)
    if m:
        t = int(now if now is not None else time.time())
        if m.group(1):
            n = int(m.group(2)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(3)]
            t += n if m.group(1) == "+" else -n
        return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    d = datetime.datetime.fromisoformat(when.replace("Z", "+00:00"))
    if d.tzinfo is None:
        raise ValueError("say which zone (end with Z for UTC)")
    return d.astimezone(datetime.timezone.utc).replace(microsecond=0)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    p = argparse.ArgumentParser(
        description="Generate realistic NMEA 0183 logs (see module docstring).")
    p.add_argument("-o", dest="output",
                   default=os.path.join(repo, "config", "demo", "evening.nmea"))
    p.add_argument("--stops-json", default=None)
    p.add_argument("--rate", type=int, choices=(1, 10), default=1)
    p.add_argument("--hours", type=float, default=None)
    p.add_argument("--garbage", action="store_true")
    p.add_argument("--deviate", action="store_true")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--park", type=int, default=0, metavar="S")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--start", default=None, metavar="WHEN")
    p.add_argument("--vtg", action="store_true")
    p.add_argument("--lf", action="store_true")
    p.add_argument("--pattern", action="append", choices=PATTERNS)
    p.add_argument("--check", action="store_true")
    p.add_argument("files", nargs="*", metavar="FILE", help="files for --check")
    p.add_argument("--allow-junk", action="store_true")
    args = p.parse_args(argv)

    if args.check:
        if not args.files:
            p.error("--check needs at least one FILE")
        ok = True
        for path in args.files:
            ok = check_file(path, args.allow_junk)[0] and ok
        return 0 if ok else 1

    if args.hours is not None:
        if args.deviate or args.quick or args.park:
            p.error("--deviate, --quick and --park apply to the demo evening, not --hours")
        if not 0.5 <= args.hours <= 48:
            p.error("--hours must be between 0.5 and 48")

    if args.files:
        p.error("unexpected arguments: %s" % " ".join(args.files))
    if args.quick and args.deviate:
        p.error("--quick and --deviate are different evenings: choose one")
    if not 0 <= args.park <= 86400:
        p.error("--park must be 0 to 86400 seconds")
    if args.start is not None:
        global START
        try:
            START = parse_start(args.start)
        except ValueError as e:
            p.error("--start %s: %s" % (args.start, e))
    tr, truth = build(args)
    fp = sys.stdout.buffer if args.output == "-" else open(args.output, "wb")
    try:
        n = write_log(tr, truth, args, fp)
    finally:
        if fp is not sys.stdout.buffer:
            fp.close()

    blat, blon = BASE_LAT, BASE_LON
    doc = {
        "generator": "tools/make-track.py",
        "variant": truth["variant"],
        "seed": args.seed,
        "rate_hz": args.rate,
        "start": iso(START),
        "end": iso(START + datetime.timedelta(seconds=(n - 1) / args.rate)),
        "epochs": n,
        "no_fix_epochs": NO_FIX_S * args.rate,
        "distance_m": round(tr.dist, 1),
        "base": {"lat": blat, "lon": blon},
        "departed_base": truth["departed_base"],
        "returned_base": truth["returned_base"],
        "stops": truth["stops"],
    }
    for k in ("planned_stops", "skipped_planned", "base_visits", "patterns"):
        if k in truth:
            doc[k] = truth[k]
    doc["notes"] = ("lat/lon are the true (noise-free) positions; reported fixes "
                    "scatter ~1-2 m around them. arrival = first whole-second "
                    "fix at rest, departure = last whole-second fix at rest.")
    sj = args.stops_json
    if sj is None and args.output != "-":
        base = args.output[:-5] if args.output.endswith(".nmea") else args.output
        sj = base + ".stops.json"
    if sj and sj != "none":
        with open(sj, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    sys.stderr.write("make-track: %s: %d epochs (%.1f min) at %d Hz, %d stops, "
                     "%.1f km\n" % (args.output, n, n / args.rate / 60.0, args.rate,
                                    len(truth["stops"]), tr.dist / 1000.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
