#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for a bounded time
# (VAN_FUZZ_SECONDS, default 20).  A crash fails the run; its input is kept in
# tests/fuzz/crashes/ (commit it to tests/fuzz/corpus/ once fixed, as a
# regression input).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${VAN_FUZZ_SECONDS:-20}
CC=clang cmake -S . -B build-fuzz -DVAN_FUZZ=ON -DVAN_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_cmd fuzz_conf fuzz_plan fuzz_vb >/dev/null
mkdir -p tests/fuzz/crashes
# undefined behaviour is a finding too, not a warning in a log
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
for t in cmd conf plan vb; do
	work=$(mktemp -d)
	cp -r "tests/fuzz/corpus/$t/." "$work/"
	echo "=== fuzz_$t for ${SECS}s"
	if ! build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$SECS" -max_len=4096 -timeout=10 \
		-artifact_prefix=tests/fuzz/crashes/ "$work" 2> "$work.log"; then
		tail -n 40 "$work.log"
		echo "fuzz_$t: FAILED (input saved in tests/fuzz/crashes/)"
		exit 1
	fi
	grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$work.log" | tail -n 1
	rm -rf "$work" "$work.log"
done
echo "fuzz: no crashes"
