#!/usr/bin/env python3
"""display_state.py OUT [PATCH ...] - write a crew snapshot for fake_ctl.py.

Each call changes the snapshot in OUT (the base below when OUT does not
exist yet), so a test moves it on step by step.

The base is an active session (van1, crew 2, 3 on board of 6, link online,
3D fix) at a fixed time (2025-06-15 16:00 UTC: the tests run the display
with TZ=UTC, so clock times are fixed strings and no test depends on
today's date).  Each PATCH is a JSON object merged into it (objects merge
member by member; null deletes).  OUT is replaced atomically, so
fake_ctl.py never reads half a file.
"""
import json
import os
import sys

T = 1750003200000          # 2025-06-15T16:00:00Z

BASE = {
    "v": 1, "utc": T, "utc_src": "system", "unit": "van1", "name": "Test van",
    "version": "0.1.0", "time_src": "system",
    "session": {"state": "active", "id": T - 3600000, "crew": 2, "lone": False, "plan": None,
                "started_utc": T - 3600000, "started_by": "button",
                "planned_end_utc": T + 3600000, "elapsed_s": 3600, "remaining_s": 3600,
                "overdue_s": 0,
                "checkin": {"stage": "waiting", "reason": "normal", "interval_min": 60,
                            "last_utc": T - 600000, "due_utc": T + 3000000, "due_in_s": 3000,
                            "overdue": False, "overdue_s": 0, "escalated": False,
                            "requested": False, "made": 2, "missed": 0},
                "distance_m": 5210, "stops": 2, "incidents": {}},
    "last_session": None,
    "occupancy": {"count": 3, "occupancy": 3, "limit": 6, "full": False, "seats": 0,
                  "capacity": 6, "crew": 2, "over": False, "entries": 7, "exits": 4,
                  "peak": 4, "at_limit_s": 0, "over_limit_s": 0, "corrections": 0,
                  "correction_total": 0, "beam_fault": [], "muted_until_utc": None},
    "stop": None, "fix": None, "doors": [], "door_open_while_moving": False,
    "emergency": None,
    "selftest": {"running": False, "started_utc": None, "last_result": None,
                 "last_utc": None, "last_rtt_ms": None},
    "outputs": {"entry_light_full": False, "buzzer": "off", "alarm_light": "off"},
    "plan": None,
    "gps": {"link": "up", "fix": "3d", "age_s": 1},
    "link": {"base": "online", "backlog": 0, "oldest_s": None, "last_ack_utc": T - 1000},
}


def merge(a, b):
    for k, v in b.items():
        if v is None:
            a[k] = None
        elif isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
    return a


def main():
    out = sys.argv[1]
    if os.path.exists(out):
        with open(out) as f:
            st = json.load(f)
    else:
        st = json.loads(json.dumps(BASE))
    for p in sys.argv[2:]:
        merge(st, json.loads(p))
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
