#!/usr/bin/env bash
# Determinism across compilers: builds the probes with clang beside the gcc
# build and requires identical trace hashes for the same runs.
#   tools/compare_compilers.sh [gcc_build_dir] [clang_build_dir]
set -euo pipefail
cd "$(dirname "$0")/.."
gcc_dir=${1:-build}
clang_dir=${2:-build-clang}
targets=(--target determinism_probe)
[ -d tools/simrun ] && targets+=(--target simrun)
tools/setup.sh --build-dir "$clang_dir" --compiler clang "${targets[@]}"

status=0
compare() {
  local label=$1; shift
  local a b
  a=$("$gcc_dir/$@" 2>&1 | grep -o 'trace_hash[^,]*' | head -n 1 || true)
  b=$("$clang_dir/$@" 2>&1 | grep -o 'trace_hash[^,]*' | head -n 1 || true)
  if [ -z "$a" ] || [ "$a" != "$b" ]; then
    echo "DIFFERENT $label: gcc '$a' clang '$b'"; status=1
  else
    echo "same      $label: $a"
  fi
}
for seed in 1 2 3 42 1000; do
  compare "determinism_probe --seed $seed" tools/determinism_probe/determinism_probe --seed "$seed"
done
if [ -x "$gcc_dir/simrun" ]; then
  for scenario in scenarios/*.json; do
    compare "simrun $scenario" simrun "$scenario" --quiet --print-hash
  done
fi
exit $status
