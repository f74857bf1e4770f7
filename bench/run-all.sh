#!/usr/bin/env bash
# bench/run-all.sh - every benchmark, one after the other (about 90 minutes,
# most of it bench/fix-cost.sh).  Each one's figures go to the terminal and
# to bench/out/NAME.txt; the machine's description to bench/out/machine.txt.
# Copy the figures into bench/RESULTS.md.
#
#   bash bench/run-all.sh                  # all
#   bash bench/run-all.sh startup backlog  # some: startup panic-latency backlog storage fix-cost
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
bash "$BENCH/install-deps.sh" || exit 1
. "$BENCH/lib.sh"
bench_build        # once, for all (exports VAN_BINARY_DIR)
bench_tools
mkdir -p "$BENCH/out"
{ echo "$(date -u +%Y-%m-%dT%H:%MZ)"; machine_info; } | tee "$BENCH/out/machine.txt"
list=("$@")
[ ${#list[@]} -gt 0 ] || list=(startup panic-latency backlog storage fix-cost)
rc=0
for b in "${list[@]}"; do
	echo
	echo "######## $b: bash bench/$b.sh"
	start=$(date +%s)
	bash "$BENCH/$b.sh" 2> "$BENCH/out/$b.err" | tee "$BENCH/out/$b.txt"
	st=${PIPESTATUS[0]}
	echo "(bench/$b.sh: exit $st, $(( $(date +%s) - start )) s; its stderr: bench/out/$b.err)"
	[ "$st" -eq 0 ] || rc=1
done
exit $rc
