#!/usr/bin/env bash
# bench/vanbase-latency.sh - how fast vanbase pages someone: from an
# emergency published at the broker to vanbase's first notification request
# arriving at a webhook receiver on loopback (an upper bound of "leaving
# vanbase": it includes the broker, libcurl and the receiver), and how late
# an escalation step fires (a second step 2 s after the raise), with a fleet
# of UNITS simulated vans each sending a state and a location every second.
#
#   bash bench/vanbase-latency.sh          # UNITS=50 ALARMS=100
#
# Targets (issue 21): first notification p99 < 500 ms; steps within 1 s of
# their time.  Needs python3-paho-mqtt (bench/install-deps.sh).
. "$(dirname "$0")/lib.sh"
UNITS=${UNITS:-50}
ALARMS=${ALARMS:-100}
bench_setup vanbase
bench_vanbase
$PY -c 'import paho.mqtt' 2>/dev/null || die "python3-paho-mqtt missing: bash bench/install-deps.sh"

start_broker
port=$(free_port)
$PY "$VAN_SOURCE_DIR/tests/integration/vb_http_receiver.py" --port "$port" --log "$WORK/hook.jsonl" \
	--ready "$WORK/hook.ready" >> "$WORK/hook.log" 2>&1 &
PIDS+=("$!")
WAIT_S=10 wait_for test -e "$WORK/hook.ready" || die "the receiver did not start"
cat > "$WORK/vanbase.conf" <<CONF
[mqtt]
host = 127.0.0.1
port = $BROKER_PORT
[storage]
db = $WORK/vanbase.db
[control]
socket = $WORK/vanbase.sock
[fleet]
$(for i in $(seq 1 "$UNITS"); do echo "van$i = Bench van $i"; done)
[channel.push]
kind = webhook
template = generic
url = http://127.0.0.1:$port/push
[contact.sam]
push = sam
[rota]
on_call = sam always
[chain.emergency]
step = 0s on_call
step = 2s on_call
CONF
"$VANBASE" -c "$WORK/vanbase.conf" >> "$WORK/vanbase.log" 2>&1 &
VB=$!
PIDS+=("$VB")
WAIT_S=10 wait_for "$VANBASE" -c "$WORK/vanbase.conf" status || die "vanbase did not start"
say "vanbase latency: $UNITS vans, $ALARMS emergencies, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
c0=$(cpu_s "$VB")
$PY "$BENCH_DIR/vanbase_latency.py" "$BROKER_PORT" "$WORK/hook.jsonl" "$UNITS" "$ALARMS" "$WORK/out.json" ||
	die "the driver failed"
c1=$(cpu_s "$VB")
$PY - "$WORK/out.json" "$c0" "$c1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["summary"]
f, s = r["first_ms"], r["step_late_ms"]
print(f"first notification (ms): p50 {f['p50']:.1f}  p90 {f['p90']:.1f}  p99 {f['p99']:.1f}  max {f['max']:.1f}"
      f"   target p99 < 500: {'met' if f['p99'] < 500 else 'NOT MET'}")
print(f"step lateness (ms):      p50 {s['p50']:.1f}  p90 {s['p90']:.1f}  p99 {s['p99']:.1f}  max {s['max']:.1f}"
      f"   target < 1000: {'met' if s['max'] < 1000 else 'NOT MET'}")
print(f"vanbase CPU over the run: {float(sys.argv[3]) - float(sys.argv[2]):.2f} s")
PY
say "load after: $(cut -d' ' -f1-3 /proc/loadavg); vanbase RSS high-water $(hwm_kb "$VB") KiB"
