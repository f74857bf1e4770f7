#!/usr/bin/env bash
# it_13: the optional adapters.  Home Assistant discovery configs arrive
# retained, each naming the van's availability topic and a device; OwnTracks
# locations arrive in OwnTracks' format.  Both are off by default.
. "$(dirname "$0")/lib.sh"
it_setup

start_broker
start_sub '#' "$WORK/all.txt"
start_gps "$VAN_SOURCE_DIR/config/demo/evening.nmea" "" 0.02
write_conf "$WORK/van.conf" "[mqtt]" "homeassistant = true" "owntracks = true"
start_vanctld "$WORK/van.conf"
WAIT_S=20 wait_for grep -q '^owntracks/van1/van ' "$WORK/all.txt" || fail "no OwnTracks location"

python3 - "$WORK/all.txt" <<'PY' || fail "adapter messages"
import json, sys
cfg, ot = {}, []
for line in open(sys.argv[1]):
    t, _, p = line.rstrip('\n').partition(' ')
    if t.startswith('homeassistant/'): cfg[t] = json.loads(p)
    if t == 'owntracks/van1/van': ot.append(json.loads(p))
want = {'homeassistant/device_tracker/vanctld_van1/location/config',
        'homeassistant/sensor/vanctld_van1/occupancy/config',
        'homeassistant/binary_sensor/vanctld_van1/session/config',
        'homeassistant/binary_sensor/vanctld_van1/overdue/config',
        'homeassistant/binary_sensor/vanctld_van1/alarm/config'}
assert want <= set(cfg), set(cfg)
for t, c in cfg.items():
    assert c['availability_topic'] == 'vanctld/van1/availability', c
    assert c['device']['identifiers'] == ['vanctld_van1'] and c['unique_id'].startswith('vanctld_van1_'), c
assert cfg['homeassistant/sensor/vanctld_van1/occupancy/config']['state_topic'] == 'vanctld/van1/state'
o = ot[-1]
assert o['_type'] == 'location' and abs(o['lat'] - 53.8) < 0.1 and abs(o['lon'] + 1.55) < 0.1, o
assert isinstance(o['tst'], int) and o['tid'] == 'n1', o
print(len(cfg), "discovery configs;", len(ot), "OwnTracks locations")
PY
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -C 1 -W 5 -t homeassistant/binary_sensor/vanctld_van1/alarm/config >/dev/null \
	|| fail "discovery config not retained"
pass "Home Assistant discovery (retained) and OwnTracks locations"

# off by default: a van without the keys sends neither
: > "$WORK/all.txt"
stop_vanctld TERM
write_conf "$WORK/van2.conf"
sed -i 's/^id = van1/id = van2/' "$WORK/van2.conf"
start_vanctld "$WORK/van2.conf"
WAIT_S=20 wait_for grep -q '^vanctld/van2/location ' "$WORK/all.txt" || fail "van2 sent no location"
sleep 1
grep -q '^owntracks/van2\|^homeassistant/.*van2' "$WORK/all.txt" && fail "adapters active without being configured"
pass "adapters off by default"
stop_vanctld TERM || fail "exit status $?"
