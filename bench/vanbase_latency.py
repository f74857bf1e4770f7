#!/usr/bin/python3
"""vanbase_latency.py - drive bench/vanbase-latency.sh's fleet and alarms.

  vanbase_latency.py PORT RECEIVER_LOG UNITS ALARMS OUT.json

A fleet of UNITS simulated vans on the broker at PORT (each: availability
online, a state every second, a location every second), and ALARMS
emergencies one after another, each on the next van: the emergency is
published (QoS 1), then the driver waits for vanbase's first notification
of it at the webhook receiver (RECEIVER_LOG, vb_http_receiver.py's JSON
lines, stamped with CLOCK_MONOTONIC on this machine) and for the second
step (2 s after the raise in the bench's chain), then clears it.

Measured per alarm, on CLOCK_MONOTONIC:
  first  = receiver got the first notification - just before the publish
  step2  = receiver got the second step - first notification - 2000 ms
           (how late an escalation step fires)
Writes the samples and their percentiles to OUT.json.
"""
import json, os, sys, threading, time
import paho.mqtt.client as mqtt

port, log, units, alarms, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
vans = [f"van{i + 1}" for i in range(units)]
c = mqtt.Client(client_id="bench-fleet", protocol=mqtt.MQTTv311)
c.connect("127.0.0.1", port)
c.loop_start()
now_ms = lambda: int(time.time() * 1000)
for v in vans:
    c.publish(f"vanctld/{v}/availability", "online", qos=1, retain=True)

stop = threading.Event()


def fleet():
    """every van: a state and a location each second, as a real fleet does"""
    seq = 0
    while not stop.is_set():
        t = now_ms()
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t / 1000)) + ".000Z"
        for v in vans:
            c.publish(f"vanctld/{v}/state", json.dumps({"v": 1, "utc": t, "session": {"state": "active", "id": 1,
                      "planned_end_utc": t + 3600000, "checkin": {"due_utc": t + 1800000, "stage": "idle"}}}),
                      qos=1, retain=True)
            seq += 1
            c.publish(f"vanctld/{v}/location", json.dumps({"v": 1, "seq": seq, "unit": v, "time": iso,
                      "fix_time": iso, "lat": 53.8, "lon": -1.55}), qos=1)
        stop.wait(1.0)


threading.Thread(target=fleet, daemon=True).start()
time.sleep(3)  # vanbase sees the fleet and measures clock offsets


def requests():
    try:
        with open(log) as f:
            return [json.loads(line) for line in f]
    except FileNotFoundError:
        return []


first, step2 = [], []
for k in range(alarms):
    v = vans[k % units]
    eid = now_ms()
    body = json.dumps({"v": 1, "unit": v, "active": True, "id": eid, "raised_utc": eid, "source": "panic",
                       "covert": False, "presses": 1, "acknowledged": False,
                       "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(eid / 1000)) + ".000Z"})
    seen = len(requests())
    t0 = time.monotonic()
    c.publish(f"vanctld/{v}/emergency", body, qos=1, retain=True)
    got1 = got2 = None
    deadline = t0 + 10
    while time.monotonic() < deadline and got2 is None:
        for r in requests()[seen:]:
            b = json.loads(r["body"])
            if v not in b.get("text", ""):
                continue
            if "r0s0" in b["id"] and got1 is None:
                got1 = r["t"]
            elif "r0s1" in b["id"] and got2 is None:
                got2 = r["t"]
        time.sleep(0.01)
    if got1 is None or got2 is None:
        print(f"alarm {k} on {v}: no notification in 10 s (first {got1}, second {got2})", file=sys.stderr)
        sys.exit(1)
    first.append((got1 - t0) * 1000)
    step2.append((got2 - got1) * 1000 - 2000)
    c.publish(f"vanctld/{v}/emergency", json.dumps({"v": 1, "unit": v, "active": False,
              "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now_ms() / 1000)) + ".000Z"}),
              qos=1, retain=True)
    time.sleep(0.2)
stop.set()
c.loop_stop()


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


res = {"units": units, "alarms": alarms}
for name, xs in (("first_ms", first), ("step_late_ms", step2)):
    res[name] = {"p50": pct(xs, 50), "p90": pct(xs, 90), "p99": pct(xs, 99), "max": max(xs), "min": min(xs)}
json.dump({"summary": res, "first": first, "step2": step2}, open(out, "w"))
print(json.dumps(res))
