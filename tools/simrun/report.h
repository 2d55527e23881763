#pragma once
// What a run produced, and its two renderings: the compact stdout summary
// and DIR/summary.json. Both end with the repro line, the one command that
// reruns exactly this run.

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/simrun/assertions.h"
#include "tools/simrun/data_checker.h"
#include "tools/simrun/metrics.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

struct RunOutcome {
  std::string scenario_name;
  std::string scenario_file;
  std::string profile;
  std::uint64_t seed = 0;
  std::vector<Override> overrides;
  std::int64_t duration_ms = 0;  // run length: requested, or the liveness deadline if later
  // The requested duration (scenario or --duration) when the run was
  // stretched to the liveness deadline; 0 when not stretched.
  std::int64_t stretched_from_ms = 0;
  bool passed = false;
  std::uint64_t trace_hash = 0;
  std::int64_t sim_time_ms = 0;
  std::int64_t wall_time_ms = 0;  // measured outside the simulation; never hashed
  std::uint64_t events = 0;       // trace records
  std::uint64_t loop_events = 0;  // event-loop events executed (timers, deliveries, wake-ups)
  std::uint64_t faults_applied = 0;
  std::uint64_t faults_skipped = 0;
  Metrics metrics;
  std::vector<AssertionResult> assertions;
  std::vector<Violation> violations;
  std::uint64_t violation_count = 0;
  // Comparisons each always-on checker made (summary.json "checks"): a
  // checker at 0 sat idle in this run.
  std::map<std::string, std::uint64_t> checks;
  // Coverage probes this run reached, with hit counts (summary.json
  // "probes"; the table of names: broker::all_probe_names()).
  std::map<std::string, std::uint64_t> probes;
  std::vector<std::string> probes_missed;  // in the table, not reached
  // summary.json "config": profile, --set overrides of cluster.*, every
  // knob's effective value (tools/simrun/effective_config.h).
  nlohmann::json config = nlohmann::json::object();
  std::string repro;
};

// "simrun scenarios/x.json --seed N [--duration D] [--set 'P=V' ...]"
std::string repro_line(const std::string& file, std::uint64_t seed,
                       const std::vector<Override>& overrides, std::int64_t duration_override_ms);
std::string format_hash(std::uint64_t hash);  // 16 lowercase hex digits

// The names of the failed assertions, then "checker:<name>" for each
// checker with a violation (once each): summary.json's "failed", which the
// legacy-expectation CTests read.
std::vector<std::string> failed_checks(const RunOutcome& outcome);

nlohmann::json summary_json(const RunOutcome& outcome);
void print_summary(std::ostream& out, const RunOutcome& outcome, bool quiet);

}  // namespace simrun::cli
