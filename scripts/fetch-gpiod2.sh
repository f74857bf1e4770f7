#!/usr/bin/env bash
# fetch-gpiod2.sh - fetch Debian 13 (trixie) libgpiod 2.x headers and
# libraries into a private cache, so CI on Debian 12 can prove that
# hw/gpio_gpiod_v2.c builds and links against the 2.x API.
#
# Nothing on the machine is changed: apt runs with its own sources list,
# package lists and cache under the cache dir (-o Dir::Etc::sourcelist=...;
# the machine's apt.conf.d still applies, so a configured proxy is used),
# /etc/apt is never touched, the packages are downloaded (not installed) and
# unpacked with dpkg -x.  Idempotent: a complete unpack is reused.
#
# Usage: scripts/fetch-gpiod2.sh            prints the unpacked root on stdout
#   VAN_GPIOD2_CACHE=DIR   cache dir (default ${XDG_CACHE_HOME:-/var/cache}/vanctld-gpiod2;
#                          falls back to $HOME/.cache/vanctld-gpiod2 if not writable)
#   VAN_GPIOD2_SUITE=trixie  Debian suite to take libgpiod from
#   VAN_GPIOD2_REFRESH=1   download again even if an unpack exists
# Result: ROOT/usr/include/gpiod.h, ROOT/usr/lib/x86_64-linux-gnu/libgpiod.{a,so}
# Exit status non-zero (with a message on stderr) if anything fails.
set -euo pipefail

SUITE=${VAN_GPIOD2_SUITE:-trixie}
MIRROR=${VAN_GPIOD2_MIRROR:-http://deb.debian.org/debian}
PKGS=(libgpiod-dev libgpiod3)
CACHE=${VAN_GPIOD2_CACHE:-${XDG_CACHE_HOME:-/var/cache}/vanctld-gpiod2}
if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
	CACHE=$HOME/.cache/vanctld-gpiod2
	mkdir -p "$CACHE"
fi
ROOT=$CACHE/root
say() { echo "fetch-gpiod2: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

if [ -e "$ROOT/.done" ] && [ "${VAN_GPIOD2_REFRESH:-0}" != 1 ]; then
	echo "$ROOT"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found (this script needs a Debian-based host)"
command -v dpkg >/dev/null || die "dpkg not found"

ARCH=$(dpkg --print-architecture)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || die "$KEYRING missing (install debian-archive-keyring)"

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/etc/preferences.d" "$APT/debs"
echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" > "$APT/etc/sources.list"
: > "$APT/status"
# apt drops privileges to _apt for downloads; let it write there
chown -R _apt "$APT/lists" "$APT/cache" "$APT/debs" 2>/dev/null || true

APTOPTS=(
	-o Dir::Etc::sourcelist="$APT/etc/sources.list"
	-o Dir::Etc::sourceparts=/dev/null
	-o Dir::Etc::preferencesparts="$APT/etc/preferences.d"
	-o Dir::State::Lists="$APT/lists"
	-o Dir::State::status="$APT/status"
	-o Dir::Cache="$APT/cache"
	-o APT::Architecture="$ARCH"
	-o Debug::NoLocking=1
	-o Acquire::Retries=3
)

say "apt-get update ($SUITE from $MIRROR, private lists under $APT)"
apt-get "${APTOPTS[@]}" -qq update >&2 ||
	die "apt-get update for $SUITE failed (network? mirror $MIRROR reachable?)"

say "apt-get download ${PKGS[*]}"
rm -f "$APT/debs"/*.deb
(cd "$APT/debs" && apt-get "${APTOPTS[@]}" -qq download "${PKGS[@]}" >&2) ||
	die "apt-get download ${PKGS[*]} from $SUITE failed"

rm -rf "$ROOT.tmp"
mkdir -p "$ROOT.tmp"
for d in "$APT/debs"/*.deb; do
	say "unpacking $(basename "$d")"
	dpkg -x "$d" "$ROOT.tmp"
done
[ -r "$ROOT.tmp/usr/include/gpiod.h" ] || die "no gpiod.h in the unpacked packages"
grep -q 'gpiod_line_settings_set_debounce_period_us' "$ROOT.tmp/usr/include/gpiod.h" ||
	die "unpacked gpiod.h is not the 2.x API"
# the -dev package's libgpiod.so is a symlink to libgpiod.so.3.x from libgpiod3
ls "$ROOT.tmp"/usr/lib/*/libgpiod.so >/dev/null 2>&1 || die "no libgpiod.so in the unpacked packages"
(cd "$APT/debs" && ls *.deb) > "$ROOT.tmp/PACKAGES"
rm -rf "$ROOT"
mv "$ROOT.tmp" "$ROOT"
touch "$ROOT/.done"
say "libgpiod 2.x unpacked in $ROOT ($(tr '\n' ' ' < "$ROOT/PACKAGES"))"
echo "$ROOT"
