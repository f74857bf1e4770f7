#!/usr/bin/env python3
"""check-cuts.py WORK FLUSH_S - the power-cut figures of the system test.

Reads what tests/system/run-system-test.sh left in WORK:
  flow.txt       guest-flow.sh's lines as they reached the host, with
                 "CUT c START ms" / "CUT c AT ms" marks
  cuts.txt       one line a cut: integrity, READY, drain, route_max
  events-c.txt   "seq type" of every stored event after boot c+1 (cut c)
  base-sub.log   every message base received: "UNIX_TIME TOPIC PAYLOAD"

and checks, for every cut c:
  - PRAGMA integrity_check said ok; the daemon was READY again; the outbox
    drained (backlog 0)
  - every event confirmed before the cut is stored: (a) each command vanctl
    got an ok reply for (counted per event type: the daemon stores the event
    before it replies), (b) each event seq base received before the cut, with
    the same type
  - route: of the fixes base saw (location messages) before the cut, those
    newer than the newest stored point were lost; the oldest of them was at
    most FLUSH_S (+1.5 s) old at the cut; the track lost is reported
and at the end: base has every seq from 1 to the highest stored (no gap).
Prints the figures; exit 1 on any failure.
"""
import collections, datetime, json, os, re, sys

work, flush = sys.argv[1], float(sys.argv[2])
fails = []

# what a confirmed command stores
CMD_TYPE = {"checkin": "checkin", "occupancy": "occupancy.corrected", "incident": "incident",
            "panic": "emergency.raised", "alarm": "emergency.cleared"}


def utc_ms(s):
    return int(datetime.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


# ---- flow: confirmed commands per cut ----
confirmed = collections.defaultdict(collections.Counter)  # cut -> type -> n
refused = collections.Counter()
replies = collections.Counter()
cut_at = {}
cur = None
for line in open(os.path.join(work, "flow.txt"), errors="replace"):
    line = line.rstrip("\n")
    m = re.match(r"CUT (\d+) (START|AT) (\d+)", line)
    if m:
        cur = int(m.group(1))
        if m.group(2) == "AT":
            cut_at[cur] = int(m.group(3))
        continue
    parts = line.split("|", 3)
    if len(parts) < 4 or cur is None:
        continue
    ok, _, cmd, out = parts
    word = cmd.split()[0]
    if ok == "OK":
        try:
            r = json.loads(out)
        except ValueError:
            r = {}
        if r.get("ok") is True:
            confirmed[cur][CMD_TYPE[word]] += 1
            replies[word] += 1
    else:
        refused[word] += 1

# ---- base: events and locations received, with the time received ----
base_ev = []  # (recv_ms, seq, type)
base_loc = []  # (recv_ms, fix_ms)
for line in open(os.path.join(work, "base-sub.log"), errors="replace"):
    p = line.rstrip("\n").split(" ", 2)
    if len(p) < 3:
        continue
    try:
        recv = int(float(p[0]) * 1000)
        msg = json.loads(p[2])
    except ValueError:
        continue
    if p[1].endswith("/event") and isinstance(msg, dict) and msg.get("seq") is not None:
        base_ev.append((recv, msg["seq"], msg.get("type")))
    elif p[1].endswith("/location") and isinstance(msg, dict) and msg.get("fix_time"):
        base_loc.append((recv, utc_ms(msg["fix_time"])))

# ---- per cut ----
rows = []
for line in open(os.path.join(work, "cuts.txt")):
    f = line.split()
    d = dict(zip(f[0::2], f[1::2]))
    rows.append(d)
cum = collections.Counter()
lost = []
ages = []
readys = []
drains = []
last_events = {}
for d in rows:
    c = int(d["cut"])
    at = int(d["at"])
    if d.get("integrity") != "ok":
        fails.append("cut %d: integrity_check says %r" % (c, d.get("integrity")))
    if d.get("ready") in (None, "NA"):
        fails.append("cut %d: not READY after the boot" % c)
    else:
        readys.append(float(d["ready"]))
    if d.get("drained_s") in (None, "NA"):
        fails.append("cut %d: the outbox did not drain within 30 s" % c)
    else:
        drains.append(int(d["drained_s"]))
    stored = {}
    path = os.path.join(work, "events-%d.txt" % c)
    for l in open(path) if os.path.exists(path) else []:
        s = l.split()
        if len(s) == 2:
            stored[int(s[0])] = s[1]
    last_events = stored
    if not stored:
        fails.append("cut %d: no stored events read" % c)
    cum.update(confirmed[c])
    have = collections.Counter(stored.values())
    for t, n in cum.items():
        if have[t] < n:
            fails.append("cut %d: %d %s confirmed to vanctl, %d stored" % (c, n, t, have[t]))
    for recv, seq, t in base_ev:
        if recv < at and stored.get(seq) != t:
            fails.append("cut %d: seq %d (%s) reached base before the cut, stored: %r" % (c, seq, t, stored.get(seq)))
    # route: the fixes base saw before the cut that are newer than the newest
    # stored point were in the daemon's memory only; the oldest of them must
    # be younger than flush_interval (+1.5 s: a fix's way through gpsd and
    # the track filter, and one point a second) at the cut
    seen = [fx for recv, fx in base_loc if recv < at]
    rmax = int(d.get("route_max", "0") or 0)
    if seen and rmax:
        unstored = [fx for fx in seen if fx > rmax + 1000]
        age = (at - min(unstored)) / 1000.0 if unstored else 0.0
        lost.append((max(seen) - rmax) / 1000.0 if unstored else 0.0)
        ages.append(age)
        if age > flush + 1.5:
            fails.append("cut %d: a route point %.1f s old at the cut was not stored (> flush_interval %g s + 1.5)"
                         % (c, age, flush))
    else:
        fails.append("cut %d: no route figure (locations seen %d, route_max %d)" % (c, len(seen), rmax))

# ---- no gap at base ----
base_seqs = {s for _, s, _ in base_ev}
if last_events:
    top = max(last_events)
    missing = [s for s in range(1, top + 1) if s not in base_seqs]
    gaps = [s for s in range(1, top + 1) if s not in last_events]
    if missing:
        fails.append("base never received seq %s (of 1..%d)" % (missing[:20], top))
    if gaps:
        fails.append("the database lacks seq %s (of 1..%d)" % (gaps[:20], top))
    dup = len(base_ev) - len(base_seqs)
else:
    top = dup = 0


def stats(v):
    if not v:
        return "none"
    v = sorted(v)
    return "min %.2f median %.2f max %.2f" % (v[0], v[len(v) // 2], v[-1])


print("[system] power cuts: %d" % len(rows))
print("[system]   commands confirmed by vanctl before a cut: %s (refused/unanswered: %s)"
      % (dict(replies), dict(refused)))
print("[system]   events stored: %d (seq 1..%d); at base: %d distinct, %d duplicates (QoS 1 resends)"
      % (len(last_events), top, len(base_seqs), dup))
print("[system]   READY after boot, s since kernel start: %s" % stats(readys))
print("[system]   outbox drained after READY, s: %s" % stats(drains))
print("[system]   route lost per cut, s of track (newest fix base saw - newest point stored): %s" % stats(lost))
print("[system]   oldest unstored route point at the cut, s (limit flush_interval %g + 1.5): %s" % (flush, stats(ages)))
for f in fails:
    print("[system] FAIL: " + f)
if fails:
    sys.exit(1)
print("[system] PASS: power cuts: integrity ok, every confirmed event stored, route loss within "
      "flush_interval, outbox drained with no seq gap, READY every time")
