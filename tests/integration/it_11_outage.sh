#!/usr/bin/env bash
# it_11: the broker is down for a while mid-shift; a panic and other events
# happen during the outage; the broker comes back: everything arrives,
# the emergency first, no sequence gaps, the original times kept.
. "$(dirname "$0")/lib.sh"
it_setup

BROKER_PERSIST=true start_broker
# base's subscriber: a persistent session that outlives the broker restart
start_sub 'vanctld/van1/event' "$WORK/events.txt" it11-base
start_gps "$VAN_SOURCE_DIR/config/demo/evening.nmea" "" 0.02
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.panic]" "role = panic"
start_vanctld "$WORK/van.conf"
WAIT_S=20 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "never connected"
ctl '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || fail "session start"
sleep 1
stop_broker
WAIT_S=10 wait_for grep -q 'mqtt: lost the link' "$WORK/vanctld.log" || fail "outage not noticed"

# during the outage: normal events first, then the panic, then more
ctl '{"cmd":"occupancy","delta":1}' >/dev/null
ctl '{"cmd":"occupancy","delta":1}' >/dev/null
ctl '{"cmd":"incident","type":"medical","note":"first aid given"}' >/dev/null
ctl '{"cmd":"sim","line":"panic","value":"pulse","ms":100}' >/dev/null
sleep 0.5
ctl '{"cmd":"occupancy","delta":-1}' >/dev/null
ctl '{"cmd":"checkin"}' >/dev/null
sleep 2
panic_time=$(sql "select utc_ms from events where type='emergency.raised'")
[ -n "$panic_time" ] || fail "the panic was not stored during the outage"
max_seq=$(sql 'select max(seq) from events')
pass "outage: $(sql 'select count(*) from outbox') messages queued, events up to seq $max_seq stored"

BROKER_PERSIST=true start_broker "$BROKER_PORT"
WAIT_S=30 wait_for bash -c "[ \$(grep -c 'mqtt: connected' '$WORK/vanctld.log') -ge 2 ]" || fail "no reconnect"
WAIT_S=20 wait_for bash -c "[ \$(sqlite3 '$WORK/van.db' \"select count(*) from outbox where kind=0\") -eq 0 ]" \
	|| fail "events still queued after reconnect"
sleep 1
python3 - "$WORK/events.txt" "$max_seq" "$panic_time" <<'PY' || fail "delivery after the outage"
import json, sys, datetime
evs = [json.loads(l.partition(' ')[2]) for l in open(sys.argv[1]) if l.strip()]
max_seq, panic_ms = int(sys.argv[2]), int(sys.argv[3])
seqs = sorted({e['seq'] for e in evs})
# every event up to the last one stored during the outage has arrived
missing = [s for s in range(seqs[0], max_seq + 1) if s not in seqs]
assert not missing, ("gaps", missing)
# the emergency came first of the backlog
backlog = [e for e in evs if e['seq'] <= max_seq and e['type'] != 'session.started']
first = backlog[0]
assert first['type'] == 'emergency.raised', [e['type'] for e in backlog]
# with its original time
t = datetime.datetime.strptime(first['time'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
assert abs(t.timestamp() * 1000 - panic_ms) < 2, (first['time'], panic_ms)
print("backlog order:", [e['type'] for e in backlog])
PY
pass "after the outage: emergency first, no gaps, original times"
stop_vanctld TERM || fail "exit status $?"
