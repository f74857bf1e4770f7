#!/usr/bin/env bash
# Installs everything vanctld needs to build, run the demo and pass its tests
# on a fresh Debian 12 (bookworm) machine. Idempotent; run as root (or via sudo).
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config
  # libraries the daemon links
  libgpiod-dev libmosquitto-dev libgps-dev libsqlite3-dev libjansson-dev
  libinih-dev libsystemd-dev libncurses-dev libc-ares-dev
  # vanbase's notification channels: HTTP(S) webhooks and SMTP e-mail
  libcurl4-openssl-dev
  # tests (clang + its runtime for the libFuzzer targets)
  libcmocka-dev clang libclang-rt-14-dev valgrind
  # the suite with the clock moved (scripts/time-travel.sh)
  faketime
  # real components the demo and integration tests run
  mosquitto mosquitto-clients gpsd gpsd-tools gpsd-clients python3-gps sqlite3
  # vanbase's e-mail channel is tested against a real SMTP server on loopback
  python3-aiosmtpd
  # demo / display tests
  tmux procps openssl
)

# shellcheck source=scripts/apt-lib.sh
. "$(dirname "$0")/apt-lib.sh"
apt_ensure install-deps "${PKGS[@]}"

# Debian starts gpsd and mosquitto as system services on install where an init
# system runs; the demo and tests start their own on free ports, so the system
# ones are not needed (and are not touched here).
echo "install-deps: all dependencies present"
