#!/usr/bin/env bash
# Installs what the manager's-review tests (tests/review.cmake) need beyond
# scripts/install-deps.sh: gpsbabel (reads our GPX back independently) and
# headless Chromium with a font (opens the HTML report, takes a screenshot).
# Debian 12 (bookworm) package names.  Idempotent; run as root (or via sudo).
# Without these the review integration tests that need them are skipped.
set -euo pipefail

PKGS=(gpsbabel chromium fonts-dejavu-core python3)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-review-deps: installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "install-review-deps: all dependencies present"
