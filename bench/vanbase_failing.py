#!/usr/bin/python3
"""vanbase_failing.py - drive and judge bench/vanbase-failing-receiver.sh.

  vanbase_failing.py drive PORT WORK MODES ALARMS WINDOW_S STEPS_S
  vanbase_failing.py report WORK MODES ALARMS WINDOW_S STEPS_S

drive: on the broker at PORT, for each MODE (500, hang, refuse) a fleet of
ALARMS vans under its own van prefix (x500/..., the prefix of that mode's
vanbase), each with a session running; then ALARMS emergencies per mode,
one on each van, spread evenly over the WINDOW_S seconds the webhook of
that mode fails (the same instants in every mode).  Each publish is
stamped with CLOCK_MONOTONIC (WORK/raised.json).  It then waits until the
last step (STEPS_S, e.g. "0,60,180": the chain's offsets) is due plus 20 s,
and every notification on the failing webhook has its final result in its
vanbase's log (delivered or given up), at most WINDOW_S + 900 s.

report: from WORK/raised.json, the SMTP server's messages (WORK/mail/*.json,
CLOCK_MONOTONIC stamps at DATA), the healthy webhook's requests
(WORK/okhook.jsonl) and each vanbase's log (WORK/vb-MODE.log, every line
stamped on arrival by stamp_lines.py, wall ms), per mode:
  - lateness of each step's e-mail (and of the healthy webhook at step 2)
    against its plan: the emergency's publish + the step's offset;
  - the failing webhook: attempts per notification, the intervals between
    attempt starts (the backoff), the final result and when it came
    relative to the end of the outage;
  - whether every failed attempt's log line gives the reason of the mode
    (HTTP 500 / a timeout / connection refused).
Prints the figures and writes WORK/report.json.
"""
import glob, json, os, re, statistics, sys, time

REASON = {"500": re.compile(r"HTTP 500"), "hang": re.compile(r"[Tt]ime(d)? ?out|timed out"),
          "refuse": re.compile(r"[Cc]onnection refused")}
ATTEMPT = re.compile(r"^(\d+)\t<\d>notify push \[([^\]]+)\]: attempt (\d+)/(\d+) "
                     r"(?:delivered: (.*) in (\d+) ms|failed: (.*) after (\d+) ms; (retry in (\d+) ms|giving up.*))$")


def unit_of(mode, i):
    return f"x{mode}-{i + 1}"


def parse_nid(nid):
    """ALARM.aArRsS.CONTACT.CHANNEL (vbd.c channel_id; A: the chain's start,
    R its round, S its step) -> (alarm, round, step, contact, channel)"""
    m = re.match(r"^(.*)\.a\d+r(\d+)s(\d+)\.([^.]+)\.([^.]+)$", nid)
    return (m.group(1), int(m.group(2)), int(m.group(3)), m.group(4), m.group(5)) if m else None


def unit_of_alarm(alarm):
    return alarm.split("-emergency-")[0]


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else None


def attempts_of(work, mode):
    """{nid: [{stamp, n, of, ok, reason, took, retry_in}]} from the stamped log"""
    out = {}
    try:
        lines = open(os.path.join(work, f"vb-{mode}.log"), errors="replace").read().splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        m = ATTEMPT.match(line)
        if not m:
            continue
        ok = m.group(5) is not None
        out.setdefault(m.group(2), []).append({
            "stamp": int(m.group(1)), "n": int(m.group(3)), "of": int(m.group(4)), "ok": ok,
            "reason": m.group(5) if ok else m.group(7), "took": int(m.group(6) if ok else m.group(8)),
            "retry_in": int(m.group(10)) if m.group(10) else None, "final": ok or m.group(10) is None})
    return out


def drive(port, work, modes, alarms, window, steps):
    import paho.mqtt.client as mqtt
    c = mqtt.Client(client_id="bench-failing", protocol=mqtt.MQTTv311)
    c.connect("127.0.0.1", port)
    c.loop_start()
    now_ms = lambda: int(time.time() * 1000)
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t / 1000)) + ".000Z"
    for mode in modes:
        for i in range(alarms):
            u = unit_of(mode, i)
            t = now_ms()
            c.publish(f"x{mode}/{u}/availability", "online", qos=1, retain=True)
            c.publish(f"x{mode}/{u}/state", json.dumps({"v": 1, "utc": t, "session": {"state": "active", "id": 1,
                      "planned_end_utc": t + 86400000, "checkin": {"due_utc": t + 86400000, "stage": "idle"}}}),
                      qos=1, retain=True)
    time.sleep(3)  # vanbase sees the fleet
    spacing = window / alarms
    t0 = time.monotonic()
    raised = {}
    for i in range(alarms):
        at = t0 + i * spacing
        time.sleep(max(0.0, at - time.monotonic()))
        for mode in modes:
            u = unit_of(mode, i)
            eid = now_ms()
            body = json.dumps({"v": 1, "unit": u, "active": True, "id": eid, "raised_utc": eid, "source": "panic",
                               "covert": False, "presses": 1, "acknowledged": False, "time": iso(eid)})
            raised[u] = time.monotonic()
            c.publish(f"x{mode}/{u}/emergency", body, qos=1, retain=True)
        print(f"  {time.monotonic() - t0:6.1f} s: emergency {i + 1}/{alarms} raised in every mode", flush=True)
    json.dump({"t0": t0, "raised": raised}, open(os.path.join(work, "raised.json"), "w"))
    last_step = t0 + (alarms - 1) * spacing + max(steps) + 20
    cap = t0 + window + 900
    while time.monotonic() < cap:
        if time.monotonic() >= last_step:
            pending = [m for m in modes if any(not a[-1]["final"] for nid, a in attempts_of(work, m).items()
                                               if nid.endswith(".push"))]
            if not pending:
                break
        time.sleep(1)
    else:
        print("  (gave up waiting for the failing webhook's final results)", flush=True)
    c.loop_stop()


def report(work, modes, alarms, window, steps):
    r = json.load(open(os.path.join(work, "raised.json")))
    t0, raised = r["t0"], r["raised"]
    mails = [json.load(open(p)) for p in glob.glob(os.path.join(work, "mail", "*.json"))]
    try:
        hooks = [json.loads(l) for l in open(os.path.join(work, "okhook.jsonl"))]
    except FileNotFoundError:
        hooks = []
    try:
        back = float(open(os.path.join(work, "outage_start")).read()) + window   # the receivers answer 200 again
    except (FileNotFoundError, ValueError):
        back = None
    out = {}
    for mode in modes:
        res = {"steps": {}, "ok_webhook": None}
        late = {}   # step -> [lateness ms] of its e-mails
        for m in mails:
            mid = re.search(r"^Message-ID: <([^>]+)\.vanbase@", m["data"], re.M)
            p = parse_nid(mid.group(1)) if mid else None
            if not p or not unit_of_alarm(p[0]).startswith(f"x{mode}-") or p[1] != 0:
                continue
            u = unit_of_alarm(p[0])
            late.setdefault(p[2], []).append((m["t"] - raised[u] - steps[p[2]]) * 1000)
        for s, off in enumerate(steps):
            xs = late.get(s, [])
            res["steps"][s] = {"offset_s": off, "mails": len(xs), "expected": alarms,
                               "p50_ms": pct(xs, 50), "max_ms": max(xs) if xs else None}
        ok = []
        for h in hooks:
            p = parse_nid(json.loads(h["body"]).get("id", ""))
            if p and unit_of_alarm(p[0]).startswith(f"x{mode}-"):
                ok.append(((h["t"] - raised[unit_of_alarm(p[0])] - steps[p[2]]) * 1000, p[2]))
        res["ok_webhook"] = {"requests": len(ok), "p50_ms": pct([x for x, _ in ok], 50),
                             "max_ms": max([x for x, _ in ok]) if ok else None}
        att = {nid: a for nid, a in attempts_of(work, mode).items() if nid.endswith(".push")}
        per = []
        reasons, matched, failed_n = set(), 0, 0
        for nid, a in sorted(att.items()):
            starts = [x["stamp"] - x["took"] for x in a]
            last = a[-1]
            for x in a:
                if not x["ok"]:
                    failed_n += 1
                    reasons.add(re.sub(r'"n": \d+|\d+ milliseconds|after \d+ ms|port \d+', "N", x["reason"]))
                    matched += bool(REASON[mode].search(x["reason"]))
            per.append({"id": nid, "attempts": len(a), "of": a[0]["of"], "delivered": last["ok"],
                        "final": last["final"],
                        "intervals_s": [round((b - c) / 1000, 1) for c, b in zip(starts, starts[1:])],
                        "retry_in_s": [x["retry_in"] / 1000 for x in a if x["retry_in"] is not None]})
        # the notifications that failed during the outage: when the receiver,
        # back, got each one (the time it answers 200 again -> delivered)
        after = []
        failed_ids = {nid for nid, a in att.items() if not a[0]["ok"]}
        try:
            for h in (json.loads(l) for l in open(os.path.join(work, f"hook-{mode}.jsonl"))):
                hid = json.loads(h["body"]).get("id")
                if not h.get("failing", True) and back is not None and hid in failed_ids:
                    after.append(h["t"] - back)
        except FileNotFoundError:
            pass
        res["delivered_after_back_s"] = {"n": len(after), "max": max(after) if after else None,
                                         "p50": pct(after, 50)}
        res["webhook"] = per
        res["reasons"] = sorted(reasons)
        res["reason_logged"] = {"failed_attempts": failed_n, "with_reason_of_mode": matched}
        out[mode] = res

    print(f"webhook down for {window:.0f} s in each mode; {alarms} emergencies per mode; "
          f"chain steps at {', '.join(f'{s:g} s' for s in steps)}")
    for mode in modes:
        res = out[mode]
        print(f"\n== mode {mode} ==")
        for s, st in res["steps"].items():
            f = lambda v: "-" if v is None else f"{v:.0f}"
            print(f"  step {s + 1} (+{st['offset_s']:g} s) e-mail: {st['mails']}/{st['expected']} arrived, late "
                  f"p50 {f(st['p50_ms'])} ms, max {f(st['max_ms'])} ms"
                  f"   {'on time (< 1 s)' if st['max_ms'] is not None and st['max_ms'] < 1000 and st['mails'] == st['expected'] else 'NOT ON TIME / MISSING'}")
        ow = res["ok_webhook"]
        if ow["requests"]:
            print(f"  healthy webhook (step 2): {ow['requests']} requests, late p50 {ow['p50_ms']:.0f} ms, max {ow['max_ms']:.0f} ms")
        w = res["webhook"]
        if w:
            ns = [x["attempts"] for x in w]
            print(f"  failing webhook: {len(w)} notifications, attempts per notification min {min(ns)} "
                  f"median {statistics.median(ns):g} max {max(ns)} (of {w[0]['of']}); "
                  f"delivered after the outage: {sum(x['delivered'] for x in w)}/{len(w)}, "
                  f"given up: {sum(x['final'] and not x['delivered'] for x in w)}, unfinished: {sum(not x['final'] for x in w)}")
            d = res["delivered_after_back_s"]
            if d["n"]:
                print(f"    the receiver back: the {d['n']} that had failed were delivered p50 {d['p50']:.1f} s, max {d['max']:.1f} s later"
                      f" (bound: the capped backoff, 60 s, + one timeout)")
            print(f"    intervals between attempts of {w[0]['id']} (s): {w[0]['intervals_s']}")
            print(f"    backoff it logged (retry in, s): {w[0]['retry_in_s']}")
        rl = res["reason_logged"]
        print(f"  reason in the log: {rl['with_reason_of_mode']}/{rl['failed_attempts']} failed attempts name it"
              f" ({'yes' if rl['failed_attempts'] and rl['with_reason_of_mode'] == rl['failed_attempts'] else 'NO'}): "
              + "; ".join(res["reasons"][:3]))
    json.dump(out, open(os.path.join(work, "report.json"), "w"), indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "drive":
        drive(int(sys.argv[2]), sys.argv[3], sys.argv[4].split(), int(sys.argv[5]), float(sys.argv[6]),
              [float(x) for x in sys.argv[7].split(",")])
    else:
        report(sys.argv[2], sys.argv[3].split(), int(sys.argv[4]), float(sys.argv[5]),
               [float(x) for x in sys.argv[6].split(",")])
