# qemu-accel.sh - choose KVM or TCG for a qemu guest by trying KVM first.
# Sourced by the VM tests (tests/vm/run-vm-test.sh, tests/system/).
#
#   qemu_pick_accel KERNEL     sets QEMU_ACCEL (kvm|tcg) and QEMU_ACCEL_WHY
#
# A /dev/kvm that exists is no proof that KVM runs a guest: on some hosts
# (nested virtualisation without the right CPU features) a KVM guest prints
# nothing at all while the same kernel under TCG boots at once.  So the
# probe boots KERNEL under KVM with no initramfs and waits for the kernel's
# first console line ("Linux version"), which a working KVM prints within a
# second; it then stops the guest.  No marker within VAN_KVM_PROBE_S
# seconds (default 10): TCG.
#
#   VAN_QEMU_ACCEL=kvm|tcg   skip the probe and use this (say so)
#   VAN_KVM_DEV=PATH         the KVM device to look for (default /dev/kvm;
#                            a path that does not exist = a host without KVM)

qemu_pick_accel() {
	local kernel=$1 dev=${VAN_KVM_DEV:-/dev/kvm} limit=${VAN_KVM_PROBE_S:-10}
	QEMU_ACCEL=tcg
	case ${VAN_QEMU_ACCEL:-} in
	kvm | tcg)
		QEMU_ACCEL=$VAN_QEMU_ACCEL
		QEMU_ACCEL_WHY="VAN_QEMU_ACCEL=$VAN_QEMU_ACCEL (no probe)"
		return 0
		;;
	esac
	if [ ! -e "$dev" ]; then
		QEMU_ACCEL_WHY="$dev does not exist"
		return 0
	fi
	if [ ! -r "$dev" ] || [ ! -w "$dev" ]; then
		QEMU_ACCEL_WHY="$dev is not readable and writable by $(id -un)"
		return 0
	fi
	local out pid t0 waited=0
	out=$(mktemp "${TMPDIR:-/tmp}/kvm-probe.XXXXXX")
	t0=$(date +%s%N)
	qemu-system-x86_64 -machine q35,accel=kvm -smp 1 -m 256 -nodefaults -no-user-config \
		-display none -serial "file:$out" -no-reboot -kernel "$kernel" \
		-append "console=ttyS0 panic=-1" </dev/null >"$out.err" 2>&1 &
	pid=$!
	while [ "$waited" -lt $((limit * 10)) ]; do
		grep -q "Linux version" "$out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		waited=$((waited + 1))
	done
	local ms=$((($(date +%s%N) - t0) / 1000000))
	if grep -q "Linux version" "$out" 2>/dev/null; then
		QEMU_ACCEL=kvm
		QEMU_ACCEL_WHY="a KVM guest printed its first line after ${ms} ms"
	elif ! kill -0 "$pid" 2>/dev/null; then
		QEMU_ACCEL_WHY="$dev exists but a KVM guest would not start: $(tr '\n' ' ' <"$out.err" | cut -c1-200)"
	else
		QEMU_ACCEL_WHY="$dev exists but a KVM guest printed nothing in ${limit} s"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$out" "$out.err"
	return 0
}
