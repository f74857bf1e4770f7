#!/usr/bin/env bash
# cross-arm64.sh - build vanctld for 64-bit Raspberry Pi OS (arm64) on a
# Debian 12 amd64 machine, run the unit tests under qemu-user, and make the
# arm64 Debian package for the Pi.
#
#   1. installs what it needs (apt-get update first; idempotent): arm64 added
#      to dpkg's architectures (the machine's own Debian sources serve it),
#      crossbuild-essential-arm64, qemu-user and the :arm64 -dev
#      packages of every library vanctld links;
#   2. cmake with cmake/toolchain-aarch64.cmake into build-arm64/ (VAN_CROSS_BUILD);
#   3. ctest -L unit: every unit test binary runs under qemu-aarch64
#      (CMAKE_CROSSCOMPILING_EMULATOR); helpers that tests exec themselves
#      (an arm64 program started from a test via system()) need the kernel to
#      know arm64 binaries too, so qemu-aarch64 is registered with
#      binfmt_misc (mounted first if need be) when it is not already.  That
#      is machine-wide (harmless: only arm64 ELF files are affected);
#      VAN_CROSS_BINFMT=0 leaves binfmt_misc alone (then such tests fail);
#      the randomized core test runs VAN_RUNS=300 (not 2000) under qemu;
#   4. cpack -G DEB: build-arm64/vanctld_<version>_arm64.deb (VAN_CROSS_PACKAGE=0 skips).
#
# Run as root (or with sudo).  The host build (libgpiod 1.6 / libgps 3.22, as
# on Raspberry Pi OS bookworm) is not affected: the :arm64 packages are
# Multi-Arch: same and install beside the amd64 ones.
#
#   VAN_CROSS_BUILD=DIR   build dir (default build-arm64)
#   VAN_CROSS_PACKAGE=0   do not make the .deb
#   VAN_JOBS=N            parallel jobs (default nproc)
#   VAN_CROSS_RUNS=N      VAN_RUNS for the randomized core test (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${VAN_CROSS_BUILD:-build-arm64}
JOBS=${VAN_JOBS:-$(nproc)}
ARCH=arm64
TRIPLE=aarch64-linux-gnu
say() { echo "cross-arm64: $*"; }
die() { echo "cross-arm64: ERROR: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# qemu-user, not qemu-user-static: the same emulator, 12 MB instead of 63
HOST_PKGS=(crossbuild-essential-arm64 qemu-user cmake pkg-config dpkg-dev file)
TARGET_LIBS=(libgpiod-dev libmosquitto-dev libgps-dev libsqlite3-dev libjansson-dev
	libinih-dev libsystemd-dev libncurses-dev libcmocka-dev libc-ares-dev)

t0=$(date +%s)
added=0
if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
	say "dpkg --add-architecture $ARCH"
	$SUDO dpkg --add-architecture "$ARCH"
	added=1
fi
missing=()
for p in "${HOST_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
for p in "${TARGET_LIBS[@]}"; do
	dpkg-query -W -f='${Status}' "$p:$ARCH" 2>/dev/null | grep -q "install ok installed" || missing+=("$p:$ARCH")
done
if [ "${#missing[@]}" -gt 0 ] || [ $added = 1 ]; then
	say "apt-get update"
	$SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing: ${missing[*]}"
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v "$TRIPLE-gcc" >/dev/null || die "$TRIPLE-gcc not found after install"
command -v qemu-aarch64-static >/dev/null || command -v qemu-aarch64 >/dev/null || die "no qemu-aarch64"

# binfmt_misc: let the kernel run arm64 programs through qemu (flag F: the
# interpreter is opened now, so this works in chroots and namespaces too).
# aarch64 ELF: magic and mask as in qemu's own binfmt registrations.
BINFMT_AARCH64=':qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
if [ "${VAN_CROSS_BINFMT:-1}" != 0 ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
	QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64)
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		$SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
			say "WARNING: cannot mount binfmt_misc; tests that exec arm64 helpers will fail"
	fi
	if [ -e /proc/sys/fs/binfmt_misc/register ]; then
		if printf '%s:%s:F\n' "$BINFMT_AARCH64" "$QEMU" | $SUDO tee /proc/sys/fs/binfmt_misc/register >/dev/null; then
			say "registered $QEMU with binfmt_misc for arm64 programs"
		else
			say "WARNING: could not register qemu-aarch64 with binfmt_misc"
		fi
	fi
fi
t1=$(date +%s)
say "dependencies ready ($((t1 - t0)) s)"

say "configure $BUILD"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$SRC/cmake/toolchain-aarch64.cmake" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD.configure.log" 2>&1 ||
	{ cat "$BUILD.configure.log" >&2; die "cmake configure failed"; }
grep -E 'gpiod backend' "$BUILD.configure.log" | sed 's/^-- /cross-arm64: /' || true
say "build"
cmake --build "$BUILD" -j "$JOBS"
file "$BUILD/controller/vanctld" | grep -q 'ARM aarch64' || die "$BUILD/controller/vanctld is not an aarch64 binary"
t2=$(date +%s)
say "built ($((t2 - t1)) s): $(file -b "$BUILD/controller/vanctld" | cut -d, -f1-2)"

say "ctest -L unit (under qemu-user)"
(cd "$BUILD" && VAN_RUNS=${VAN_CROSS_RUNS:-300} ctest -L unit --output-on-failure -j "$JOBS")
t3=$(date +%s)
say "unit tests passed under qemu ($((t3 - t2)) s)"

if [ "${VAN_CROSS_PACKAGE:-1}" != 0 ]; then
	say "cpack -G DEB"
	(cd "$BUILD" && cpack -G DEB >cpack.log 2>&1) || { cat "$BUILD/cpack.log" >&2; die "cpack failed"; }
	DEB=$(ls "$BUILD"/vanctld_*_"$ARCH".deb | head -1)
	[ -n "$DEB" ] || die "no arm64 package made"
	say "package: $DEB"
	dpkg-deb -f "$DEB" Architecture Depends | sed 's/^/cross-arm64:   /'
fi
say "done in $(( $(date +%s) - t0 )) s"
