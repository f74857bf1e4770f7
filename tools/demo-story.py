#!/usr/bin/env python3
"""demo-story.py - the demo's evening, made for the track it runs on.

  tools/demo-story.py make TRACK.stops.json OUTDIR
      writes OUTDIR/plans/evening.json (the planned route, its time windows in
      local time around the track's own stop times: the plan applies whatever
      the time of day the demo starts), OUTDIR/inputs.sim (the simulated crew
      and service users, in seconds from the track's start; format:
      docs/wiring.md) and OUTDIR/story.json (what happens when, for the
      narrator).  The zone is TZ's (default: the system's).
  tools/demo-story.py narrate OUTDIR/story.json T0
      prints each line of the story when its time comes (T0: the track's start,
      Unix seconds), then "the demo is over".

The same story for the short evening (make-track.py --quick: two stops) and
the full one (four stops): at the first stop people come in until the van is
FULL, one more makes it OVER THE LIMIT, then they leave; at the plan's check-in
point the crew checks in; at the next-to-last stop (the last of two) the crew
presses panic, base acknowledges, the crew resets the alarm; back at base the
crew ends the session and the display shows the debrief.  Counts only: the
simulated service users have no identities.

Python 3 standard library only.
"""
import datetime
import json
import os
import sys
import time

CREW_LIMIT = 6   # config/demo/demo.conf: crew 2 x per_crew 3, capacity 6


def parse(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def hhmm(t):
    return t.astimezone().strftime("%H:%M")


def make(stops_json, out):
    d = json.load(open(stops_json))
    t0 = parse(d["start"])
    off = lambda iso: (parse(iso) - t0).total_seconds()
    stops = d["stops"]
    if len(stops) < 2:
        sys.exit("demo-story: the track needs at least two stops")
    quick = d.get("variant") == "quick"
    sim, story = [], []

    def at(t, line, change):
        sim.append((t, "%-8.1f %-12s %s" % (t, line, change)))

    def say(t, text):
        story.append({"t": round(t, 1), "text": text})

    def walk_in(t, n):
        for k in range(n):
            at(t + 4 * k, "beam_outer", "pulse 400")
            at(t + 4 * k + 0.5, "beam_inner", "pulse 400")
        return t + 4 * n

    def walk_out(t, n):
        for k in range(n):
            at(t + 4 * k, "beam_inner", "pulse 400")
            at(t + 4 * k + 0.5, "beam_outer", "pulse 400")
        return t + 4 * n

    checkin_stop = 1                         # S2 / Q2: the prearranged check-in
    panic_stop = len(stops) - 2 if len(stops) > 2 else len(stops) - 1
    at(3, "session", "pulse 200")
    say(3, "The crew presses SESSION: the session starts and follows tonight's "
           "plan (%s)." % ", then ".join(s["site"] for s in stops))
    for i, s in enumerate(stops):
        a, dep = off(s["arrival"]), off(s["departure"])
        say(a, "Stop %s: the van is parked." % s["site"])
        at(a + 3, "door", "on")
        t = a + 6
        if i == 0:
            say(t, "People step in, one by one: the display counts them.")
            t = walk_in(t, CREW_LIMIT)
            say(t - 2, "%d on board: FULL. The entry light says wait." % CREW_LIMIT)
            t = walk_in(t + 2, 1)
            say(t - 2, "One more comes in: OVER THE LIMIT. The buzzer sounds, base is "
                       "told, an incident is logged.")
            t = walk_out(t + 4, CREW_LIMIT + 1)
            say(t - 20, "People leave again: the count goes down.")
        if i == checkin_stop:
            at(a + 8, "checkin", "pulse 200")
            say(a + 8, "A prearranged check-in point: the crew presses CHECK-IN.")
            t = walk_in(max(t, a + 14), 2)
        if i == panic_stop:
            p = max(t + 4, a + 24)
            at(p, "panic", "pulse 300")
            say(p, "Trouble: the crew presses PANIC. Base's console flashes red; the "
                   "van sends its position every few seconds.")
            say(p + 12, "Base acknowledges (this script plays base's operator, or you "
                        "do, in the console): the crew's screen says help is coming.")
            r = p + 40
            at(r, "reset", "pulse 2500")
            say(r + 3, "The crew holds RESET: the emergency is cleared.")
            t = r + 6
        if i in (checkin_stop, panic_stop) and i != 0:
            walk_out(max(t, dep - 18), 2)
        at(dep - 4, "door", "off")
    back = off(d["returned_base"])
    say(back, "Back at base.")
    at(back + 12, "session", "pulse 200")
    say(back + 12, "The crew presses SESSION again: the session ends and the display "
                   "shows the debrief.")
    say(back + 45, "The demo is over: the evening is in the database (see below). "
                   "It stops by itself in a few minutes; Ctrl-C (or q) stops it now.")

    os.makedirs(os.path.join(out, "plans"), exist_ok=True)
    sim.sort(key=lambda x: x[0])
    with open(os.path.join(out, "inputs.sim"), "w") as f:
        f.write("# generated by tools/demo-story.py for %s (times: seconds from the "
                "track's start)\n" % os.path.basename(stops_json))
        for _, line in sim:
            f.write(line.rstrip() + "\n")

    locs = []
    for i, s in enumerate(stops):
        arr = parse(s["arrival"])
        loc = {"name": s["site"], "lat": s["lat"], "lon": s["lon"], "radius_m": 100,
               "earliest": hhmm(arr - datetime.timedelta(minutes=1)),
               "latest": hhmm(arr + datetime.timedelta(minutes=2)),
               "dwell_min": max(1, int(s["duration_s"] // 60))}
        if i == checkin_stop:
            loc["checkin"] = True
        locs.append(loc)
    plan = {
        "version": 1,
        "description": "The demo's evening (%s), made by tools/demo-story.py for the "
                       "track it runs on: times are the track's own, in local time."
                       % ("short" if quick else "full"),
        "start": hhmm(t0),
        "end": hhmm(parse(d["returned_base"]) + datetime.timedelta(minutes=3)),
        "base": {"name": "Base", "lat": d["base"]["lat"], "lon": d["base"]["lon"],
                 "radius_m": 150},
        "corridor_m": 450,
        "off_corridor_min": 2,
        "unplanned_stop_min": 2,
        "checkin_grace_min": 3,
        "checkin_repeat_min": 5,
        "arrive_fixes": 3,
        "locations": locs,
    }
    with open(os.path.join(out, "plans", "evening.json"), "w") as f:
        json.dump(plan, f, indent=2)
        f.write("\n")
    story.sort(key=lambda x: x["t"])
    with open(os.path.join(out, "story.json"), "w") as f:
        json.dump({"start": d["start"], "lines": story}, f, indent=1)
        f.write("\n")


def narrate(story_json, t0):
    st = json.load(open(story_json))
    for line in st["lines"]:
        due = t0 + line["t"]
        while True:
            left = due - time.time()
            if left <= 0:
                break
            time.sleep(min(left, 1.0))
        m, s = divmod(int(line["t"]), 60)
        print("%2d:%02d  %s" % (m, s, line["text"]), flush=True)


def main(argv):
    if len(argv) == 4 and argv[1] == "make":
        make(argv[2], argv[3])
        return 0
    if len(argv) == 4 and argv[1] == "narrate":
        narrate(argv[2], float(argv[3]))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
