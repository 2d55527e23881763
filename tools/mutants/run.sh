#!/usr/bin/env bash
# The mutation check (issue 10): applies each classic Raft/broker bug in
# tools/mutants/*.patch, one at a time, to a scratch copy of this checkout
# (a detached git worktree, reused between mutants so only the patched files
# rebuild), builds `simrun`, sweeps every scenario that passes under
# `recommended`, and prints which mutants were caught, in how many seeds.
# CPU heavy: not part of CI. Run it from the repository:
#
#   tools/mutants/run.sh [--seeds N] [--jobs J] [--scenarios 'scenarios/*.json'] [PATCH...]
#
# A mutant is caught when some seed of some scenario fails (an assertion, a
# checker, or a crash/abort of the simulated code) that passes without any
# mutant (the unmutated baseline is swept first; its failures are listed). Output: one line per
# mutant (caught or MISSED, failing seeds / seeds run, the first failing
# scenario and seed with its first failed check), then the caught count.
set -euo pipefail

repo=$(git rev-parse --show-toplevel)
scratch=${SIMRUN_MUTANTS_SCRATCH:-/tmp/simrun-mutants}
seeds=20
jobs=1
scenario_glob="$repo/scenarios/*.json"
patches=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --scenarios) scenario_glob=$2; shift 2 ;;
    -h|--help) sed -n 2,16p "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) patches+=("$(realpath "$1")"); shift ;;
  esac
done
if [[ ${#patches[@]} -eq 0 ]]; then
  patches=("$repo"/tools/mutants/*.patch)
fi

# The scenarios that must pass under recommended (their expect section).
scenarios=()
for file in $scenario_glob; do
  [[ $file == *scenario.schema.json ]] && continue
  if python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("expect",{}).get("recommended")=="pass" else 1)' "$file"; then
    scenarios+=("$(realpath --relative-to="$repo" "$file")")
  fi
done

if [[ ! -d $scratch/.git && ! -f $scratch/.git ]]; then
  git -C "$repo" worktree add --detach "$scratch" HEAD >/dev/null
fi
git -C "$scratch" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"
git -C "$scratch" checkout --quiet -- .
cmake -S "$scratch" -B "$scratch/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSIMRUN_BUILD_TESTS=OFF -DSIMRUN_BUILD_BENCHMARKS=OFF \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null

# The unmutated baseline first: a (scenario, seed) that already fails
# without any mutant (a real bug of the code under test, or a flaky
# scenario) proves nothing about a mutant, so it is left out of every
# mutant's count and listed here.
git -C "$scratch" checkout --quiet -- .
cmake --build "$scratch/build" --target simrun -j "$jobs" >/tmp/simrun-mutant-baseline.log 2>&1
declare -A baseline_failing=()
baseline_count=0
for scenario in "${scenarios[@]}"; do
  output=$(cd "$scratch" && build/simrun sweep "$scenario" --seeds "$seeds" --jobs "$jobs" 2>/dev/null || true)
  while read -r seed; do
    [[ -z $seed ]] && continue
    baseline_failing["$scenario:$seed"]=1
    baseline_count=$((baseline_count + 1))
    echo "baseline: $(basename "$scenario" .json) seed $seed fails without a mutant: $(grep -m1 "^FAIL seed $seed " <<<"$output" | cut -c1-110)"
  done < <(sed -n 's/^FAIL seed \([0-9]*\) .*/\1/p' <<<"$output")
done
echo "baseline: $baseline_count failing (scenario, seed) pairs left out of the counts"

caught=0
total=0
printf '%-34s %-7s %-13s %s\n' mutant verdict "failed/seeds" "first catch"
for patch in "${patches[@]}"; do
  name=$(basename "$patch" .patch)
  total=$((total + 1))
  git -C "$scratch" checkout --quiet -- .
  if ! git -C "$scratch" apply "$patch"; then
    printf '%-34s %-7s %s\n' "$name" ERROR "patch does not apply"
    continue
  fi
  if ! cmake --build "$scratch/build" --target simrun -j "$jobs" >"/tmp/simrun-mutant-$name.log" 2>&1; then
    printf '%-34s %-7s %s\n' "$name" ERROR "build failed (/tmp/simrun-mutant-$name.log)"
    continue
  fi
  failed=0
  run=0
  first=""
  for scenario in "${scenarios[@]}"; do
    output=$(cd "$scratch" && build/simrun sweep "$scenario" --seeds "$seeds" --jobs "$jobs" 2>/dev/null || true)
    run=$((run + seeds))
    count=0
    while read -r seed; do
      [[ -z $seed || -n ${baseline_failing["$scenario:$seed"]:-} ]] && continue
      count=$((count + 1))
      if [[ -z $first ]]; then
        first="$(basename "$scenario" .json) $(grep -m1 "^FAIL seed $seed " <<<"$output" | cut -c1-90)"
      fi
    done < <(sed -n 's/^FAIL seed \([0-9]*\) .*/\1/p' <<<"$output")
    failed=$((failed + count))
  done
  if [[ $failed -gt 0 ]]; then
    caught=$((caught + 1))
    verdict=caught
  else
    verdict=MISSED
  fi
  printf '%-34s %-7s %-13s %s\n' "$name" "$verdict" "$failed/$run" "$first"
done
git -C "$scratch" checkout --quiet -- .
echo "caught $caught of $total mutants ($seeds seeds per scenario, ${#scenarios[@]} scenarios)"
