#pragma once
// Runs the field table's seeds: every (section, profile, seed) in its own
// worker process (worker_pool.h, as `simrun sweep` does), at most `jobs` at
// a time. Results are placed by position, so the table does not depend on
// --jobs or on the order workers finish in.
//
// Sections: "steady" is the scenario with its faults removed (`faults` and
// the nemesis' kinds emptied, as --set overrides: the repro lines say so),
// "faults" the scenario as written.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/table.h"

namespace simrun::cli {

// A bound on one table: 6 runs per seed.
inline constexpr std::uint64_t kMaxTableSeeds = 10'000;

struct TableRunOptions {
  std::string scenario_file;
  LoadOptions load;                         // --set and --duration (no seed)
  std::optional<std::uint64_t> first_seed;  // default: the scenario's seed
  std::uint64_t seed_count = 20;
  unsigned jobs = 0;                      // 0: the cores
  std::int64_t wall_budget_ms = 600'000;  // per run, as sweep's default
  std::vector<std::string> profiles;      // empty: broker::profile_names()
};

struct TableRunResult {
  FieldTable table;
  // Per profile, the scenario's expectation under faults ("pass", "fail",
  // "any"), and the seeds whose outcome contradicts it, with why.
  std::vector<std::string> unexpected;
  std::size_t runs = 0;  // runs made (sections x profiles x seeds)
};

TableRunResult run_field_table(const TableRunOptions& options);

// The overrides that remove a scenario's faults (the steady-state section).
std::vector<Override> steady_state_overrides(const Scenario& scenario);

}  // namespace simrun::cli
