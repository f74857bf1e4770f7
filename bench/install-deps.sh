#!/usr/bin/env bash
# bench/install-deps.sh - what the benchmarks need (Debian 12): the project's
# build and test dependencies (scripts/install-deps.sh), then the peers and
# tools of the benchmarks.  Idempotent: apt-get update and install run only
# when something is missing.  Run as root (or with sudo).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/../scripts/install-deps.sh" ] && bash "$here/../scripts/install-deps.sh"
pkgs=(gpsd gpsd-tools gpsd-clients python3-gps python3-paho-mqtt mosquitto mosquitto-clients
      sqlite3 valgrind time util-linux procps iproute2 libmosquitto-dev libjansson-dev)
# shellcheck source=scripts/apt-lib.sh
. "$here/../scripts/apt-lib.sh"
apt_ensure "bench deps" "${pkgs[@]}"
echo "bench deps: all installed"
