#!/usr/bin/env bash
# trixie-test.sh - build vanctld and run its test suite (unit and integration:
# `ctest -LE vm`) in a Debian 13 (trixie) chroot, i.e. against the libgpiod 2.x
# / libgps 3.25 generation (Raspberry Pi OS trixie), while the host (Debian 12)
# covers libgpiod 1.6 / libgps 3.22 (Raspberry Pi OS bookworm).
#
#   1. installs debootstrap on the host if missing (apt-get update first);
#   2. debootstraps trixie (minbase) into the cache dir, once (a complete
#      root is reused: marked by .vanctld-root-done);
#   3. in the chroot: installs the packages of scripts/install-deps.sh
#      (version-suffixed names mapped to trixie's; clang for the fuzzers and
#      anything trixie lacks are left out and listed), plus adduser and
#      systemd (the package test, systemd-analyze verify), systemd-dev (systemd.pc:
#      where units go), then
#      scripts/install-review-deps.sh and scripts/install-base-deps.sh when present;
#   4. bind-mounts the source read-only at /src, builds in /root/build
#      (fresh each run unless VAN_TRIXIE_KEEP_BUILD=1) and runs ctest -LE vm
#      (VAN_SKIP_VM=1: the qemu gpio-sim test is the host's job).
#
# Everything runs in a private mount namespace (unshare -m): /proc, /sys,
# /dev, /dev/pts, /tmp and /src are mounted for the chroot and are unmounted
# on exit (explicitly, and by the kernel when the namespace ends, even if
# this script is killed).  Nothing on the host's apt setup is touched.
# Run as root.  Idempotent.
#
#   VAN_TRIXIE_CACHE=DIR      cache dir (default /var/cache/vanctld-trixie)
#   VAN_TRIXIE_MIRROR=URL     Debian mirror (default http://deb.debian.org/debian)
#   VAN_TRIXIE_REFRESH=1      debootstrap again from scratch
#   VAN_TRIXIE_KEEP_BUILD=1   reuse /root/build (incremental)
#   VAN_TRIXIE_SANITIZE=1     also the ASan+UBSan pass (ctest -LE "vm|package")
#   VAN_TRIXIE_CTEST_ARGS=..  extra ctest arguments (e.g. "-L unit")
#   VAN_JOBS=N                parallel jobs (default nproc)
#   VAN_TRIXIE_SHELL=1        open a shell in the prepared chroot instead of testing
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
SUITE=trixie
CACHE=${VAN_TRIXIE_CACHE:-/var/cache/vanctld-trixie}
ROOT=$CACHE/root
MIRROR=${VAN_TRIXIE_MIRROR:-http://deb.debian.org/debian}
JOBS=${VAN_JOBS:-$(nproc)}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
say() { echo "trixie-test: $*"; }
die() { echo "trixie-test: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and mounts need it)"

# Everything below in a private mount namespace: mounts cannot leak.
if [ "${VAN_TRIXIE_NS:-}" != 1 ]; then
	command -v unshare >/dev/null || die "unshare (util-linux) not found"
	export VAN_TRIXIE_NS=1
	exec unshare --mount --propagation private -- bash "$0" "$@"
fi

T0=$(date +%s)
stamp() { echo "$(( $(date +%s) - T0 )) s"; }

# ---- 1. debootstrap on the host ----
if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
[ -r "$KEYRING" ] || die "$KEYRING missing (install debian-archive-keyring)"

# ---- mounts (reverse order on exit) ----
MOUNTS=()
mnt() { # mnt TARGET MOUNT-ARGS...
	local target=$1; shift
	mkdir -p "$target"
	mount "$@" "$target"
	MOUNTS+=("$target")
}
cleanup() {
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${MOUNTS[$i]}" 2>/dev/null || true
	done
	MOUNTS=()
}
trap cleanup EXIT

# ---- 2. the trixie root, once ----
if [ "${VAN_TRIXIE_REFRESH:-0}" = 1 ]; then
	say "VAN_TRIXIE_REFRESH=1: removing $ROOT"
	rm -rf "$ROOT"
fi
if [ ! -e "$ROOT/.vanctld-root-done" ]; then
	mkdir -p "$CACHE"
	rm -rf "$ROOT.tmp"
	say "debootstrap --variant=minbase $SUITE from $MIRROR (cold: a few minutes)"
	debootstrap --variant=minbase --keyring="$KEYRING" "$SUITE" "$ROOT.tmp" "$MIRROR" \
		> "$CACHE/debootstrap.log" 2>&1 || { tail -30 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
	# no daemon starts from package scripts in here
	printf '#!/bin/sh\nexit 101\n' > "$ROOT.tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$ROOT.tmp/usr/sbin/policy-rc.d"
	echo 'APT::Install-Recommends "false";' > "$ROOT.tmp/etc/apt/apt.conf.d/90vanctld"
	mv "$ROOT.tmp" "$ROOT"
	touch "$ROOT/.vanctld-root-done"
	say "debootstrap done ($(stamp))"
else
	say "reusing $ROOT"
fi

cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
mnt "$ROOT/proc" -t proc proc
mnt "$ROOT/sys" -t sysfs -o ro sysfs
mnt "$ROOT/dev" --rbind /dev
mount --make-rslave "$ROOT/dev"
mnt "$ROOT/tmp" -t tmpfs -o mode=1777,size=4g tmpfs
mkdir -p "$ROOT/run/lock"
mnt "$ROOT/run" -t tmpfs -o mode=0755,size=256m tmpfs
mkdir -p "$ROOT/run/lock"
mnt "$ROOT/src" --bind "$SRC"
mount -o remount,bind,ro "$ROOT/src"

inchroot() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# ---- 3. packages in the chroot ----
PKGS=()
eval "$(sed -n '/^PKGS=(/,/^)/p' "$SRC/scripts/install-deps.sh")"
EXTRA=(adduser systemd systemd-dev udev util-linux file python3 ca-certificates)
T1=$(date +%s)
inchroot apt-get update -qq
want=()
left=()
for p in "${PKGS[@]}" "${EXTRA[@]}"; do
	case "$p" in
	clang|libclang-rt-*) left+=("$p (fuzzers only)"); continue ;;
	esac
	if inchroot apt-cache show "$p" >/dev/null 2>&1; then
		want+=("$p")
	else
		left+=("$p (not in $SUITE)")
	fi
done
[ "${#left[@]}" -eq 0 ] || say "not installed: ${left[*]}"
missing=()
for p in "${want[@]}"; do
	inchroot dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	say "apt-get install ${#missing[@]} packages in the chroot"
	inchroot apt-get install -y -qq "${missing[@]}" > "$CACHE/apt.log" 2>&1 ||
		{ tail -30 "$CACHE/apt.log" >&2; die "apt-get install in the chroot failed (log: $CACHE/apt.log)"; }
	inchroot apt-get clean   # the cache dir keeps the root, not its downloads
fi
for s in install-review-deps.sh install-base-deps.sh; do
	[ -f "$SRC/scripts/$s" ] || continue
	inchroot bash "/src/scripts/$s" > "$CACHE/$s.log" 2>&1 ||
		{ tail -20 "$CACHE/$s.log" >&2; die "$s in the chroot failed (log: $CACHE/$s.log)"; }
done
say "packages ready ($(( $(date +%s) - T1 )) s): $(inchroot sh -c \
	'dpkg-query -W -f="\${Package} \${Version}\n" libgpiod-dev libgps-dev systemd gcc cmake 2>/dev/null' | tr '\n' ';')"

if [ "${VAN_TRIXIE_SHELL:-0}" = 1 ]; then
	say "shell in the chroot (source at /src, read-only); exit to unmount"
	inchroot bash -i || true
	exit 0
fi

# ---- 4. build and test ----
run_pass() { # run_pass DIR CTEST-EXCLUDE CMAKE-ARGS...
	local dir=$1 exclude=$2 t
	shift 2
	t=$(date +%s)
	[ "${VAN_TRIXIE_KEEP_BUILD:-0}" = 1 ] || rm -rf "$ROOT$dir"
	say "build $dir ($*)"
	inchroot cmake -S /src -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$CACHE/configure.log" 2>&1 ||
		{ cat "$CACHE/configure.log" >&2; die "cmake configure failed in the chroot"; }
	grep -E 'gpiod backend' "$CACHE/configure.log" | sed 's/^-- /trixie-test: /' || true
	inchroot cmake --build "$dir" -j "$JOBS" > "$CACHE/build.log" 2>&1 ||
		{ grep -E 'error|Error' "$CACHE/build.log" | head -30 >&2; die "build failed in the chroot (log: $CACHE/build.log)"; }
	say "built ($(( $(date +%s) - t )) s); ctest -LE '$exclude' ${VAN_TRIXIE_CTEST_ARGS:-}"
	t=$(date +%s)
	# shellcheck disable=SC2086
	inchroot env VAN_SKIP_VM=1 ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
		sh -c "cd $dir && ctest --output-on-failure -j $JOBS -LE '$exclude' ${VAN_TRIXIE_CTEST_ARGS:-}"
	say "tests passed in $dir ($(( $(date +%s) - t )) s)"
}
run_pass /root/build vm
if [ "${VAN_TRIXIE_SANITIZE:-0}" = 1 ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_pass /root/build-asan 'vm|package' -DVAN_SANITIZE=ON
fi
say "all passed on Debian $(cat "$ROOT/etc/debian_version") in $(stamp)"
