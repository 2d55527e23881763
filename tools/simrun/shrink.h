#pragma once
// `simrun shrink SCENARIO --seed N [--set ...] -o minimal.json`: reduces a
// failing run to a small scenario that fails the same way.
//
// The run's faults are first written out as an explicit timeline
// (materialise.h), then reduced greedily, keeping each step that still
// fails on the same checks: remove faults (halves, quarters, ... then one
// by one), shorten fault windows, drop extra targets, shorten the run, and
// lower the workload (producer rates, consumers, producers). Passes repeat
// until none removes anything. Every candidate runs in a worker process
// (--jobs at a time); the result does not depend on --jobs (the lowest
// candidate that reproduces is taken), only the number of runs does.
//
// With --set overrides, every candidate also runs with them undone (the
// control), and a step counts only if the control does not fail on those
// checks: the failure must still be the overrides' doing.
//
// The output is a plain scenario (seed, overrides and duration baked in, no
// nemesis, no `expect`) that fails alone with `simrun minimal.json`.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/simrun/scenario_loader.h"

namespace simrun::cli {

struct ShrinkOptions {
  std::string scenario_file;
  LoadOptions load;  // seed, overrides, duration
  std::string output_file;
  // The checks the shrunk run must still fail (summary.json "failed" names);
  // default: the first failed check of the original run.
  std::vector<std::string> fails;
  unsigned jobs = 0;  // 0: the cores
  std::uint64_t max_events = 1'000'000'000;
  std::int64_t wall_budget_ms = 600'000;
  std::uint64_t max_runs = kDefaultMaxRuns;
  // With --set overrides (typically a legacy knob), each step must also
  // stay clear of the target checks with the overrides undone, so a
  // reduction cannot turn the failure into one the overrides have no part
  // in (--no-control turns this off). Doubles the runs.
  bool control = true;

  static constexpr std::uint64_t kDefaultMaxRuns = 2000;
};

struct ShrinkResult {
  nlohmann::json document;  // the minimal scenario
  std::uint64_t runs = 0;   // simulations run, the original's included
  std::vector<std::string> fails;
  std::size_t faults_before = 0;
  std::size_t faults_after = 0;
};

ShrinkResult shrink(const ShrinkOptions& options, std::ostream& log);

int run_shrink(const ShrinkOptions& options, std::ostream& out);

}  // namespace simrun::cli
