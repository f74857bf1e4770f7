#!/bin/sh
# scripts/install-base-deps.sh - what the base console (base/) needs to be
# built and tested: Debian's chromium (headless browser for the tests; never
# a downloaded one), fonts, Node.js and npm, curl and openssl (test broker's
# certificate), mosquitto with its clients, and the console's npm packages
# from base/package-lock.json (npm ci).  Idempotent: installs only what is
# missing.  Run as root (or with sudo).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)

need=""
# VAN_NO_CHROMIUM=1: the console only (the demo), not its browser tests
[ "${VAN_NO_CHROMIUM:-0}" = 1 ] || command -v chromium >/dev/null 2>&1 || need="$need chromium"
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need="$need fonts-dejavu-core"
command -v node >/dev/null 2>&1 || need="$need nodejs"
command -v npm >/dev/null 2>&1 || need="$need npm"
command -v curl >/dev/null 2>&1 || need="$need curl"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
command -v mosquitto >/dev/null 2>&1 || need="$need mosquitto"
command -v mosquitto_pub >/dev/null 2>&1 || need="$need mosquitto-clients"
# shellcheck source=scripts/apt-lib.sh
. "$here/scripts/apt-lib.sh"
# shellcheck disable=SC2086  # package names: one word each
apt_install install-base-deps $need

# the console's JavaScript packages, exactly as locked
if [ ! -d "$here/base/node_modules/playwright-core" ] || [ ! -d "$here/base/node_modules/mqtt" ] ||
   [ ! -d "$here/base/node_modules/leaflet" ] ||
   [ "$here/base/package-lock.json" -nt "$here/base/node_modules/.package-lock.json" ]; then
	echo "install-base-deps: npm ci in base/"
	(cd "$here/base" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
# the console as it is served and packaged: src/ plus the vendored libraries
(cd "$here/base" && node build.mjs >/dev/null) || { echo "install-base-deps: building base/dist failed" >&2; exit 1; }
echo "install-base-deps: done (chromium: $(command -v chromium || echo none), node $(node --version))"
