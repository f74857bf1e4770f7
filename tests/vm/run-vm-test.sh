#!/usr/bin/env bash
# run-vm-test.sh - the gpio VM test (ctest: gpio_vm, label vm).
#
# Drives hw/gpio's real gpiod backends against the kernel's gpio-sim driver:
# boots Debian 12's own kernel under qemu (KVM when a probe shows it runs a
# guest, else TCG: tests/vm/qemu-accel.sh)
# with a busybox initramfs, creates a 16-line gpio-sim chip labelled
# "vansim" through configfs, and runs tests/vm/guest-test.sh once for each
# build of tests/vm/gpio_vmtest (v1: libgpiod 1.6 from this host; v2: Debian
# 13's libgpiod 2.x from scripts/fetch-gpiod2.sh), both linked statically
# with hw/gpio*.c.  The host then checks the printed events
# (tests/vm/check-events.sh).  See tests/vm/README.md.
#
# Debian's kernels do not ship gpio-sim (CONFIG_GPIO_SIM unset), so the
# module is built out of tree from the matching linux-source (gpio-sim.c +
# irq_sim.c, one-line patch: irq_to_desc() is not exported to modules, and
# generic_handle_irq() is equivalent for this simple-flow irq).
#
# Host packages: scripts/install-vm-deps.sh.  The kernel packages are only
# downloaded (apt-get download) and unpacked into the cache, never installed.
#
# Environment:
#   VAN_SKIP_VM=1        skip (exit 77, ctest shows "Skipped"); for quick local runs
#   VAN_VM_CACHE=DIR     download/build cache, reused across runs and clones
#                        (default /var/cache/vanctld-vm, else ~/.cache/vanctld-vm)
#   VAN_VM_TIMEOUT=400   seconds one VM run may take
#   VAN_VM_KEEP=1        keep the scratch dir (initramfs, console log)
#   VAN_SKIP_GPIOD2=1    run the v1 build only (says so loudly)
#   VAN_BINARY_DIR       where the console log is copied (gpio_vm-console.log)
#   VAN_QEMU_ACCEL=tcg   skip the KVM probe (kvm|tcg); VAN_KVM_PROBE_S=10 its limit
set -euo pipefail

if [ "${VAN_SKIP_VM:-0}" = 1 ]; then
	echo "gpio_vm: SKIPPED because VAN_SKIP_VM=1 (the gpiod backends are NOT tested on a kernel)"
	exit 77
fi

SRC=${VAN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
HERE=$SRC/tests/vm
TIMEOUT=${VAN_VM_TIMEOUT:-400}
T0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[gpio_vm $(elapsed "$T0")s] $*"; }
die() { echo "[gpio_vm] FAIL: $*" >&2; exit 1; }

CACHE=${VAN_VM_CACHE:-/var/cache/vanctld-vm}
if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
	CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vanctld-vm
	mkdir -p "$CACHE"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vanctld-vm.XXXXXX")
cleanup() { [ "${VAN_VM_KEEP:-0}" = 1 ] && echo "[gpio_vm] scratch kept in $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

# ---- host tools ----------------------------------------------------------------
missing=""
for t in qemu-system-x86_64 gcc make cpio gzip dpkg-deb apt-get apt-cache modinfo file pkg-config; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' || missing="$missing busybox-static"
pkg-config --exists libgpiod || missing="$missing libgpiod-dev"
[ -z "$missing" ] || die "missing on this host:$missing; run scripts/install-vm-deps.sh (as root)"

# ---- 1. kernel packages (cached) ------------------------------------------------
KPKG="" KVER=""
if KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }') &&
	[ -n "$KPKG" ]; then
	KVER=$(apt-cache show --no-all-versions "$KPKG" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
fi
if [ -z "$KPKG" ] || [ -z "$KVER" ]; then
	[ -r "$CACHE/kernel.env" ] || die "cannot resolve linux-image-amd64 (apt-get update needed?) and nothing cached"
	. "$CACHE/kernel.env"
	log "apt cannot resolve the kernel; using the cached $KPKG $KVER"
fi
kvars() {
	KABI=${KPKG#linux-image-}; KABI=${KABI%-amd64}     # 6.1.0-56
	KREL=$KABI-amd64                                   # uname -r
	KMM=$(echo "$KABI" | cut -d. -f1,2)                # 6.1
	PKGS="$KPKG linux-headers-$KREL linux-headers-$KABI-common linux-kbuild-$KMM linux-source-$KMM"
}
kvars
have_debs() {
	for p in $PKGS; do ls "$CACHE/debs/${p}_${KVER}_"*.deb >/dev/null 2>&1 || return 1; done
}
mkdir -p "$CACHE/debs"
if ! have_debs; then
	need=""
	for p in $PKGS; do ls "$CACHE/debs/${p}_${KVER}_"*.deb >/dev/null 2>&1 || need="$need $p=$KVER"; done
	log "downloading$need into $CACHE/debs"
	chown _apt "$CACHE/debs" 2>/dev/null || true
	if ! (cd "$CACHE/debs" && apt-get download -qq $need); then
		if [ "$(id -u)" = 0 ]; then
			log "download failed; apt-get update and retry"
			apt-get update -qq || true
			(cd "$CACHE/debs" && apt-get download -qq $need) || true
		fi
	fi
	if ! have_debs; then
		if [ -r "$CACHE/kernel.env" ]; then
			. "$CACHE/kernel.env"
			kvars
			have_debs || die "cannot download $need and the cached kernel is incomplete"
			log "cannot download $need; using the cached $KPKG $KVER"
		else
			die "cannot download the kernel packages:$need"
		fi
	fi
fi
printf 'KPKG=%s\nKVER=%s\n' "$KPKG" "$KVER" > "$CACHE/kernel.env"
log "kernel $KPKG $KVER (uname -r $KREL)"

# ---- 2. unpack (scratch, nothing installed) -------------------------------------
K=$CACHE/kernel-$KVER H=$CACHE/headers-$KVER S=$CACHE/src-$KVER M=$CACHE/module-$KVER
deb() { ls "$CACHE/debs/${1}_${KVER}_"*.deb | head -1; }
if [ ! -e "$K/.done" ]; then
	log "unpacking the kernel image"
	rm -rf "$K" && mkdir -p "$K"
	dpkg-deb --fsys-tarfile "$(deb "$KPKG")" | tar -x -C "$K" --wildcards \
		"./boot/vmlinuz-$KREL" "./boot/config-$KREL" "*/kernel/fs/configfs/configfs.ko"
	touch "$K/.done"
fi
if [ ! -e "$H/.done" ]; then
	log "unpacking headers and kbuild"
	rm -rf "$H"
	for p in "linux-headers-$KREL" "linux-headers-$KABI-common" "linux-kbuild-$KMM"; do
		dpkg -x "$(deb "$p")" "$H"
	done
	# the arch headers' Makefile names the -common tree by its /usr/src path
	sed -i "s#/usr/src/linux-headers-$KABI-common#$H/usr/src/linux-headers-$KABI-common#" \
		"$H/usr/src/linux-headers-$KREL/Makefile"
	touch "$H/.done"
fi
if [ ! -e "$S/.done" ]; then
	log "extracting gpio-sim.c, gpiolib.h and irq_sim.c from linux-source-$KMM"
	rm -rf "$S" && mkdir -p "$S"
	dpkg-deb --fsys-tarfile "$(deb "linux-source-$KMM")" |
		tar -xO "./usr/src/linux-source-$KMM.tar.xz" |
		tar -xJ -C "$S" "linux-source-$KMM/drivers/gpio/gpio-sim.c" \
			"linux-source-$KMM/drivers/gpio/gpiolib.h" "linux-source-$KMM/kernel/irq/irq_sim.c"
	touch "$S/.done"
fi

# ---- 3. gpio-sim.ko (cached) ------------------------------------------------------
if [ ! -e "$M/gpio-sim.ko" ]; then
	log "building gpio-sim.ko out of tree"
	rm -rf "$M" && mkdir -p "$M"
	cp "$S/linux-source-$KMM/drivers/gpio/gpio-sim.c" "$M/gpio-sim-main.c"
	cp "$S/linux-source-$KMM/drivers/gpio/gpiolib.h" "$S/linux-source-$KMM/kernel/irq/irq_sim.c" "$M/"
	sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$M/irq_sim.c"
	if grep -q 'irq_to_desc' "$M/irq_sim.c"; then
		rm -f "$M/gpio-sim.ko"
		die "the irq_sim.c patch did not apply (did linux-source-$KMM change?)"
	fi
	printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' > "$M/Kbuild"
	make -s -C "$H/usr/src/linux-headers-$KREL" M="$M" modules > "$M/build.log" 2>&1 ||
		{ cat "$M/build.log"; rm -f "$M/gpio-sim.ko"; die "module build failed"; }
fi
modinfo -F vermagic "$M/gpio-sim.ko" | grep -q "^$KREL " ||
	die "gpio-sim.ko vermagic $(modinfo -F vermagic "$M/gpio-sim.ko") is not $KREL"

# ---- 4. test programs: hw/gpio + libgpiod, static --------------------------------
B=$WORK/bin
mkdir -p "$B"
CFLAGS=(-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
	-DVAN_HAVE_GPIOD=1 -I"$SRC")
HWC=("$SRC/hw/gpio.c" "$SRC/hw/gpio_conf.c" "$SRC/hw/gpio_sim.c" "$SRC/tests/vm/gpio_vmtest.c")
GV=$(pkg-config --modversion libgpiod)
case $GV in
1.*) ;;
*) die "this host's libgpiod is $GV; the v1 build wants Debian 12's 1.6" ;;
esac
log "building gpio_vmtest-v1 (hw/gpio_gpiod_v1.c, libgpiod $GV, static)"
gcc "${CFLAGS[@]}" -static -o "$B/gpio_vmtest-v1" "${HWC[@]}" "$SRC/hw/gpio_gpiod_v1.c" \
	$(pkg-config --cflags libgpiod) -lgpiod || die "building the v1 test program failed"
VARIANTS="v1"
if [ "${VAN_SKIP_GPIOD2:-0}" = 1 ]; then
	echo "[gpio_vm] NOTE: VAN_SKIP_GPIOD2=1: the libgpiod 2.x backend is NOT run in the VM"
else
	G2=$("$SRC/scripts/fetch-gpiod2.sh") || die "could not fetch libgpiod 2.x (scripts/fetch-gpiod2.sh)"
	G2LIB=$(ls "$G2"/usr/lib/*/libgpiod.a | head -1)
	log "building gpio_vmtest-v2 (hw/gpio_gpiod_v2.c, $(grep -o 'libgpiod-dev_[^_]*' "$G2/PACKAGES"), static)"
	gcc "${CFLAGS[@]}" -static -isystem "$G2/usr/include" -o "$B/gpio_vmtest-v2" "${HWC[@]}" \
		"$SRC/hw/gpio_gpiod_v2.c" "$G2LIB" || die "building the v2 test program failed"
	VARIANTS="v1 v2"
fi

# ---- 5. initramfs -------------------------------------------------------------
R=$WORK/rootfs
mkdir -p "$R"/{bin,proc,sys,dev,tmp,etc,lib/modules,vm/bin}
cp /bin/busybox "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/:/bin/sh\nvan:x:1000:1000:van:/tmp:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\nvan:x:1000:\n' > "$R/etc/group"
cp "$(find "$K" -name configfs.ko | head -1)" "$R/lib/modules/configfs.ko"
cp "$M/gpio-sim.ko" "$R/lib/modules/"
cp "$B"/gpio_vmtest-* "$R/vm/bin/"
cp "$HERE"/vmtest*.conf "$HERE/guest-test.sh" "$R/vm/"
cat > "$R/init" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "GUEST: kernel \$(uname -r), userspace at \$(cut -d' ' -f1 /proc/uptime) s"
fail() { echo "GUEST: \$*"; echo "GUEST-DONE FAIL"; poweroff -f; }
insmod /lib/modules/configfs.ko || fail "insmod configfs"
mount -t configfs configfs /sys/kernel/config || fail "mount configfs"
insmod /lib/modules/gpio-sim.ko || fail "insmod gpio-sim"
C=/sys/kernel/config/gpio-sim/van
mkdir \$C \$C/bank0 || fail "configfs mkdir"
echo 16 > \$C/bank0/num_lines && echo vansim > \$C/bank0/label && echo 1 > \$C/live || fail "chip not live"
export VAN_CHIP=\$(cat \$C/bank0/chip_name)
export VAN_SYS=/sys/devices/platform/\$(cat \$C/dev_name)/\$VAN_CHIP
echo "GUEST: chip \$VAN_CHIP at \$VAN_SYS"
for V in $VARIANTS; do
	echo "GUEST: run \$V at \$(cut -d' ' -f1 /proc/uptime) s"
	sh /vm/guest-test.sh /vm/bin/gpio_vmtest-\$V \$V
done
echo "GUEST: done at \$(cut -d' ' -f1 /proc/uptime) s"
echo "GUEST-DONE"
poweroff -f
EOF
chmod +x "$R/init" "$R/vm/guest-test.sh"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"

# ---- 6. boot ------------------------------------------------------------------------
. "$HERE/qemu-accel.sh"
qemu_pick_accel "$K/boot/vmlinuz-$KREL"
ACCEL=$QEMU_ACCEL
log "accel=$ACCEL: $QEMU_ACCEL_WHY"
log "booting $KREL (accel=$ACCEL) to run: $VARIANTS"
B0=$(date +%s.%N)
set +e
timeout "$TIMEOUT" qemu-system-x86_64 -machine q35,accel=$ACCEL -smp 1 -m 512 \
	-nodefaults -no-user-config -display none -serial stdio -no-reboot \
	-kernel "$K/boot/vmlinuz-$KREL" -initrd "$WORK/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3" </dev/null > "$WORK/console.log" 2>&1
QRC=$?
set -e
log "VM exited (rc $QRC) after $(elapsed "$B0") s"
CONSOLE=$WORK/console.log
if [ -n "${VAN_BINARY_DIR:-}" ] && [ -d "$VAN_BINARY_DIR" ]; then
	cp "$CONSOLE" "$VAN_BINARY_DIR/gpio_vm-console.log"
	CONSOLE=$VAN_BINARY_DIR/gpio_vm-console.log
fi
[ $QRC = 124 ] && echo "[gpio_vm] the VM timed out after ${TIMEOUT}s"
if ! tr -d '\r' < "$CONSOLE" | grep -q '^GUEST-DONE$'; then
	tr -d '\r' < "$CONSOLE" | tail -60
	die "the guest did not finish (console: $CONSOLE)"
fi
tr -d '\r' < "$CONSOLE" | grep -E '^(GUEST|CHECK)' || true

# ---- 7. checks ----------------------------------------------------------------------
rc=0
for V in $VARIANTS; do
	bash "$HERE/check-events.sh" "$CONSOLE" "$V" || rc=1
done
if [ $rc != 0 ]; then
	echo "[gpio_vm] console log: $CONSOLE"
	die "event checks failed"
fi
log "PASS ($VARIANTS)"
