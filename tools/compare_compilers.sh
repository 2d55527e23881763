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
# A scenario's trace hash, read from the summary.json its run writes.
scenario_hash() {
  local binary=$1 out
  shift
  out=$(mktemp -d)
  "$binary" "$@" --quiet --report "$out" >/dev/null 2>&1 || true
  grep -o '"trace_hash": *"[0-9a-f]*"' "$out/summary.json" 2>/dev/null || echo "no summary"
  rm -rf "$out"
}
if [ -x "$gcc_dir/simrun" ]; then
  runs=()
  for scenario in scenarios/*.json; do
    case "$scenario" in *.schema.json) continue ;; esac
    runs+=("$scenario")
  done
  # The legacy profiles exercise other code paths (blocking sends, spawned
  # applies): compare them too.
  runs+=("scenarios/three_node_churn.json --set cluster.profile=v1.3.67"
         "scenarios/three_node_churn.json --set cluster.profile=v2.0.0")
  for run in "${runs[@]}"; do
    # shellcheck disable=SC2086
    a=$(scenario_hash "$gcc_dir/simrun" $run)
    # shellcheck disable=SC2086
    b=$(scenario_hash "$clang_dir/simrun" $run)
    if [ "$a" = "no summary" ] || [ "$a" != "$b" ]; then
      echo "DIFFERENT simrun $run: gcc '$a' clang '$b'"; status=1
    else
      echo "same      simrun $run: $a"
    fi
  done
fi
exit $status
