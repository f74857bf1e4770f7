#!/usr/bin/env bash
# it_80: the disk fills up mid-shift.  The database lives on a 2 MB tmpfs
# (mounted in a private mount namespace, so nothing leaks to the host); a
# filler file takes the rest.  The daemon must keep running, keep
# publishing emergencies to base, log a clear error, and store again once
# the filler is deleted.
#
# Needs CAP_SYS_ADMIN for `unshare -m` and `mount -t tmpfs` (root, as in CI):
# without it the test is skipped (exit 77).
. "$(dirname "$0")/lib.sh"
disk_tmpfs_setup "$0" "$@"

start_broker
start_sub 'vanctld/#' "$WORK/sub.txt"
start_gps "$VAN_SOURCE_DIR/config/demo/evening.nmea" "" 0.05
write_conf "$WORK/van.conf" "[gpio]" "backend = sim" "[line.panic]" "role = panic" \
	"[alarm]" "repeat = 10"
sed -i "s|^db = .*|db = $DISK/van.db|" "$WORK/van.conf"
start_vanctld "$WORK/van.conf"
WAIT_S=20 wait_for grep -q '"fix":"3d"' "$WORK/sub.txt" || fail "no fix"
ctl '{"cmd":"session_start","crew":2}' | grep -q '"ok":true' || fail "session start"
sleep 2
points_before=$(dsql 'select count(*) from route_points')

# fill the disk; then events until the database's own slack (WAL pages) is gone
dd if=/dev/zero of="$DISK/filler" bs=16k 2>/dev/null
[ "$(df -k --output=avail "$DISK" | tail -n1 | tr -d ' ')" -eq 0 ] || fail "the tmpfs is not full"
note "disk full: $(df -h --output=used,size "$DISK" | tail -n1)"
for i in $(seq 60); do
	ctl "{\"cmd\":\"incident\",\"type\":\"other\",\"note\":\"while full $i $(printf 'x%.0s' $(seq 120))\"}" >/dev/null
	grep -qi 'disk is full\|no space left' "$WORK/vanctld.log" && break
done
WAIT_S=10 wait_for grep -qi 'disk is full\|no space left' "$WORK/vanctld.log"
check "a clear error in the log: $(grep -i -m1 'disk is full\|no space left' "$WORK/vanctld.log" | cut -c1-160)" \
	grep -qi 'disk is full\|no space left' "$WORK/vanctld.log"
check "the daemon keeps running on a full disk" kill -0 "$VANCTLD_PID"
# the crew must not be told an incident is recorded when it is not
r=$(ctl '{"cmd":"incident","type":"other","note":"while full, last"}')
check "an incident the disk cannot take is answered with an error: $r" \
	grep -q '"error":"not_stored"' <<<"$r"

# a panic while the disk is full must still reach base
ctl '{"cmd":"sim","line":"panic","value":"pulse","ms":100}' >/dev/null
WAIT_S=5 wait_for grep -q '"type":"emergency.raised"' "$WORK/sub.txt"
check "emergency.raised published to base while the disk is full" \
	grep -q '"type":"emergency.raised"' "$WORK/sub.txt"
check "retained emergency topic active while the disk is full" \
	grep -q '^vanctld/van1/emergency .*"active":true' "$WORK/sub.txt"
check "the daemon is still running after the panic" kill -0 "$VANCTLD_PID"

# space returns
rm -f "$DISK/filler"
note "space back: $(df -h --output=used,size "$DISK" | tail -n1)"
sleep 1
ctl '{"cmd":"incident","type":"other","note":"after space returned"}' | grep -q '"ok":true' || fail "incident"
WAIT_S=5 wait_for bash -c "[ \$(sqlite3 '$DISK/van.db' \"select count(*) from events where data like '%after space returned%'\") -eq 1 ]"
check "an event is stored again once space returns" \
	test "$(dsql "select count(*) from events where data like '%after space returned%'")" -eq 1
WAIT_S=10 wait_for bash -c "[ \$(sqlite3 '$DISK/van.db' 'select count(*) from route_points') -gt $points_before ]"
check "route points kept in memory meanwhile are stored again" \
	test "$(dsql 'select count(*) from route_points')" -gt "$points_before"
# the emergency raised while full: in the database (and at base) by its next repeat at the latest
WAIT_S=15 wait_for bash -c "[ \$(sqlite3 '$DISK/van.db' \"select count(*) from events where type='emergency.raised'\") -ge 1 ]"
check "the emergency is in the database once space returns" \
	test "$(dsql "select count(*) from events where type='emergency.raised'")" -ge 1
ctl '{"cmd":"alarm_clear"}' >/dev/null
stop_vanctld TERM
check "clean exit after the disk-full episode" test $? -eq 0

if [ ${#FAILED[@]} -gt 0 ]; then
	echo "FAILED ${#FAILED[@]} check(s):" >&2
	printf '  - %s\n' "${FAILED[@]}" >&2
	grep -v '^<7>' "$WORK/vanctld.log" | sort | uniq -c | sort -rn | head -n 15 >&2
	exit 1
fi
