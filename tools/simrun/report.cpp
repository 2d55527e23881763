#include "tools/simrun/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "tools/simrun/duration.h"

namespace simrun::cli {

std::string format_hash(std::uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string repro_line(const std::string& file, std::uint64_t seed,
                       const std::vector<Override>& overrides, std::int64_t duration_override_ms) {
  std::string line = "simrun " + file + " --seed " + std::to_string(seed);
  if (duration_override_ms > 0) line += " --duration " + format_duration_ms(duration_override_ms);
  for (const Override& override_value : overrides) line += " " + override_argument(override_value);
  return line;
}

std::vector<std::string> failed_checks(const RunOutcome& outcome) {
  std::vector<std::string> failed;
  for (const auto& result : outcome.assertions) {
    if (!result.passed) failed.push_back(result.name);
  }
  for (const auto& violation : outcome.violations) {
    const std::string name = std::string(kCheckerPrefix) + violation.checker;
    if (std::find(failed.begin(), failed.end(), name) == failed.end()) failed.push_back(name);
  }
  return failed;
}

nlohmann::json summary_json(const RunOutcome& outcome) {
  nlohmann::json overrides = nlohmann::json::object();
  for (const Override& override_value : outcome.overrides) {
    overrides[override_value.path] = override_value.value;
  }
  nlohmann::json assertions = nlohmann::json::array();
  for (const auto& result : outcome.assertions) assertions.push_back(to_json(result));
  nlohmann::json violations = nlohmann::json::array();
  for (const auto& violation : outcome.violations) {
    violations.push_back({{"checker", violation.checker},
                          {"time_ms", violation.time_ms},
                          {"group", violation.group},
                          {"nodes", violation.nodes},
                          {"detail", violation.detail}});
  }
  return {
      {"scenario", outcome.scenario_file},
      {"name", outcome.scenario_name},
      {"profile", outcome.profile},
      {"seed", outcome.seed},
      {"overrides", overrides},
      {"config", outcome.config},
      {"duration_ms", outcome.duration_ms},
      {"stretched_from_ms", outcome.stretched_from_ms},
      {"passed", outcome.passed},
      {"failed", failed_checks(outcome)},
      {"trace_hash", format_hash(outcome.trace_hash)},
      {"sim_time_ms", outcome.sim_time_ms},
      {"wall_time_ms", outcome.wall_time_ms},
      {"events", outcome.events},
      {"faults", {{"applied", outcome.faults_applied}, {"skipped", outcome.faults_skipped}}},
      {"metrics", to_json(outcome.metrics)},
      {"assertions", assertions},
      {"violations", violations},
      {"violation_count", outcome.violation_count},
      {"checks", outcome.checks},
      {"probes", outcome.probes},
      {"probes_missed", outcome.probes_missed},
      {"repro", outcome.repro},
  };
}

void print_summary(std::ostream& out, const RunOutcome& outcome, bool quiet) {
  const char* verdict = outcome.passed ? "PASS" : "FAIL";
  if (!quiet) {
    out << fmt::format(
        "{} [{}] seed {}: {} simulated in {} ms wall ({:.0f}x), {} trace records, "
        "hash {}\n",
        outcome.scenario_name, outcome.profile, outcome.seed,
        format_duration_ms(outcome.sim_time_ms), outcome.wall_time_ms,
        outcome.wall_time_ms > 0
            ? static_cast<double>(outcome.sim_time_ms) / static_cast<double>(outcome.wall_time_ms)
            : 0.0,
        outcome.events, format_hash(outcome.trace_hash));
    // elections: rounds that raised the group's term; campaigns: pre-vote
    // and vote candidacies (scenarios/README.md).
    out << fmt::format("  {:<14} {:>6} {:>10} {:>10} {:>8} {:>13} {:>12}\n", "group", "term",
                       "elections", "campaigns", "leaders", "leaderless_ms", "max_hb_gap");
    for (const auto& [name, group] : outcome.metrics.groups) {
      out << fmt::format("  {:<14} {:>6} {:>10} {:>10} {:>8} {:>13.0f} {:>12.1f}\n", name,
                         group.max_term, group.elections, group.campaigns, group.leader_changes,
                         group.leaderless_ms, group.max_heartbeat_gap_ms);
    }
    const GroupMetrics& totals = outcome.metrics.totals;
    out << fmt::format(
        "  produce: sent {} acked {} failed {} lost_acked {} p50 {:.1f} ms p99 {:.1f} ms; "
        "metadata sync {}/{} started ({:.1f} %, {} in flight); deser errors {}\n",
        totals.produce.sent, totals.produce.acked, totals.produce.failed, totals.produce.lost_acked,
        totals.produce.latency_p50_ms, totals.produce.latency_p99_ms,
        totals.metadata_sync.succeeded, totals.metadata_sync.started,
        100.0 * totals.metadata_sync.success_rate, totals.metadata_sync.in_flight,
        totals.deser_errors);
    for (const auto& result : outcome.assertions) {
      out << fmt::format("  {} {}: {} {} {}{}\n", result.passed ? "pass" : "FAIL", result.name,
                         result.value, result.op, result.bound,
                         result.detail.empty() ? "" : " (" + result.detail + ")");
    }
    if (outcome.violation_count > 0 && !outcome.violations.empty()) {
      const Violation& first = outcome.violations.front();
      std::string nodes;
      for (auto node : first.nodes) nodes += (nodes.empty() ? "n" : ",n") + std::to_string(node);
      out << fmt::format(
          "  VIOLATION {} at {} ms{}{}: {} ({} violation(s) in total)\n", first.checker,
          first.time_ms, first.group.empty() ? "" : " in " + first.group,
          nodes.empty() ? "" : " on " + nodes, first.detail, outcome.violation_count);
    }
  }
  if (outcome.stretched_from_ms > 0) {
    // Said even with --quiet: the run lasted longer than asked.
    out << fmt::format(
        "note: ran {} instead of the requested {}: liveness is checked until the last fault "
        "is over plus liveness.within\n",
        format_duration_ms(outcome.duration_ms), format_duration_ms(outcome.stretched_from_ms));
  }
  out << verdict << "\n";
  out << "repro: " << outcome.repro << "\n";
}

}  // namespace simrun::cli
