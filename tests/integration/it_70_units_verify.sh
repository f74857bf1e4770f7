#!/usr/bin/env bash
# it_70_units_verify - the systemd units in systemd/ are valid for the
# systemd on this machine, and vanctld.service and vanbase.service stay hardened.
#
# `systemd-analyze verify` refuses a unit whose ExecStart binary does not
# exist, and we do not install into / to test.  So each unit is copied into a
# work dir with its /usr/sbin/van* and /usr/bin/van* paths pointed at the
# binaries in the build tree (or, for a binary not built here, at a stub),
# and the copy is verified.  verify only warns (exit 0) on unknown keys and
# bad values, so ANY output counts as a failure.  The same by hand:
#
#   sed "s#/usr/sbin/vanctld#$PWD/build/controller/vanctld#" systemd/vanctld.service > /tmp/vanctld.service
#   systemd-analyze verify --man=no /tmp/vanctld.service
#
# Then `systemd-analyze security --offline=yes` must rate vanctld.service's
# exposure at or under VAN_UNIT_EXPOSURE_MAX (0-100 scale, i.e. 10x the shown
# level; default 25 = "2.5 OK").  And the udev rule is checked with
# `udevadm verify` where this udev has it (systemd >= 254).
source "$(dirname "$0")/lib.sh"
it_setup

command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
note "$(systemd-analyze --version | head -1)"

# binary NAME: the built binary of that name, else a stub
binary() {
	local f
	f=$(find "$VAN_BINARY_DIR" -maxdepth 3 -type f -name "$1" -perm -u+x 2>/dev/null | head -1)
	if [ -z "$f" ]; then
		f="$WORK/stub/$1"
		mkdir -p "$WORK/stub"
		printf '#!/bin/sh\nexit 0\n' > "$f"
		chmod 0755 "$f"
	fi
	echo "$f"
}

units=()
for u in "$VAN_SOURCE_DIR"/systemd/*.service; do
	[ -f "$u" ] && units+=("$u")
done
[ "${#units[@]}" -gt 0 ] || fail "no units in $VAN_SOURCE_DIR/systemd"
[ -f "$VAN_SOURCE_DIR/systemd/vanctld.service" ] || fail "systemd/vanctld.service is missing"

mkdir -p "$WORK/units"
for u in "${units[@]}"; do
	name=$(basename "$u")
	cp "$u" "$WORK/units/$name"
	for p in $(grep -oE '/usr/s?bin/van[a-z]*' "$u" | sort -u); do
		sed -i "s#$p\\b#$(binary "$(basename "$p")")#g" "$WORK/units/$name"
	done
	out=$(cd "$WORK/units" && systemd-analyze verify --man=no "./$name" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || [ -n "$out" ]; then
		echo "$out" >&2
		fail "systemd-analyze verify $name: exit $rc, $(echo -n "$out" | grep -c '^') line(s) of complaints"
	fi
	pass "verify $name"
done

# The hardening that matters, spelled out (a drop-in or an edit that loses
# one should be a decision, not an accident).
S="$VAN_SOURCE_DIR/systemd/vanctld.service"
for want in 'Type=notify' 'WatchdogSec=' 'Restart=on-failure' 'User=vanctld' 'SupplementaryGroups=.*gpio' \
	'StateDirectory=vanctld' 'RuntimeDirectory=vanctld' 'RuntimeDirectoryMode=0755' 'NoNewPrivileges=yes' \
	'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'DevicePolicy=closed' 'DeviceAllow=char-gpiochip rw' \
	'CapabilityBoundingSet=$' 'SystemCallFilter=@system-service' 'MemoryDenyWriteExecute=yes' \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'UMask=0027' 'ExecStartPre=/usr/sbin/vanctld --check-config' \
	'ExecReload=/bin/kill -HUP \$MAINPID'; do
	grep -qE "^$want" "$S" || fail "vanctld.service lacks $want"
done
pass "vanctld.service has its hardening settings"
S="$VAN_SOURCE_DIR/systemd/vanbase.service"
for want in 'Type=notify' 'WatchdogSec=' 'Restart=on-failure' 'RestartPreventExitStatus=2' 'User=vanbase' \
	'StateDirectory=vanbase' 'RuntimeDirectoryMode=0750' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
	'PrivateDevices=yes' 'CapabilityBoundingSet=$' 'SystemCallFilter=@system-service' 'UMask=0027' \
	'ExecStartPre=/usr/sbin/vanbase --check-config'; do
	grep -qE "^$want" "$S" || fail "vanbase.service lacks $want"
done
pass "vanbase.service has its hardening settings"

max=${VAN_UNIT_EXPOSURE_MAX:-25}
if systemd-analyze security --help 2>/dev/null | grep -q -- '--threshold'; then
	for unit in vanctld.service vanbase.service; do
		out=$(cd "$WORK/units" && systemd-analyze security --offline=yes --threshold="$max" "./$unit" 2>&1)
		rc=$?
		level=$(echo "$out" | grep -o 'Overall exposure level for [^:]*: [0-9.]*' | grep -oE '[0-9.]+$')
		[ $rc -eq 0 ] || { echo "$out" | grep '✗' >&2; fail "$unit: exposure ${level:-?} is above $max/10"; }
		pass "systemd-analyze security $unit: exposure $level (limit $(awk "BEGIN{print $max/10}"))"
	done
else
	note "this systemd-analyze has no security --threshold; exposure not checked"
fi

R="$VAN_SOURCE_DIR/systemd/60-vanctld-gpio.rules"
[ -f "$R" ] || fail "systemd/60-vanctld-gpio.rules is missing"
grep -qE '^SUBSYSTEM=="gpio", KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"' "$R" || fail "udev rule changed: $R"
if command -v udevadm >/dev/null && udevadm verify --help >/dev/null 2>&1; then
	udevadm verify --resolve-names=never "$R" >"$WORK/udev.log" 2>&1 || { cat "$WORK/udev.log" >&2; fail "udevadm verify $R"; }
	pass "udevadm verify 60-vanctld-gpio.rules"
else
	note "no udevadm verify here (systemd < 254 or no udev): rule checked by pattern only"
fi
exit 0
