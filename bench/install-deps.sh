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
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "bench deps: all installed"
	exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
echo "bench deps: installed ${missing[*]}"
