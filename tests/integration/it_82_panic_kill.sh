#!/usr/bin/env bash
# it_82: SIGKILL 0-12 ms after a panic (issue 18, storage faults 4).  The
# retained emergency goes to base before the event is stored, so a kill in
# between leaves base holding an emergency the van has no record of.  After
# each restart the van must agree with base: both hold the same emergency
# (restored on the van, for the crew to clear), or both none.  Then the crew
# clears it and base must hear so.  (The ms count from the control socket's
# answer to the simulated press; the raise follows within a few ms.)
. "$(dirname "$0")/lib.sh"
it_setup
FAILED=()   # check (lib.sh) collects failures here
retained_emergency() {
	timeout 3 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -C 1 -W 2 -t vanctld/van1/emergency 2>/dev/null
}
# press the panic button, then SIGKILL the daemon MS milliseconds after the
# control socket answered
press_and_kill() {
	python3 - "$WORK/control.sock" "$VANCTLD_PID" "$1" <<'PY'
import os, signal, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"sim","line":"panic","value":"pulse","ms":50}\n')
buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(65536)
    if not c:
        break
    buf += c
t = time.monotonic() + int(sys.argv[3]) / 1000.0
while time.monotonic() < t:
    pass
os.kill(int(sys.argv[2]), signal.SIGKILL)
PY
}

start_broker
GPSD_PORT=$(free_port)
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.panic]" "role = panic" "[alarm]" "repeat = 30"
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "vanctld did not connect"

restored=0
for ms in 0 1 2 3 4 5 6 7 8 9 10 10 11 11 12 12 13 13 14 15 16; do
	press_and_kill "$ms"
	wait "$VANCTLD_PID" 2>/dev/null
	n=$(grep -c 'mqtt: connected' "$WORK/vanctld.log")
	start_vanctld "$WORK/van.conf"
	WAIT_S=10 wait_for bash -c "[ \$(grep -c 'mqtt: connected' '$WORK/vanctld.log') -gt $n ]"
	sleep 1
	re=$(retained_emergency)
	st=$(ctl '{"cmd":"status"}')
	base_id=$(grep -o '"active":true' <<<"$re" >/dev/null && grep -o '"id":[0-9]*' <<<"$re" | head -n1 | cut -d: -f2)
	van_id=$(python3 -c 'import json,sys; e=json.loads(sys.argv[1]).get("result",{}).get("emergency"); print(e["id"] if e else "")' "$st" 2>/dev/null)
	note "kill ${ms} ms after the press: base ${base_id:-none}, van ${van_id:-none}"
	check "kill at $ms ms: van and base agree (base ${base_id:-none}, van ${van_id:-none})" \
		test "${base_id:-none}" = "${van_id:-none}"
	grep -q 'restored; the crew clears it' "$WORK/vanctld.log" && restored=1
	if [ -n "$van_id" ]; then
		r=$(ctl '{"cmd":"alarm_clear"}')
		check "kill at $ms ms: the crew can clear it: $r" grep -q '"ok":true' <<<"$r"
		WAIT_S=5 wait_for bash -c "timeout 3 mosquitto_sub -h 127.0.0.1 -p $BROKER_PORT -q 1 -C 1 -W 2 -t vanctld/van1/emergency | grep -q '\"active\":false'"
		re=$(retained_emergency)
		check "kill at $ms ms: base hears it is cleared: $re" grep -q '"active":false' <<<"$re"
	fi
done
note "an emergency was restored from base's retained message: $([ $restored = 1 ] && echo yes || echo no)"
stop_vanctld TERM
check "clean exit" test $? -eq 0
if [ ${#FAILED[@]} -gt 0 ]; then
	echo "FAILED ${#FAILED[@]} check(s):" >&2
	printf '  - %s\n' "${FAILED[@]}" >&2
	exit 1
fi
