#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time (CI: 60 s each).
#
#   tools/fuzz.sh [BUILD_DIR] [SECONDS]
#
# BUILD_DIR (default build-fuzz) is a clang build configured with
# -DSIMRUN_FUZZ=ON (tools/setup.sh --fuzz, which also turns on ASan + UBSan);
# it is set up and built here when missing. Seeds: scenario_fuzz gets
# scenarios/ and every scenario with each --set example of the READMEs
# applied; wire_fuzz gets valid encodings for each decoder (wire_seeds);
# both get tools/fuzz/regressions/<target>/. The growing corpus lives in
# BUILD_DIR/fuzz-corpus/<target> (not kept). A crash, timeout (10 s per
# input), leak or out-of-memory (2 GB) stops the target and fails this
# script; the input is written to BUILD_DIR/fuzz-artifacts/: fix the bug,
# then add the input to tools/fuzz/regressions/<target>/ so CTest replays it
# in every build (fuzz_*_regressions).
set -euo pipefail
build_dir=${1:-build-fuzz}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

[ -x "$build_dir/scenario_fuzz" ] && [ -x "$build_dir/wire_fuzz" ] ||
  tools/setup.sh --fuzz --build-dir "$build_dir"
cmake --build "$build_dir" -j 2 --target scenario_fuzz wire_fuzz wire_seeds >/dev/null

seeds="$build_dir/fuzz-seeds"
rm -rf "$seeds"
mkdir -p "$seeds/scenario" "$seeds/wire" "$build_dir/fuzz-artifacts"
# The --set examples of the READMEs (placeholders like PATH=JSON left out),
# each applied to every scenario: "<scenario text>\n#set\n<override>".
mapfile -t overrides < <(grep -ohE -- "--set ('[^']+'|[^ ]+)" README.md scenarios/README.md |
  sed -E "s/^--set //; s/^'(.*)'$/\1/; s/[\`).,]+$//" | grep = | grep -v '^PATH=' | sort -u)
for scenario in scenarios/*.json; do
  name=$(basename "$scenario" .json)
  for i in "${!overrides[@]}"; do
    { cat "$scenario"; printf '\n#set\n%s\n' "${overrides[$i]}"; } >"$seeds/scenario/$name.set$i"
  done
done
"$build_dir/wire_seeds" "$seeds/wire" >/dev/null

status=0
for target in scenario_fuzz wire_fuzz; do
  short=${target%_fuzz}
  corpus="$build_dir/fuzz-corpus/$target"
  mkdir -p "$corpus" "tools/fuzz/regressions/$short"
  inputs=("$corpus" "$seeds/$short" "tools/fuzz/regressions/$short")
  [ "$target" = scenario_fuzz ] && inputs+=(scenarios)
  echo "fuzz: $target for ${seconds}s"
  # -timeout and -rss_limit_mb turn hangs and memory blow-ups into findings;
  # -max_len bounds one input (the targets bound it again). Leak detection
  # is on (ASan's LeakSanitizer, checked after each input that allocated).
  if ! "$build_dir/$target" "${inputs[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -detect_leaks=1 \
    -artifact_prefix="$build_dir/fuzz-artifacts/$target-" >"$build_dir/fuzz-$target.log" 2>&1; then
    echo "fuzz: $target FOUND A PROBLEM (input in $build_dir/fuzz-artifacts/):"
    tail -40 "$build_dir/fuzz-$target.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added" \
    "$build_dir/fuzz-$target.log" || true
  echo "fuzz: $target corpus $(find "$corpus" -type f | wc -l) inputs," \
    "$(grep -oE 'cov: [0-9]+' "$build_dir/fuzz-$target.log" | tail -1)"
done
exit $status
