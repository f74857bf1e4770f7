#!/usr/bin/env bash
# The test suite with the machine's clock moved: no test may depend on
# today's date, the time of day or the build date unless it pins them
# (docs/time.md, "Tests and the date").
#
#   bash scripts/time-travel.sh [BUILD_DIR]        every case below, whole suite
#   VAN_TT_CASES="+3650d" VAN_TT_CTEST="-L date" bash scripts/time-travel.sh build
#
# How: libfaketime (Debian's faketime) is preloaded into ctest and so into
# every process a test starts - the daemon, vanctl, python, gpsd, mosquitto,
# chromium, qemu.  It shifts CLOCK_REALTIME and CLOCK_MONOTONIC alike (the
# rate stays real), which is what a machine whose clock is years ahead looks
# like to a process.  The build is made at the real time first: the build
# time stays today, as on a Pi whose software is years old.
#
# A case is "FAKETIME_SPEC|TZ": "+365d" is a year ahead; "@2027-12-31
# 23:58:00" moves the clock to then (in TZ) when the case starts and lets it
# run, so the suite crosses that midnight while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${1:-build}
JOBS=${VAN_JOBS:-$(nproc)}

command -v faketime >/dev/null || bash scripts/install-deps.sh
if [ ! -f "$BUILD/CTestTestfile.cmake" ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" -j "$JOBS" >/dev/null

if [ -n "${VAN_TT_CASES:-}" ]; then
	read -r -a specs <<< "$VAN_TT_CASES"
	cases=()
	for s in "${specs[@]}"; do cases+=("$s|"); done
else
	cases=(
		"+365d|"                                  # a year ahead
		"+3650d|"                                 # ten years ahead
		"@2027-12-31 23:58:00|UTC"                # across midnight UTC, a month's and a year's end
		"@2028-07-31 23:58:00|Europe/London"      # across midnight local (BST, 22:58 UTC), a month's end
		"@2028-03-26 00:58:00|Europe/London"      # the clocks go forward during the run (01:00 UTC)
	)
fi

failed=0
for c in "${cases[@]}"; do
	spec=${c%%|*}
	tz=${c#*|}
	# faketime's "@TIME" starts every new process at TIME: a shell's `date`
	# would never move and a test's deadline never come.  The same instant as
	# an offset moves every process's clock alike.
	if [ "${spec:0:1}" = @ ]; then
		spec="+$(( $(env ${tz:+TZ=$tz} date -d "${spec:1}" +%s) - $(date +%s) ))s"
	fi
	echo "=== time travel: faketime '$spec' (${c%%|*})${tz:+ TZ=$tz} (ctest ${VAN_TT_CTEST:-all})"
	start=$(date +%s)
	# shellcheck disable=SC2086  # VAN_TT_CTEST is a list of ctest options
	if ! (cd "$BUILD" && env ${tz:+TZ=$tz} faketime -f "$spec" \
		ctest --output-on-failure -j "$JOBS" ${VAN_TT_CTEST:-}); then
		echo "=== time travel: FAILED under '$spec'${tz:+ TZ=$tz}"
		failed=1
	fi
	echo "=== time travel: '$spec' took $(( $(date +%s) - start )) s"
done
exit "$failed"
