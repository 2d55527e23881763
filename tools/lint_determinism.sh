#!/usr/bin/env bash
# Fails when code that runs inside a simulation reaches a wall clock, an
# unseeded random source, a thread or a real sleep. A run must be a pure
# function of (scenario, seed). Benchmarks and the CLI measure wall time on
# purpose and live under tools/, outside this check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
pattern='std::chrono::(system_clock|steady_clock|high_resolution_clock)|random_device|(^|[^_a-zA-Z0-9:.])s?rand[[:space:]]*\(|std::(thread|jthread|async)\b|pthread_create|this_thread::|usleep[[:space:]]*\(|nanosleep|gettimeofday|clock_gettime|[^_a-zA-Z]time[[:space:]]*\([[:space:]]*(NULL|nullptr|0)[[:space:]]*\)|std::unordered_(map|set)'
hits=$(grep -rnE "$pattern" sim raft broker --include='*.cpp' --include='*.h' \
       | grep -v '_bench\.cpp' | grep -v 'lint:allow' || true)
if [ -n "$hits" ]; then
  echo "determinism lint: forbidden constructs in sim/, raft/ or broker/:" >&2
  echo "$hits" >&2
  echo "(std::unordered_* is banned because its iteration order is not ours; use std::map/std::vector," >&2
  echo " or mark a line that provably never iterates with a 'lint:allow' comment.)" >&2
  exit 1
fi
echo "determinism lint: clean"
