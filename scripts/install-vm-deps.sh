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

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-vm-deps: installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install-vm-deps: all VM test dependencies present"
