#!/usr/bin/env bash
# install-vm-deps.sh - host packages the gpio VM test (tests/vm/run-vm-test.sh)
# needs on a Debian 12 (bookworm) amd64 machine: qemu to boot Debian's own
# kernel, busybox-static for the initramfs, the gpiod tools, and what it takes
# to build one out-of-tree kernel module (gpio-sim).  The kernel image,
# headers and source are NOT installed here: the harness downloads them with
# `apt-get download` into its cache and only unpacks them.
#
# Idempotent: installs only what is missing (apt-get update first when it
# does).  Run as root or with sudo available.
set -euo pipefail

PKGS=(
  qemu-system-x86 busybox-static gpiod libgpiod-dev
  gcc gcc-12 make binutils libc6-dev libelf1 libssl3
  cpio gzip xz-utils kmod file
)

# shellcheck source=scripts/apt-lib.sh
. "$(dirname "$0")/apt-lib.sh"
apt_ensure -q install-vm-deps "${PKGS[@]}"
echo "install-vm-deps: all VM test dependencies present"
