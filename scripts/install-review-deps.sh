#!/usr/bin/env bash
# Installs what the manager's-review tests (tests/review.cmake) need beyond
# scripts/install-deps.sh: gpsbabel (reads our GPX back independently) and
# headless Chromium with a font (opens the HTML report, takes a screenshot).
# Debian 12 (bookworm) package names.  Idempotent; run as root (or via sudo).
# Without these the review integration tests that need them are skipped.
set -euo pipefail

PKGS=(gpsbabel chromium fonts-dejavu-core python3)

# shellcheck source=scripts/apt-lib.sh
. "$(dirname "$0")/apt-lib.sh"
apt_ensure install-review-deps "${PKGS[@]}"
echo "install-review-deps: all dependencies present"
