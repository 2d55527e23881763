#pragma once
// `simrun sweep`: one scenario over many seeds, each seed in a worker
// process (see worker_pool.h), so a crash, an abort or a hang is that seed's
// failure. Prints the metrics' quantiles over seeds and every failing seed
// with its first failure and repro line; under --report DIR writes
// seeds.jsonl (as seeds finish) and sweep.json (see sweep_report.h). Its
// stdout and sweep.json do not depend on --jobs; the wall-time line goes to
// stderr.
//
// A Python scenario (SCRIPT.py) sweeps too, through `run_script` (the
// simrun command's embedded interpreter): each seed runs the whole script
// with --seed N in its worker, with its output discarded. The seed passes
// when the script would exit 0; its metrics are those of the script's one
// simulation, or "run-K.<metric>" for each of several; its trace hash is
// the script's combined hash. The first seed defaults to 1.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "tools/simrun/cli.h"
#include "tools/simrun/report.h"
#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/sweep_report.h"
#include "tools/simrun/worker_pool.h"

namespace simrun::cli {

struct SweepOptions {
  std::string scenario_file;
  LoadOptions load;                         // overrides and --duration (seed unset)
  std::vector<std::string> override_args;   // the --set texts, in order
  std::string seeds = "100";                // --seeds N | A..B
  std::optional<std::uint64_t> first_seed;  // with --seeds N (default: the scenario's seed)
  unsigned jobs = 0;                        // 0: the number of cores
  std::optional<std::string> shard;         // --shard I/N
  std::optional<std::uint64_t> shards;      // --shards N (index from the environment)
  std::optional<std::string> report_dir;
  bool until_fail = false;
  std::uint64_t max_events = kDefaultMaxEvents;
  std::int64_t wall_budget_ms = kDefaultSeedWallBudgetMs;
  ScriptCommand run_script;  // for SCRIPT.py; empty: a .py is bad input

  // The CI gate runs ~0.5 M events in 60 simulated seconds; a budget 2,000
  // times larger only stops a livelock.
  static constexpr std::uint64_t kDefaultMaxEvents = 1'000'000'000;
  static constexpr std::int64_t kDefaultSeedWallBudgetMs = 600'000;
};

int run_sweep(const SweepOptions& options, std::ostream& out, std::ostream& err);

// The result of a seed whose worker did not hand back one (a crash, a
// budget, an error): its status, signal and first failure from the worker.
SeedResult lost_seed(std::uint64_t seed, const WorkerOutcome& worker, std::int64_t wall_budget_ms,
                     const std::string& repro);

// A completed run's result line: status pass/fail, failed checks, the first
// failure, hash and the flattened metrics.
SeedResult seed_result_of(const RunOutcome& outcome);

// What went wrong first, in one line: the earliest checker violation (with
// its simulated time), else the first failed assertion ("name: value op
// bound"). Empty for a passing run.
std::string first_failure(const RunOutcome& outcome);

// The summary sweep and merge print: the seeds, the metric table, each
// failing seed's first failure and repro line, "sweep: P passed, F failed".
void print_sweep_result(std::ostream& out, const nlohmann::json& sweep);

// The quantile table of the metrics printed by sweep (totals only: the
// per-group metrics are in sweep.json).
void print_metric_table(std::ostream& out, const nlohmann::json& metrics);

}  // namespace simrun::cli
