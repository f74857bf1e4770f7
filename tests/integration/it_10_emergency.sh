#!/usr/bin/env bash
# it_10: the emergency path with the broker up.  A panic press reaches base
# at once with position and context; base's acknowledgement reaches the van
# and shows in the crew's state; clearing is published; a covert panic shows
# nothing in the crew's state but everything at base.
. "$(dirname "$0")/lib.sh"
it_setup

start_broker
start_sub 'vanctld/#' "$WORK/sub.txt"
start_gps "$VAN_SOURCE_DIR/config/demo/evening.nmea" "" 0.02
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" \
	"[line.panic_front]" "role = panic" \
	"[line.panic_rear]" "role = panic" "covert = true" \
	"[line.alarm_light]" "role = alarm_light" "[line.buzzer]" "role = buzzer" \
	"[alarm]" "duress_code = bluebird" "cue = light"
start_vanctld "$WORK/van.conf"
WAIT_S=20 wait_for grep -q '"fix":"3d"' "$WORK/sub.txt" || fail "no fix"
ctl '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || fail "session start"

t0=$(date +%s%N)
ctl '{"cmd":"sim","line":"panic_front","value":"pulse","ms":100}' >/dev/null
WAIT_S=5 wait_for grep -q '"type":"emergency.raised"' "$WORK/sub.txt" || fail "no emergency event at base"
t1=$(date +%s%N)
note "panic to base: $(( (t1 - t0) / 1000000 )) ms (includes the test's own polling)"
python3 - "$WORK/sub.txt" <<'PY' || fail "emergency content"
import json, sys
ev = em = None
for line in open(sys.argv[1]):
    t, _, p = line.partition(' ')
    if t == 'vanctld/van1/event' and '"emergency.raised"' in p: ev = json.loads(p)
    if t == 'vanctld/van1/emergency' and em is None: em = json.loads(p)
assert ev['prio'] == 2 and ev['pos'] and abs(ev['pos']['lat'] - 53.8) < 0.1, ev
d = ev['data']
assert d['covert'] is False and d['incident'] is True and d['category'] == 'emergency', d
ctx = d.get('context') or {}
assert ctx, d
print("context keys:", sorted(ctx))
assert em['active'] is True and em['acknowledged'] is False and 'lat' in em, em
# the panic path in us: edge (the sim's stamp) <= read <= decided <= handed
t = em['timing']
us = [t[k] for k in ('edge_mono_us', 'read_mono_us', 'decided_mono_us', 'handed_mono_us')]
assert us == sorted(us) and us[0] // 1000 == t['edge_mono_ms'], t
assert us[3] - us[0] < 5000000, t
PY
pass "emergency at base with position and context"
ctl '{"cmd":"status"}' | python3 -c '
import json,sys; p=json.load(sys.stdin)["result"]["panic_path_us"]
k=["edge","read","decided","handed","written"]; v=[p[x] for x in k]
assert v == sorted(v) and v[0] > 0, p
print("panic path (us after the edge):", {x: p[x]-p["edge"] for x in k})' || fail "status: no panic path stages"
pass "status: the panic path stage by stage"
ctl '{"cmd":"status"}' | python3 -c '
import json,sys; h=json.load(sys.stdin)["result"]["output_lines"]
assert h["alarm_light"] is True and h["buzzer"] is False, h' || fail "alarm.cue = light: the light only"
pass "alarm.cue = light: the alarm light shows, the buzzer stays quiet"

base_cmd ack '{"v":1,"unit":"van1","id":"op-1","by":"Sam at base"}'
WAIT_S=5 wait_for grep -q '"command":"ack","id":"op-1","ok":true\|"ok":true.*"command":"ack","id":"op-1"' "$WORK/sub.txt" \
	|| fail "no ok reply to the ack"
ctl '{"cmd":"status"}' | python3 -c '
import json,sys; s=json.load(sys.stdin)["result"]; e=s["emergency"]
assert e and e["acknowledged"] and e["acked_by"]=="Sam at base", e
t=e["timing"]; assert t["stored"]>=t["edge_mono_ms"] and "broker" in t, t
print("timing chain:", t)' || fail "crew state does not show the acknowledgement"
pass "acknowledgement reached the van and shows in the crew state"

ctl '{"cmd":"alarm_clear"}' | grep -q '"ok":true' || fail "clear"
WAIT_S=5 wait_for grep -q '"type":"emergency.cleared"' "$WORK/sub.txt" || fail "no cleared event"
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -C 1 -W 5 -t vanctld/van1/emergency | grep -q '"active":false' \
	|| fail "retained emergency not inactive after clearing"
pass "cleared: published and retained as inactive"

# covert: base knows, the van shows nothing
ctl '{"cmd":"sim","line":"panic_rear","value":"pulse","ms":100}' >/dev/null
WAIT_S=5 wait_for grep -q '"covert":true' "$WORK/sub.txt" || fail "covert emergency not at base"
ctl '{"cmd":"status"}' | python3 -c '
import json,sys; s=json.load(sys.stdin)["result"]
assert s["emergency"] is None, s["emergency"]
o=s["outputs"]; assert o["buzzer"]=="off" and o["alarm_light"]=="off", o' \
	|| fail "the covert emergency is visible in the van"
pass "covert panic: at base, invisible in the van"

# duress: the crew answers a check-in with the agreed exit word
ctl '{"cmd":"alarm_clear"}' >/dev/null
r=$(ctl '{"cmd":"checkin","code":"bluebird"}')
echo "$r" | grep -q '"reason":"checked in"' || fail "a duress check-in must look like any other: $r"
WAIT_S=5 wait_for grep -q '"source":"duress_checkin"' "$WORK/sub.txt" || fail "no covert emergency at base after the duress word"
grep '"source":"duress_checkin"' "$WORK/sub.txt" | head -n 1 | grep -q '"covert":true' || fail "duress emergency not covert"
ctl '{"cmd":"status"}' | python3 -c '
import json,sys; s=json.load(sys.stdin)["result"]
assert s["emergency"] is None, s["emergency"]
assert not s["output_lines"]["alarm_light"] and not s["output_lines"]["buzzer"], s["output_lines"]' \
	|| fail "the duress emergency shows in the van"
pass "duress word at check-in: looks normal in the van, covert emergency at base"

# hostile commands: each rejected with a reason, the daemon keeps running
base_cmd ack 'not json'
base_cmd ack '[1,2]'
base_cmd ack '{"unit":"van2","by":"x"}'
base_cmd ack '{"unit":"van1","by":42}'
base_cmd ack '{"unit":"van1","by":"x","sneaky":1}'
base_cmd format_disk '{"unit":"van1"}'
base_cmd occupancy '{"unit":"van1","set":0}'
python3 -c 'print("{\"unit\":\"van1\",\"by\":\"" + "A"*5000 + "\"}")' > "$WORK/big.json"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t vanctld/van1/cmd/ack -f "$WORK/big.json"
WAIT_S=5 wait_for bash -c "[ \$(grep -c '\"ok\":false' '$WORK/sub.txt') -ge 8 ]" || fail "not every bad command got a reply"
for why in "not a JSON object" "'unit' must name this van" "'by' must be text" "unknown field 'sneaky'" \
	"unknown command" "base may not send this command" "command too large"; do
	grep -q "$why" "$WORK/sub.txt" || fail "no rejection saying: $why"
done
kill -0 "$VANCTLD_PID" || fail "vanctld died on hostile commands"
pass "hostile commands rejected with reasons; daemon alive"
stop_vanctld TERM || fail "exit status $?"
# the manager's report of what the daemon wrote says how base answered
"$VANCTL" --db "$WORK/van.db" report last > "$WORK/report.txt" || fail "vanctl report last"
grep -qE "emergency +emergency raised by [a-z_]+: acknowledged by Sam at base after [0-9ms]+; cleared after [0-9ms]+" \
	"$WORK/report.txt" || fail "the report does not say how base answered: $(grep -i emergency "$WORK/report.txt")"
pass "the report says who acknowledged the emergency, after how long, and when it was cleared"
