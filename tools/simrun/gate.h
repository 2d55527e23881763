#pragma once
// `simrun gate --baseline A --candidate B`: two sweeps of one scenario over
// the same seeds (a main-branch build and a pull request's, or one build
// with two --set configurations), compared metric by metric. Seed k of
// both saw the same fault schedule (it is drawn from its own stream), so
// seeds pair up and the Wilcoxon signed-rank test on the paired differences
// says whether a change is more than noise.
//
// Thresholds come from the scenario's `gates` section:
//   {"significance": 0.01, "thresholds": [
//     {"metric": "elections_per_min", "stat": "p99", "op": "<=", "baseline_plus_percent": 10},
//     {"metric": "produce.lost_acked", "stat": "max", "op": "==", "bound": 0}]}
// A threshold is crossed when the candidate's statistic (over the paired
// seeds) does not satisfy `op bound`, the bound being absolute or the
// baseline's statistic plus a percentage of its magnitude. The gate fails
// where an absolute threshold is crossed, or a relative one is crossed and
// the change is significant (p < significance).

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace simrun::cli {

inline constexpr std::string_view kGateFormat = "simrun-gate/1";
inline constexpr double kDefaultSignificance = 0.01;

struct GateThreshold {
  std::string name;  // "elections_per_min p99 <= baseline + 10 %" unless given
  std::string metric;
  std::string stat;  // kQuantileNames
  std::string op;
  std::optional<double> bound;                  // absolute
  std::optional<double> baseline_plus_percent;  // relative
  std::string json_path;                        // "/gates/thresholds/0"
};

struct GateSpec {
  double significance = kDefaultSignificance;
  std::vector<GateThreshold> thresholds;
};

// The scenario's `gates` (already schema-checked); defaults when absent.
GateSpec gate_spec_from_json(const nlohmann::json& scenario_document, const std::string& file);

// The comparison: gate.json's content. InputError when the sweeps are not
// paired (other scenario, seeds or duration) or a threshold names a metric
// neither sweep has.
nlohmann::json compare_sweeps(const nlohmann::json& baseline, const nlohmann::json& candidate,
                              const GateSpec& spec, const std::string& scenario_file);

// The Markdown table for a pull-request comment.
void print_gate_markdown(std::ostream& out, const nlohmann::json& gate);

}  // namespace simrun::cli
