#!/usr/bin/env bash
# Sweep throughput: seeds per second for a sweep of three_node_churn.json at
# --jobs 1 and --jobs 2 (the figures in README.md).
#
#   tools/sweep/sweep_bench.sh [SEEDS] [BUILD_DIR]     (default 100 seeds, build/)
#
# Prints one line per job count; nothing is asserted (a benchmark, not a test).
set -euo pipefail
seeds=${1:-100}
build=${2:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
scenario=scenarios/three_node_churn.json
echo "sweep bench: $scenario, seeds 1..$seeds, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for jobs in 1 2; do
  start=$(date +%s.%N)
  "$build/simrun" sweep "$scenario" --seeds "1..$seeds" --jobs "$jobs" >/dev/null 2>&1 || test $? -le 1
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v n="$seeds" -v j="$jobs" \
    'BEGIN { printf "--jobs %d: %d seeds in %.1f s wall: %.2f seeds/s (%.0f s per 1,000 seeds)\n", j, n, e - s, n / (e - s), 1000 * (e - s) / n }'
done
