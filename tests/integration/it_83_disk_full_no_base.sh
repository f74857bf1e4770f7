#!/usr/bin/env bash
# it_83: an emergency raised on a full disk while base is unreachable
# (issue 18, "Storage faults" 3, without base's retained copy to fall back
# on).  The disk is full, the broker is down, the crew presses panic and the
# daemon is restarted (still full, still no broker): the emergency must
# still be active (vanctl status), the crew can clear it, and once the
# broker is back base sees emergency.raised then emergency.cleared (with
# sequence numbers: stored, in order) and a retained emergency that says
# cleared.  The van keeps it in its emergency reserve (docs/schema.md).
#
# The database lives on a 2 MB tmpfs in a private mount namespace (as
# it_80).  Needs CAP_SYS_ADMIN: without it the test is skipped (exit 77).
. "$(dirname "$0")/lib.sh"
disk_tmpfs_setup "$0" "$@"
VANCTL="$VAN_BINARY_DIR/vanctl/vanctl"
[ -x "$VANCTL" ] || fail "no vanctl at $VANCTL (build first)"
finish() {
	if [ ${#FAILED[@]} -gt 0 ]; then
		echo "FAILED ${#FAILED[@]} check(s):" >&2
		printf '  - %s\n' "${FAILED[@]}" >&2
		grep -v '^<7>' "$WORK/vanctld.log" | cut -c1-220 | tail -n 30 >&2
		exit 1
	fi
	exit 0
}
vstatus() { "$VANCTL" --socket "$WORK/control.sock" status 2>&1; }

# base: a persistent subscriber on a persistent broker (as it_81), so it
# gets what the van sends when the broker is back whoever reconnects first
export BROKER_CONF_EXTRA="max_queued_messages 0"
BROKER_PERSIST=true start_broker
start_sub 'vanctld/van1/#' "$WORK/base.txt" it83-base
GPSD_PORT=$(free_port)   # nobody there: no GPS needed here
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.panic]" "role = panic" \
	"[alarm]" "repeat = 30"
sed -i "s|^db = .*|db = $DISK/van.db|" "$WORK/van.conf"
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for grep -q 'mqtt: connected' "$WORK/vanctld.log" || fail "vanctld did not connect"
ctl '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || fail "session start"

# base is away, then the disk fills (the database's own slack too)
stop_broker
WAIT_S=10 wait_for grep -q 'lost the link' "$WORK/vanctld.log" || fail "the link did not drop"
dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null
dd if=/dev/zero of="$DISK/filler2" bs=1k 2>/dev/null
for i in $(seq 120); do
	ctl "{\"cmd\":\"incident\",\"type\":\"other\",\"note\":\"while full $i $(printf 'x%.0s' $(seq 200))\"}" >/dev/null
done
grep -qi 'disk is full\|no space left' "$WORK/vanctld.log" || fail "the disk never filled"
ctl '{"cmd":"incident","type":"other","note":"the last straw"}' >/dev/null
note "disk full: $(df -k --output=used,avail "$DISK" | tail -n1) KiB used/free; $(ls -s "$DISK" | tr '\n' ' ')"

# the panic, with nothing to take it but the van itself
ctl '{"cmd":"sim","line":"panic","value":"pulse","ms":100}' >/dev/null
WAIT_S=5 wait_for grep -q '"emergency":{' <(ctl '{"cmd":"status"}')
r=$(ctl '{"cmd":"status"}')
EM_ID=$(grep -o '"emergency":{[^}]*' <<<"$r" | grep -o '"id":[0-9]*' | head -n1 | cut -d: -f2)
[ -n "$EM_ID" ] || fail "the panic raised no emergency: $r"
note "emergency $EM_ID raised; $(grep -c 'not stored' "$WORK/vanctld.log") 'not stored' lines"

# a restart (a reboot, a watchdog) on the still-full disk, base still away
stop_vanctld TERM
check "clean exit with the emergency active on a full disk" test $? -eq 0
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for test -S "$WORK/control.sock" || fail "vanctld did not come back"
WAIT_S=5 wait_for grep -q "\"emergency\":{[^}]*\"id\":$EM_ID" <(ctl '{"cmd":"status"}')
st=$(vstatus)
check "after the restart vanctl status shows the emergency: $(grep -i emergency <<<"$st" | head -n2 | tr '\n' ' ')" \
	grep -qi 'emergency' <<<"$st"
check "and that the van cannot store: $(grep '^Storage:' <<<"$st" | cut -c1-120)" \
	grep -qE '^Storage: *(CANNOT STORE|DISK \(NEARLY\) FULL)' <<<"$st"
r=$(ctl '{"cmd":"status"}')
check "after the restart the van still knows emergency $EM_ID (base unreachable)" \
	grep -q "\"emergency\":{[^}]*\"id\":$EM_ID" <<<"$r"
r=$(ctl '{"cmd":"alarm_clear"}')
check "the crew can clear it: $r" grep -q '"ok":true' <<<"$r"
r=$(ctl '{"cmd":"status"}')
check "cleared" grep -q '"emergency":null' <<<"$r"

# one more restart, still full: cleared stays cleared
stop_vanctld TERM
start_vanctld "$WORK/van.conf"
WAIT_S=10 wait_for test -S "$WORK/control.sock"
WAIT_S=5 wait_for ctl '{"cmd":"status"}'
r=$(ctl '{"cmd":"status"}')
check "after another restart the van has no emergency" grep -q '"emergency":null' <<<"$r"

# base is back (the disk still full): it hears the whole story, in order
BROKER_PERSIST=true start_broker "$BROKER_PORT"
start_sub 'vanctld/van1/#' "$WORK/base.txt" it83-base
WAIT_S=20 wait_for grep -q '"type":"emergency.cleared"' "$WORK/base.txt"
sleep 2
raised=$(grep -n "^vanctld/van1/event .*\"type\":\"emergency.raised\".*\"id\":$EM_ID" "$WORK/base.txt" | head -n1 | cut -d: -f1)
cleared=$(grep -n "^vanctld/van1/event .*\"type\":\"emergency.cleared\".*\"id\":$EM_ID" "$WORK/base.txt" | head -n1 | cut -d: -f1)
check "base gets emergency.raised for $EM_ID (line ${raised:-none})" test -n "$raised"
check "base gets emergency.cleared for $EM_ID (line ${cleared:-none})" test -n "$cleared"
check "raised before cleared" test "${raised:-0}" -lt "${cleared:-0}"
check "both stored (sequence numbers, not \"stored\":false)" \
	bash -c "! grep -E '\"type\":\"emergency\\.(raised|cleared)\"' '$WORK/base.txt' | grep -q '\"seq\":null'"
re=$(timeout 3 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -C 1 -W 2 -t vanctld/van1/emergency 2>/dev/null)
check "base's retained emergency says cleared: $re" grep -q '"active":false' <<<"$re"
sleep 1
r=$(ctl '{"cmd":"status"}')
check "and the van agrees: no emergency" grep -q '"emergency":null' <<<"$r"
check "the reserve was used: $(grep -m1 'emergency reserve given back' "$WORK/vanctld.log" | cut -c1-160)" \
	grep -q 'emergency reserve given back' "$WORK/vanctld.log"
rm -f "$DISK/filler" "$DISK/filler2"
stop_vanctld TERM
check "clean exit" test $? -eq 0
finish
