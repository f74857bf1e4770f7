#!/usr/bin/env python3
"""backlog_report.py SUB.tsv EXPECT.txt EMPTY_NS - what base received after
the reconnect (msub's time-stamped log), checked against what the outbox
held before (EXPECT.txt: max_event_seq, events, locations, thinned).

Times are from the van's connection (the first message at base: the
availability "online" it publishes on connecting) to the last backlog
message at base, and to the outbox table being empty (EMPTY_NS)."""
import json
import sys

sub, expect_file, empty_ns = sys.argv[1], sys.argv[2], int(sys.argv[3])
exp = dict(l.split() for l in open(expect_file) if l.strip())
exp = {k: int(v) for k, v in exp.items()}

msgs = []
for line in open(sub, encoding="utf-8", errors="replace"):
    parts = line.rstrip("\n").split("\t", 2)
    if len(parts) < 3:
        continue
    msgs.append((int(parts[0]), parts[1], parts[2]))
if not msgs:
    print("  nothing received")
    sys.exit(1)
t_conn = next(t for t, topic, p in msgs if topic.endswith("/availability") and p == "online")

ev_seen, loc_seen = set(), set()
order = []            # (t, prio) of backlog messages in arrival order
last_backlog = t_conn
for t, topic, p in msgs:
    kind = topic.rsplit("/", 1)[-1]
    if kind == "event":
        e = json.loads(p)
        if e["seq"] <= exp["max_event_seq"]:
            ev_seen.add(e["seq"])
            order.append((t, e["prio"], e["type"]))
            last_backlog = max(last_backlog, t)
    elif kind == "location":
        l = json.loads(p)
        if l["seq"] <= exp["max_location_seq"]:
            loc_seen.add(l["seq"])
            order.append((t, 0, "location"))
            last_backlog = max(last_backlog, t)
    elif kind == "emergency" and t < empty_ns:
        order.append((t, 2, "emergency topic"))
        last_backlog = max(last_backlog, t)

want_loc = exp["locations"] - exp["thinned"]
ok_ev = len(ev_seen) == exp["events"]
ok_loc = len(loc_seen) == want_loc
first_low = next((i for i, o in enumerate(order) if o[1] == 0), len(order))
last_high = max((i for i, o in enumerate(order) if o[1] == 2), default=-1)
emergency_first = last_high < first_low
print("  outbox before: %d events (%d emergency), %d locations (thinned on connect by %d), 1 state" % (
    exp["events"], exp["emergencies"], exp["locations"], exp["thinned"]))
print("  received at base: %d/%d events %s, %d/%d locations %s; %d messages in all" % (
    len(ev_seen), exp["events"], "ok" if ok_ev else "MISSING", len(loc_seen), want_loc,
    "ok" if ok_loc else "MISSING", len(msgs)))
print("  order: the first %d backlog messages were %s; emergencies before everything of normal priority: %s" % (
    min(5, len(order)), ", ".join(o[2] for o in order[:5]), "yes" if emergency_first else "NO"))
print("  connect -> last backlog message at base: %8.1f ms" % ((last_backlog - t_conn) / 1e6))
print("  connect -> outbox table empty:           %8.1f ms" % ((empty_ns - t_conn) / 1e6))
sys.exit(0 if ok_ev and ok_loc and emergency_first else 1)
