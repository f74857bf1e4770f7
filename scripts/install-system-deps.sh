#!/usr/bin/env bash
# install-system-deps.sh - host packages the whole-system VM test
# (tests/system/run-system-test.sh, ctest system_vm) needs on a Debian 12
# (bookworm) amd64 machine: mmdebstrap to build the guest's Debian 12 image
# from Debian's packages, e2fsprogs to turn it into an ext4 raw disk without
# mounting anything, qemu to boot it, mosquitto + its clients as the base on
# the host, python3 for the host side of the guest agent, and what it takes
# to build the project's .deb (cmake/cpack, dpkg-dev for dpkg-shlibdeps).
#
# Idempotent: installs only what is missing (apt-get update first when it
# does).  Run as root or with sudo available.
set -euo pipefail

PKGS=(
  mmdebstrap debian-archive-keyring e2fsprogs qemu-system-x86 qemu-utils
  mosquitto mosquitto-clients python3 sqlite3
  cmake dpkg-dev file xz-utils
)

# shellcheck source=scripts/apt-lib.sh
. "$(dirname "$0")/apt-lib.sh"
apt_ensure -q install-system-deps "${PKGS[@]}"
echo "install-system-deps: all system test dependencies present"
