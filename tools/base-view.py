#!/usr/bin/env python3
"""base-view: what base would see, one readable line per MQTT message.

Reads `mosquitto_sub -v` output ("topic payload" lines) on stdin and prints a
compact summary of each message: availability, state (session, occupancy,
check-in due, GPS, backlog), locations (every 10th, to keep it readable),
events with their sequence number, the emergency topic and command replies.
Used by scripts/demo.sh; any line it cannot parse is shown raw.
"""
import json
import sys
import time

nloc = 0


def hhmmss(ms):
    return time.strftime("%H:%M:%S", time.gmtime(ms / 1000)) if isinstance(ms, (int, float)) else "-"


def line(kind, text):
    print(f"{time.strftime('%H:%M:%S')} {kind:<6} {text}", flush=True)


for raw in sys.stdin:
    topic, _, payload = raw.rstrip("\n").partition(" ")
    sub = topic.split("/", 2)[-1] if topic.count("/") >= 2 else topic
    try:
        if sub == "availability":
            line("LINK", f"van {payload.upper()}")
            continue
        m = json.loads(payload)
        if sub == "state":
            s, o, g = m.get("session") or {}, m.get("occupancy") or {}, m.get("gps") or {}
            ck = (s.get("checkin") or {})
            backlog = (m.get('link') or {}).get('backlog') or 0
            line("STATE", f"{s.get('state', '-')}, {o.get('occupancy', '-')}/{o.get('limit', '-')} aboard"
                 + (f", check-in {hhmmss(ck.get('due_utc'))[:5]}" if ck.get('due_utc') else "")
                 + f", gps {g.get('fix', '-')}" + (f", {backlog} unsent" if backlog else ""))
        elif sub == "location":
            nloc += 1
            if nloc % 10 == 1:
                line("WHERE", f"{m.get('lat'):.5f},{m.get('lon'):.5f} "
                     f"{(m.get('speed') or 0) * 3.6:.0f} km/h")
        elif sub == "event":
            d = m.get("data") or {}
            extra = d.get("location") or d.get("name") or d.get("category") or ""
            line("EVENT", f"#{m.get('seq')} {m.get('type')} {extra}".rstrip()
                 + (" [PRIORITY]" if m.get("prio", 0) >= 2 else ""))
        elif sub == "emergency":
            if m.get("active"):
                ack = f"acknowledged by {m.get('acked_by')}" if m.get("acknowledged") else "NOT YET ACKNOWLEDGED"
                line("ALARM", f"EMERGENCY{' (covert)' if m.get('covert') else ''} at "
                     f"{m.get('lat', 0):.5f},{m.get('lon', 0):.5f} - {ack}")
            else:
                line("ALARM", "emergency cleared")
        elif sub == "reply":
            line("REPLY", f"{m.get('command')}: {'ok' if m.get('ok') else m.get('error')} - {m.get('reason', '')}")
        else:
            line("MQTT", f"{topic} {payload[:100]}")
    except (ValueError, TypeError, AttributeError):
        line("MQTT", f"{topic} {payload[:100]}")
