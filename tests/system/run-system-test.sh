#!/usr/bin/env bash
# run-system-test.sh - "the van in a box" (issue 23; ctest system_vm, label
# system): the project's .deb on a booted Debian 12, under a real systemd,
# talking to a real broker on the host, with its power cut at random.
#
#  1. image: tests/system/build-image.sh (mmdebstrap, Debian's packages and
#     kernel, ext4 raw disk; cached by its package list) - copied per run
#  2. base on the host: mosquitto on 127.0.0.1:PORT, reached by the guest as
#     10.0.2.2:PORT (qemu user networking), and a subscriber logging every
#     message the van sends (mosquitto_sub -v, QoS 1)
#  3. GPS: tests/system/nmea-feed.py feeds the guest's /dev/ttyS1 (a qemu
#     chardev on a UNIX socket) with a live NMEA track; Debian's gpsd reads
#     it, configured in /etc/default/gpsd (GPSD_OPTIONS="-n -b": read-only;
#     without -b gpsd 3.22 stalls after opening this port, see docs/install.md)
#  4. first boot: `apt-get install ./vanctld_*.deb` (its dependencies are
#     pre-seeded in the image; apt fetches any new one from the mirror),
#     the config for this base, users crew (in vanctl) and other; poweroff
#  5. second boot: the checks with figures (READY at boot and its time from
#     kernel start, systemd-analyze security, watchdog, reload, bad config,
#     vanctl for crew/other, file modes)
#  6. power cuts: VAN_SYSTEM_CUTS times, events flowing (guest-flow.sh over
#     ssh), qemu killed with SIGKILL at a random moment, booted again, then
#     integrity, confirmed events present, route loss, outbox drained with
#     no seq gap, READY again (check-cuts.py sums them up)
#
# The guest is driven over ssh (Debian's openssh-server, hostfwd on
# 127.0.0.1 only, a key made with the image).  The disk is raw, cache=none
# (O_DIRECT: nothing the guest did not write reaches the host's page cache
# on the guest's behalf, and a kill loses the guest's page cache as a power
# cut does; see docs/install.md for what it does NOT model).
#
# Environment:
#   VAN_SYSTEM=1           run it (opt-in for now: over its time budget under TCG)
#   VAN_SKIP_SYSTEM=1      skip (exit 77); VAN_SKIP_VM=1 too
#   VAN_SYSTEM_CUTS=20     power cuts
#   VAN_VM_CACHE=DIR       image cache (default /var/cache/vanctld-vm)
#   VAN_QEMU_ACCEL=kvm|tcg skip the KVM probe (tests/vm/qemu-accel.sh)
#   VAN_SYSTEM_KEEP=1      keep the scratch dir (logs, disk)
#   VAN_BINARY_DIR         the build tree (CPackConfig.cmake); logs copied there
set -euo pipefail

# Opt-in for now: 16.5 min under TCG on 2 cores, over the 15 min it is
# allowed in the test command (issue 23); VAN_SYSTEM=1 runs it.
if [ "${VAN_SYSTEM:-0}" != 1 ]; then
	echo "system_vm: SKIPPED: opt-in until it fits its time budget (VAN_SYSTEM=1 runs it; docs/install.md)"
	exit 77
fi
if [ "${VAN_SKIP_SYSTEM:-0}" = 1 ] || [ "${VAN_SKIP_VM:-0}" = 1 ]; then
	echo "system_vm: SKIPPED because VAN_SKIP_SYSTEM=1 or VAN_SKIP_VM=1 (the package is NOT tested on a booted system)"
	exit 77
fi
SRC=${VAN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
HERE=$SRC/tests/system
BIN=${VAN_BINARY_DIR:-$SRC/build}
CUTS=${VAN_SYSTEM_CUTS:-20}
T0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[system $(elapsed "$T0")s] $*"; }
FAILS=0
pass() { echo "[system $(elapsed "$T0")s] PASS: $*"; }
bad() { echo "[system $(elapsed "$T0")s] FAIL: $*"; FAILS=$((FAILS + 1)); }
die() { echo "[system $(elapsed "$T0")s] FAIL: $*" >&2; exit 1; }
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
	echo "system_vm: SKIP: needs root (mmdebstrap --mode=root builds the image)"
	exit 77
fi
missing=""
for t in mmdebstrap mke2fs qemu-system-x86_64 mosquitto mosquitto_sub python3 ssh scp ssh-keygen cpack; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	log "missing:$missing; running scripts/install-system-deps.sh"
	bash "$SRC/scripts/install-system-deps.sh" || die "could not install:$missing"
fi
[ -f "$BIN/CPackConfig.cmake" ] || die "no CPackConfig.cmake in $BIN (VAN_BINARY_DIR)"

CACHE=${VAN_VM_CACHE:-/var/cache/vanctld-vm}
mkdir -p "$CACHE"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vanctld-system.XXXXXX")
QPID="" FEEDPID="" BROKERPID="" SUBPID="" FLOWPID=""
cleanup() {
	# every helper of ours by its PID: signal all first, then reap
	local p
	[ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null
	for p in $FLOWPID $FEEDPID $SUBPID $BROKERPID; do kill "$p" 2>/dev/null; done
	for p in $QPID $FLOWPID $FEEDPID $SUBPID $BROKERPID; do wait "$p" 2>/dev/null; done
	ssh -S "$WORK/ssh.ctl" -O exit x 2>/dev/null || true
	if [ -n "${VAN_BINARY_DIR:-}" ] && [ -d "$VAN_BINARY_DIR" ]; then
		mkdir -p "$VAN_BINARY_DIR/system_vm"
		cp "$WORK"/*.log "$WORK"/*.txt "$VAN_BINARY_DIR/system_vm/" 2>/dev/null || true
	fi
	if [ "${VAN_SYSTEM_KEEP:-0}" = 1 ]; then
		echo "[system] scratch kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# ---- 1. image, package ------------------------------------------------------
IMG=$(bash "$HERE/build-image.sh" "$CACHE") || die "no guest image"
log "image $IMG ($(grep -c . "$IMG/packages.txt") packages)"
(cd "$WORK" && nice -n 10 cpack -G DEB -B "$WORK/pkg" --config "$BIN/CPackConfig.cmake") >"$WORK/cpack.log" 2>&1 ||
	{ tail -20 "$WORK/cpack.log"; die "cpack failed"; }
DEB=$(ls "$WORK"/pkg/vanctld_*.deb | head -1)
log "package $(basename "$DEB"): Depends $(dpkg-deb -f "$DEB" Depends)"
cp --sparse=always "$IMG/rootfs.img" "$WORK/disk.img"

# ---- 2. base on the host ------------------------------------------------------
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MQTTP=$(freeport)
SSHP=$(freeport)
cat >"$WORK/mosquitto.conf" <<EOF
listener $MQTTP 127.0.0.1
allow_anonymous true
persistence false
log_dest file $WORK/mosquitto.log
EOF
mosquitto -c "$WORK/mosquitto.conf" >/dev/null 2>&1 &
BROKERPID=$!
for _ in $(seq 50); do
	mosquitto_sub -h 127.0.0.1 -p "$MQTTP" -t x -C 1 -W 1 >/dev/null 2>&1 && break
	[ $? = 27 ] && break # timed out: connected, nothing on x
	sleep 0.1
done
mosquitto_sub -h 127.0.0.1 -p "$MQTTP" -q 1 -i base-sub -t 'vanctld/#' -F '%U %t %p' >"$WORK/base-sub.log" 2>&1 &
SUBPID=$!
log "broker 127.0.0.1:$MQTTP (guest: 10.0.2.2:$MQTTP), subscriber logging to base-sub.log"

python3 "$HERE/nmea-feed.py" "$WORK/gps.sock" "$WORK/fixes.txt" &
FEEDPID=$!

# ---- 3. qemu ---------------------------------------------------------------------
# shellcheck source=tests/vm/qemu-accel.sh
. "$SRC/tests/vm/qemu-accel.sh"
qemu_pick_accel "$IMG/vmlinuz"
ACCEL=$QEMU_ACCEL
log "accel=$ACCEL: $QEMU_ACCEL_WHY"
CPU=max
[ "$ACCEL" = kvm ] && CPU=host
BOOTS=0
boot() {
	BOOTS=$((BOOTS + 1))
	rm -f "$WORK/gps.sock"
	nice -n 10 qemu-system-x86_64 -machine q35,accel="$ACCEL" -cpu "$CPU" -smp 2 -m 768 \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$WORK/console-$BOOTS.log" \
		-chardev "socket,id=gps,path=$WORK/gps.sock,server=on,wait=off" -serial chardev:gps \
		-drive "file=$WORK/disk.img,format=raw,if=virtio,cache=none,aio=threads" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$SSHP-:22" -device virtio-net-pci,netdev=n0 \
		-device virtio-rng-pci \
		-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 systemd.show_status=0" \
		</dev/null >"$WORK/qemu-$BOOTS.log" 2>&1 &
	QPID=$!
	BOOT_T=$(date +%s.%N)
}
SSHO=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
	-o ConnectTimeout=5 -o ServerAliveInterval=2 -o ServerAliveCountMax=3
	-o ControlPath="$WORK/ssh.ctl" -i "$IMG/id_ed25519" -p "$SSHP")
g() { ssh "${SSHO[@]}" -o ControlMaster=no root@127.0.0.1 "$@"; }
wait_ssh() {
	local lim=${1:-300} t
	t=$(date +%s)
	ssh -S "$WORK/ssh.ctl" -O exit x 2>/dev/null || true
	while [ $(($(date +%s) - t)) -lt "$lim" ]; do
		kill -0 "$QPID" 2>/dev/null || die "qemu exited during boot $BOOTS (console-$BOOTS.log: $(tail -5 "$WORK/console-$BOOTS.log" | tr '\n' ' '))"
		if ssh "${SSHO[@]}" -o ControlMaster=yes -o ControlPersist=600 -fN root@127.0.0.1 2>/dev/null; then
			return 0
		fi
		sleep 1
	done
	die "no ssh into the guest within ${lim}s (boot $BOOTS)"
}
poweroff_guest() {
	g systemctl poweroff >/dev/null 2>&1 || true
	for _ in $(seq 120); do kill -0 "$QPID" 2>/dev/null || break; sleep 1; done
	kill -KILL "$QPID" 2>/dev/null || true
	wait "$QPID" 2>/dev/null || true
	QPID=""
}
cut_power() {
	kill -KILL "$QPID"
	wait "$QPID" 2>/dev/null || true
	QPID=""
}
# READY: vanctld active (Type=notify: active = READY=1 seen); prints the
# monotonic time (s since the kernel started) at which it got there
wait_ready() {
	local lim=${1:-120} t st
	t=$(date +%s)
	while [ $(($(date +%s) - t)) -lt "$lim" ]; do
		st=$(g systemctl show vanctld -p ActiveState --value 2>/dev/null || true)
		if [ "$st" = active ]; then
			g systemctl show vanctld -p ActiveEnterTimestampMonotonic --value |
				awk '{ printf "%.2f", $1 / 1e6 }'
			return 0
		fi
		sleep 1
	done
	return 1
}

# ---- 4. first boot: install as a user would ---------------------------------------
boot
wait_ssh 600
log "boot 1: ssh up after $(elapsed "$BOOT_T") s"
scp "${SSHO[@]}" -o ControlMaster=no -P "$SSHP" "$DEB" "$HERE/guest-flow.sh" root@127.0.0.1:/root/ >/dev/null 2>&1 ||
	scp -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i "$IMG/id_ed25519" \
		-P "$SSHP" "$DEB" "$HERE/guest-flow.sh" root@127.0.0.1:/root/ || die "scp into the guest failed"
DEBN=$(basename "$DEB")
t=$(date +%s)
if ! g "apt-get install -y /root/$DEBN" >"$WORK/apt-install.log" 2>&1; then
	log "apt-get install failed offline (a dependency not pre-seeded?); apt-get update and again"
	g "cd /root && apt-get update -q && apt-get install -y /root/$DEBN" >>"$WORK/apt-install.log" 2>&1 ||
		{ tail -20 "$WORK/apt-install.log"; die "apt-get install ./$DEBN failed in the guest"; }
fi
log "apt-get install ./$DEBN: $(( $(date +%s) - t )) s"
g systemctl is-enabled vanctld >/dev/null || bad "the package did not enable vanctld.service"
FLUSH=5
g "cat > /etc/vanctld/vanctld.conf" <<EOF
# the van in a box: tests/system/run-system-test.sh
[unit]
id = van1
name = Van in a box

[gps]
host = localhost
port = 2947

[track]
flush_interval = $FLUSH
min_period = 1
min_distance = 5

[mqtt]
host = 10.0.2.2
port = $MQTTP
location_interval = 1
reconnect_max = 2

[storage]
db = /var/lib/vanctld/vanctld.db

[control]
socket = /run/vanctld/control.sock
group = vanctl

[occupancy]
capacity = 6
per_crew = 3

[alarm]
repeat = 30s

[health]
# the Pi firmware's flags and a thermal zone, faked in /run (gone at the
# next boot: then the files are absent, as on any board that is not a Pi)
interval = 1
throttled_file = /run/fakefw/get_throttled
temp_file = /run/fakefw/temp

[gpio]
backend = sim

[line.ignition]
role = power_fail
hold_ms = 500
EOF
g 'printf "START_DAEMON=\"true\"\nDEVICES=\"/dev/ttyS1\"\nGPSD_OPTIONS=\"-n -b\"\nUSBAUTO=\"false\"\n" > /etc/default/gpsd &&
   systemctl enable gpsd.service gpsd.socket >/dev/null 2>&1;
   useradd -m -s /bin/sh -G vanctl crew && useradd -m -s /bin/sh other &&
   chown root:vanctl /etc/vanctld/vanctld.conf && chmod 0640 /etc/vanctld/vanctld.conf &&
   runuser -u vanctld -- vanctld --check-config -c /etc/vanctld/vanctld.conf' >"$WORK/setup.log" 2>&1 ||
	{ cat "$WORK/setup.log"; die "guest set-up failed"; }
log "configured; powering off (the daemon must start at the next boot by itself)"
poweroff_guest

# ---- 5. second boot: checks -------------------------------------------------------
boot
wait_ssh 600
SSH_S=$(elapsed "$BOOT_T")
if R=$(wait_ready 120); then
	pass "vanctld started at boot and reached READY ${R} s after the kernel started (ssh up at ${SSH_S} s host time)"
	echo "boot_ready_s $R" >>"$WORK/figures.txt"
else
	g "systemctl status vanctld --no-pager; journalctl -b -u vanctld --no-pager | tail -30" || true
	die "vanctld did not reach READY at boot"
fi
g "systemd-analyze security vanctld --no-pager" >"$WORK/security.txt" 2>&1 || true
SCORE=$(grep -o 'Overall exposure level for vanctld.service: [0-9.]* [A-Z]*' "$WORK/security.txt" | awk '{ print $6, $7 }')
[ -n "$SCORE" ] && pass "systemd-analyze security vanctld: exposure $SCORE" || bad "no exposure score (security.txt)"
echo "security $SCORE" >>"$WORK/figures.txt"
grep -E '^(✗|-) ' "$WORK/security.txt" | awk '{ print "    open: " $2 " " $NF }' || true

# vanctl: crew yes, other no
if g "runuser -u crew -- vanctl status" >"$WORK/status.txt" 2>&1; then
	pass "vanctl status works for crew (group vanctl): $(head -1 "$WORK/status.txt")"
else
	bad "vanctl status refused for crew: $(cat "$WORK/status.txt") [$(g "ls -ld /run/vanctld" 2>&1)]"
fi
set +e
g "runuser -u other -- vanctl status" >"$WORK/status-other.txt" 2>&1
rc=$?
set -e
[ $rc = 3 ] && pass "vanctl refused for other (exit 3: $(head -1 "$WORK/status-other.txt"))" ||
	bad "vanctl for other: exit $rc, $(cat "$WORK/status-other.txt")"
# a session, so that check-ins and incidents are stored
g "vanctl session start --crew 2" >/dev/null 2>&1 || bad "session start failed"
g "vanctl checkin" >/dev/null 2>&1 || bad "checkin failed"
g 'ls -l /var/lib/vanctld/ /run/vanctld/; for f in /var/lib/vanctld/vanctld.db /var/lib/vanctld/vanctld.db-wal /var/lib/vanctld/vanctld.db-shm /run/vanctld/control.sock; do
	[ -e "$f" ] || { echo "MISSING $f"; continue; }
	if runuser -u other -- sh -c "test -r $f || test -w $f || cat $f >/dev/null 2>&1"; then echo "OPEN $f"; else echo "CLOSED $f $(stat -c "%a %U:%G" $f)"; fi
done' >"$WORK/modes.txt" 2>&1
grep -q '^OPEN' "$WORK/modes.txt" && bad "readable by other: $(grep '^OPEN' "$WORK/modes.txt" | tr '\n' ' ')" ||
	pass "database, WAL, shm and socket closed to other: $(grep '^CLOSED' "$WORK/modes.txt" | awk '{ print $2 "=" $3 }' | tr '\n' ' ')"
grep -q '^MISSING /var/lib/vanctld/vanctld.db$\|^MISSING /run' "$WORK/modes.txt" && bad "$(grep MISSING "$WORK/modes.txt")"

# watchdog: SIGSTOP the daemon
PID1=$(g systemctl show vanctld -p MainPID --value)
WD=$(g systemctl show vanctld -p WatchdogUSec --value)
g "kill -STOP $PID1"
ts=$(date +%s.%N)
PID2=$PID1
while [ "$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { print int(b - a) }')" -lt 150 ]; do
	sleep 1
	st=$(g systemctl show vanctld -p ActiveState -p MainPID 2>/dev/null | tr '\n' ' ')
	p=$(echo "$st" | grep -o 'MainPID=[0-9]*' | cut -d= -f2)
	if echo "$st" | grep -q 'ActiveState=active' && [ "${p:-0}" != "$PID1" ] && [ "${p:-0}" != 0 ]; then PID2=$p; break; fi
done
WDS=$(elapsed "$ts")
g "journalctl -b -u vanctld --no-pager -o short-monotonic" >"$WORK/journal-watchdog.log" 2>&1 || true
if [ "$PID2" != "$PID1" ]; then
	why=$(grep -m1 -i 'watchdog timeout' "$WORK/journal-watchdog.log" | sed 's/.*\]: //')
	pass "watchdog: stopped daemon $PID1 replaced by $PID2, READY again ${WDS} s after SIGSTOP (WatchdogSec=$WD; journal: ${why:-no 'Watchdog timeout' line})"
	[ -n "$why" ] || bad "the journal does not say 'Watchdog timeout'"
	echo "watchdog_restart_s $WDS" >>"$WORK/figures.txt"
else
	bad "watchdog: daemon $PID1 still not replaced ${WDS} s after SIGSTOP"
	g "kill -CONT $PID1" || true
fi

# reload re-reads the config: mqtt.location_interval (docs/config.md: changes
# at once) 1 s -> 4 s, seen at base as the gap between location messages;
# occupancy.capacity is recorded too (docs do not list it as reloadable)
locs_between() { awk -v a="$1" -v b="$2" '$2 ~ /\/location$/ && $1 >= a && $1 < b' "$WORK/base-sub.log" | wc -l; }
CAP0=$(g "vanctl --json status" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]["occupancy"]; print("%s/%s" % (r.get("limit"), r.get("capacity")))' 2>/dev/null || echo "?")
tr0=$(date +%s.%N); sleep 8; tr1=$(date +%s.%N)
L0=$(locs_between "$tr0" "$tr1")
PIDR=$(g systemctl show vanctld -p MainPID --value)
g "sed -i 's/^location_interval = 1$/location_interval = 4/; s/^capacity = 6/capacity = 4/' /etc/vanctld/vanctld.conf && systemctl reload vanctld"
sleep 2
tr2=$(date +%s.%N); sleep 12; tr3=$(date +%s.%N)
L1=$(locs_between "$tr2" "$tr3")
CAP1=$(g "vanctl --json status" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]["occupancy"]; print("%s/%s" % (r.get("limit"), r.get("capacity")))' 2>/dev/null || echo "?")
RL=$(g "journalctl -b -u vanctld --no-pager -n 30" | grep -m1 'reload:' | sed 's/.*\]: //')
RLOC=$(g "journalctl -b -u vanctld --no-pager -n 30" | grep -c 'reload: the live location goes every 4 s now' || true)
PID3=$(g systemctl show vanctld -p MainPID --value)
# before: as fast as the fixes come (the feed's pace under TCG, 0.5-1 Hz);
# after: at most one in 4 s, and the core says so
if [ "$PID3" = "$PIDR" ] && [ "$L0" -ge 3 ] && [ "$L1" -le 4 ] && [ "$RLOC" -ge 1 ] && [ -n "$RL" ]; then
	pass "systemctl reload: same process $PID3, '$RL'; location messages at base: $L0 in 8 s before, $L1 in 12 s after (location_interval 1 -> 4 s)"
else
	bad "systemctl reload: pid $PIDR -> $PID3, locations $L0 in 8 s -> $L1 in 12 s, 'every 4 s now' logged $RLOC time(s), journal: '$RL'"
fi
echo "reload_locations_before_after $L0/8s $L1/12s" >>"$WORK/figures.txt"
[ "$CAP0" = "$CAP1" ] && log "NOTE: occupancy limit/capacity after reload with capacity = 4: $CAP0 -> $CAP1 (not applied: the journal says it needs a restart)"
echo "reload_capacity $CAP0 -> $CAP1" >>"$WORK/figures.txt"
g "sed -i 's/^location_interval = 4$/location_interval = 1/; s/^capacity = 4/capacity = 6/' /etc/vanctld/vanctld.conf && systemctl reload vanctld"

# a bad config keeps it from starting, FILE:LINE in the journal
g "cp /etc/vanctld/vanctld.conf /root/good.conf && sed -i 's/^per_crew = 3/per_crew = banana/' /etc/vanctld/vanctld.conf"
BADLINE=$(g "grep -n '^per_crew' /etc/vanctld/vanctld.conf | cut -d: -f1")
set +e
g "systemctl restart vanctld" >/dev/null 2>&1
rc=$?
set -e
sleep 1
ST=$(g systemctl show vanctld -p ActiveState,Result --value | tr '\n' ' ')
g "journalctl -b -u vanctld --no-pager -n 40" >"$WORK/journal-badconf.log" 2>&1 || true
if [ $rc != 0 ] && ! echo "$ST" | grep -q '^active' &&
	grep -q "/etc/vanctld/vanctld.conf:$BADLINE" "$WORK/journal-badconf.log"; then
	pass "bad config: restart failed ($ST), journal: $(grep -m1 "vanctld.conf:$BADLINE" "$WORK/journal-badconf.log" | sed 's/.*\]: //')"
else
	bad "bad config: restart rc $rc, state $ST, no vanctld.conf:$BADLINE in the journal (journal-badconf.log)"
fi
g "cp /root/good.conf /etc/vanctld/vanctld.conf && systemctl reset-failed vanctld; systemctl start vanctld"
wait_ready 60 >/dev/null || die "vanctld did not come back with the good config"

# ---- 5b. the computer's health, and a clean power-down ---------------------------
jstatus() { g "vanctl --json status" 2>/dev/null | python3 -c "import json,sys; r=json.load(sys.stdin)['result']; print($1)" 2>/dev/null; }
g "mkdir -p /run/fakefw && echo 50005 > /run/fakefw/get_throttled && echo 55125 > /run/fakefw/temp"
HV=""
for _ in $(seq 20); do
	HV=$(jstatus "(r.get('health') or {}).get('undervoltage'), (r.get('health') or {}).get('temp_c')")
	[ "$HV" = "True 55.1" ] && break
	sleep 1
done
[ "$HV" = "True 55.1" ] && pass "health: the firmware's under-voltage flag and the temperature in the state ($HV)" ||
	bad "health: state says $HV, not True 55.1"
g "echo 0 > /run/fakefw/get_throttled"
g "vanctl --json status" 2>/dev/null | grep -q '"state":"\(active\|overdue\)"' ||
	g "vanctl session start --crew 2" >/dev/null 2>&1 || true
g "vanctl sim ignition on" >/dev/null 2>&1 || bad "vanctl sim ignition on failed"
PF=""
for _ in $(seq 20); do
	grep -q '/event {.*"type":"power.failing"' "$WORK/base-sub.log" && { PF=yes; break; }
	sleep 1
done
if [ -n "$PF" ] && g "journalctl -u vanctld -b --no-pager" 2>/dev/null | grep -q 'power: the power_fail input is active'; then
	pass "power_fail input: power.failing at base, the route flushed (journal: 'the van powers down on purpose')"
else
	bad "power_fail input: power.failing at base: ${PF:-no}; journal line missing?"
fi
# the power goes two seconds later, as it does when the ignition is off
sleep 2
cut_power
boot
wait_ssh 600
wait_ready 120 >/dev/null || bad "power-down: vanctld not READY after the boot"
n=$(g "sqlite3 -readonly /var/lib/vanctld/vanctld.db \"SELECT count(*) FROM events WHERE type='power.failing'\"" 2>/dev/null)
[ "${n:-0}" -ge 1 ] && pass "power-down: power.failing kept in the database across the cut ($n)" ||
	bad "power-down: power.failing not in the database after the cut (${n:-none})"
HA=$(jstatus "r.get('health')")
[ "$HA" = None ] && pass "health: the files gone (a board without them): no health in the state, no error" ||
	bad "health after the boot: $HA (want None)"
g "journalctl -u vanctld -b --no-pager" 2>/dev/null | grep -q 'health:' &&
	bad "health: absent files logged ($(g "journalctl -u vanctld -b --no-pager" | grep -m1 'health:'))"
g "vanctl sim ignition off" >/dev/null 2>&1 || true   # the line starts inactive again anyway

# ---- 6. power cuts -----------------------------------------------------------------
log "power cuts: $CUTS"
: >"$WORK/flow.txt"
: >"$WORK/cuts.txt"
N=0
for c in $(seq 1 "$CUTS"); do
	# a session running (it survives a cut; start one if not)
	g "vanctl --json status" 2>/dev/null | grep -q '"state":"\(active\|overdue\)"' ||
		g "vanctl session start --crew 2" >/dev/null 2>&1 || true
	echo "CUT $c START $(date +%s%3N)" >>"$WORK/flow.txt"
	g "sh /root/guest-flow.sh $N" >>"$WORK/flow.txt" 2>&1 &
	FLOWPID=$!
	# the moment: 2-9 s into the flow, to the millisecond
	D=$(python3 -c 'import random; print("%.3f" % random.uniform(2, 9))')
	sleep "$D"
	CUT_MS=$(date +%s%3N)
	cut_power
	wait "$FLOWPID" 2>/dev/null || true
	FLOWPID=""
	echo "CUT $c AT $CUT_MS" >>"$WORK/flow.txt"
	N=$(grep -c '^\(OK\|NO\)|' "$WORK/flow.txt" || true)
	N=$((N + 1000 * c))
	boot
	wait_ssh 600
	if ! R=$(wait_ready 120); then
		bad "cut $c: vanctld not READY after the boot"
		R=NA
	fi
	# outbox drained: backlog 0 (give it 30 s)
	DR=NA
	for i in $(seq 30); do
		b=$(g "vanctl --json status" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["link"]["backlog"])' 2>/dev/null || echo x)
		[ "$b" = 0 ] && { DR=$i; break; }
		sleep 1
	done
	g "sqlite3 -readonly /var/lib/vanctld/vanctld.db 'PRAGMA integrity_check;' | tr '\n' ' ';
	   echo; sqlite3 -readonly -separator ' ' /var/lib/vanctld/vanctld.db 'SELECT seq, type FROM events ORDER BY seq;' > /root/ev.txt; wc -l < /root/ev.txt;
	   sqlite3 -readonly /var/lib/vanctld/vanctld.db 'SELECT coalesce(max(utc_ms),0) FROM route_points WHERE utc_ms <= $CUT_MS;'" \
		>"$WORK/cut-$c.txt" 2>&1 || true
	g "cat /root/ev.txt" >"$WORK/events-$c.txt" 2>/dev/null || true
	printf 'cut %s at %s after %.3fs ready %s drained_s %s integrity %s events %s route_max %s\n' "$c" "$CUT_MS" "$D" "$R" "$DR" \
		"$(sed -n 1p "$WORK/cut-$c.txt" | tr -d ' ')" "$(sed -n 2p "$WORK/cut-$c.txt")" "$(sed -n 3p "$WORK/cut-$c.txt")" >>"$WORK/cuts.txt"
	log "$(tail -1 "$WORK/cuts.txt")"
done
sleep 3
python3 "$HERE/check-cuts.py" "$WORK" "$FLUSH" || FAILS=$((FAILS + 1))
poweroff_guest

log "boots: $BOOTS, total $(elapsed "$T0") s, failures: $FAILS"
[ "$FAILS" = 0 ] || die "$FAILS check(s) failed (logs: ${VAN_BINARY_DIR:-$WORK}/system_vm)"
log "PASS"
