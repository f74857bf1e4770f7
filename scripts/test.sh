#!/usr/bin/env bash
# The test command: install what is needed, build, run the whole test suite,
# then build again with AddressSanitizer + UndefinedBehaviorSanitizer and run
# it again.  Exit status 0 only if everything passed.
#
#   VAN_SKIP_VM=1       skip the libgpiod-against-gpio-sim VM test (quick local runs)
#   VAN_SKIP_SANITIZE=1 skip the ASan+UBSan pass (quick local runs)
#   VAN_SKIP_FUZZ=1     skip the bounded libFuzzer runs (scripts/fuzz.sh)
#   VAN_SKIP_VALGRIND=1 skip the valgrind memcheck pass
#   VAN_SKIP_TIME_TRAVEL=1 skip the date-dependent tests with the clock ten years ahead
#   VAN_CROSS_ARM64=1   also cross-build for arm64 and run the unit tests under qemu-user (3-9 min)
#   VAN_TRIXIE=1        also run the suite in a Debian 13 chroot: libgpiod 2.x, libgps 3.25 (5-29 min)
#   VAN_JOBS=N          parallel build jobs (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
JOBS=${VAN_JOBS:-$(nproc)}

# each step's wall time, printed as a table at the end (the README's figures)
TIMES=""
STEP="" STEP_T0=$SECONDS
step() {
	[ -n "$STEP" ] && TIMES+=$(printf '%6d s  %s' $((SECONDS - STEP_T0)) "$STEP")$'\n'
	STEP=$1 STEP_T0=$SECONDS
	[ -n "$STEP" ] && echo "=== step: $STEP"
	return 0
}

step "install dependencies (apt-get, npm)"

bash scripts/install-deps.sh
bash scripts/install-base-deps.sh     # chromium, node + the console's npm packages (lock file)
[ -f scripts/install-review-deps.sh ] && bash scripts/install-review-deps.sh   # gpsbabel for the export tests
if [ "${VAN_SKIP_VM:-0}" != 1 ]; then
	bash scripts/install-vm-deps.sh   # qemu, Debian's kernel packages for the gpio-sim VM
fi
if [ "${VAN_SKIP_VM:-0}" != 1 ] && [ "${VAN_SKIP_SYSTEM:-0}" != 1 ]; then
	bash scripts/install-system-deps.sh   # mmdebstrap, qemu, mosquitto: the van-in-a-box test (system_vm)
fi

run_suite() {
	local dir=$1; shift
	echo "=== build: $dir ($*)"
	cmake -S "$SRC" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$dir" -j "$JOBS"
	echo "=== test: $dir"
	(cd "$dir" && ctest --output-on-failure -j "$JOBS" ${CTEST_ARGS:-})
}

step "build + the whole suite"
run_suite build
if [ "${VAN_SKIP_TIME_TRAVEL:-0}" != 1 ]; then
	# the tests that read dates, again with the clock ten years ahead (the
	# whole suite at every case: scripts/time-travel.sh, docs/time.md)
	step "date-dependent tests ten years ahead (faketime)"
	VAN_TT_CASES="+3650d" VAN_TT_CTEST="-L date" bash scripts/time-travel.sh build
fi
# the Raspberry Pi targets: too slow for every run (see docs/install.md), opt in
if [ "${VAN_CROSS_ARM64:-0}" = 1 ]; then step "arm64 cross-build + unit tests (qemu-user)"; bash scripts/cross-arm64.sh; fi
if [ "${VAN_TRIXIE:-0}" = 1 ]; then step "Debian 13 chroot suite"; bash scripts/trixie-test.sh; fi
if [ "${VAN_SKIP_VALGRIND:-0}" != 1 ]; then
	# the daemon under valgrind memcheck: any error or definite leak fails
	step "valgrind memcheck on four integration tests (vanctld; vanbase in it_95)"
	(cd build && VAN_VALGRIND=1 ctest --output-on-failure -R "it_01_|it_10_|it_13_|it_95_")
fi
if [ "${VAN_SKIP_SANITIZE:-0}" != 1 ]; then
	# the VM test runs a static build inside qemu: once is enough
	step "ASan+UBSan build + the suite again"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		CTEST_ARGS="-LE vm" run_suite build-asan -DVAN_SANITIZE=ON
fi
if [ "${VAN_SKIP_FUZZ:-0}" != 1 ]; then
	step "fuzz (bounded time)"
	bash scripts/fuzz.sh
fi
step ""
echo "=== time per step (total $SECONDS s)"
printf '%s' "$TIMES"
echo "=== all tests passed"
