#!/usr/bin/python3
"""py_equivalent.py - what a user would otherwise write instead of vanctld.

The straightforward Python tool: read gpsd (python3-gps), insert each fix
into SQLite with a commit, publish each fix as JSON to MQTT (python3-paho-mqtt,
QoS 1).  No filtering, no outbox, no emergencies: the peer that vanctld's cost
per fix is compared with in bench/fix-cost.sh.

    py_equivalent.py GPSD_PORT BROKER_PORT DB_FILE

Exits when gpsd closes the connection (the end of the gpsfake log).
"""
import json
import os
import sqlite3
import sys

import gps
import paho.mqtt.client as mqtt


def main():
    gpsd_port, broker_port, db_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    db = sqlite3.connect(db_file)
    db.execute("CREATE TABLE IF NOT EXISTS fixes (time TEXT, lat REAL, lon REAL, alt REAL, "
               "speed REAL, track REAL, mode INTEGER)")
    db.commit()

    client = mqtt.Client(client_id="py-equivalent-%d" % os.getpid())
    client.connect("127.0.0.1", broker_port, keepalive=60)
    client.loop_start()

    session = gps.gps(host="127.0.0.1", port=gpsd_port, mode=gps.WATCH_ENABLE | gps.WATCH_JSON)
    n = 0
    last_time = None
    try:
        for report in session:
            if report["class"] != "TPV" or report.get("mode", 0) < 2:
                continue
            t = report.get("time")
            if t == last_time:          # gpsd repeats the first epoch (mode 2, then 3)
                continue
            last_time = t
            fix = {"time": t, "lat": report.get("lat"), "lon": report.get("lon"),
                   "alt": report.get("alt"), "speed": report.get("speed"),
                   "track": report.get("track"), "mode": report.get("mode")}
            db.execute("INSERT INTO fixes VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (fix["time"], fix["lat"], fix["lon"], fix["alt"], fix["speed"],
                        fix["track"], fix["mode"]))
            db.commit()
            client.publish("py/van1/location", json.dumps(fix), qos=1)
            n += 1
    except (StopIteration, KeyboardInterrupt, ConnectionError):
        pass
    client.loop_stop()
    client.disconnect()
    db.close()
    print("py_equivalent: %d fixes" % n, file=sys.stderr)


if __name__ == "__main__":
    main()
