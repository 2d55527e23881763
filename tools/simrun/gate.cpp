#include "tools/simrun/gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <set>

#include "tools/simrun/assertions.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/quantiles.h"
#include "tools/simrun/sweep_report.h"
#include "tools/simrun/wilcoxon.h"

namespace simrun::cli {

namespace {

// Other metrics listed in the Markdown comment (the JSON has all of them).
constexpr std::size_t kMaxListedMetrics = 30;

std::string number(double value) { return fmt::format("{:.4g}", value); }

std::string bound_text(const GateThreshold& threshold) {
  if (threshold.bound) return number(*threshold.bound);
  const double percent = *threshold.baseline_plus_percent;
  return fmt::format("baseline {} {} %", percent < 0 ? "-" : "+", number(std::fabs(percent)));
}

// seed -> flattened metrics, for the seeds that completed.
std::map<std::uint64_t, std::map<std::string, double>> completed(const nlohmann::json& sweep,
                                                                 const std::string& where) {
  std::map<std::uint64_t, std::map<std::string, double>> by_seed;
  for (SeedResult& result : results_of(sweep, where)) {
    if (!result.trace_hash.empty()) by_seed.emplace(result.seed, std::move(result.metrics));
  }
  return by_seed;
}

nlohmann::json side_json(const nlohmann::json& sweep) {
  return {{"scenario", sweep.at("scenario")},
          {"profile", sweep.at("profile")},
          {"override_args", sweep.at("override_args")},
          {"run", sweep.at("run")},
          {"failed", sweep.at("failed")}};
}

std::string side_text(const nlohmann::json& side) {
  std::string text = side.at("profile").get<std::string>();
  const auto& overrides = side.at("override_args");
  if (overrides.empty()) text += " (no --set)";
  for (const auto& value : overrides) text += " `--set " + value.get<std::string>() + "`";
  return text;
}

}  // namespace

GateSpec gate_spec_from_json(const nlohmann::json& scenario_document, const std::string& file) {
  GateSpec spec;
  if (!scenario_document.contains("gates")) return spec;
  const nlohmann::json& gates = scenario_document["gates"];
  spec.significance = gates.value("significance", kDefaultSignificance);
  if (!(spec.significance > 0.0 && spec.significance < 1.0)) {
    throw InputError(file + ": /gates/significance: expected a level between 0 and 1");
  }
  const nlohmann::json thresholds = gates.value("thresholds", nlohmann::json::array());
  for (std::size_t i = 0; i < thresholds.size(); ++i) {
    const nlohmann::json& item = thresholds[i];
    GateThreshold threshold;
    threshold.json_path = "/gates/thresholds/" + std::to_string(i);
    threshold.metric = item.at("metric").get<std::string>();
    threshold.stat = item.at("stat").get<std::string>();
    threshold.op = item.at("op").get<std::string>();
    if (item.contains("bound")) threshold.bound = item["bound"].get<double>();
    if (item.contains("baseline_plus_percent")) {
      threshold.baseline_plus_percent = item["baseline_plus_percent"].get<double>();
    }
    if (threshold.bound.has_value() == threshold.baseline_plus_percent.has_value()) {
      throw InputError(file + ": " + threshold.json_path +
                       ": expected exactly one of bound, baseline_plus_percent");
    }
    if (!is_quantile_name(threshold.stat)) {
      throw InputError(file + ": " + threshold.json_path +
                       "/stat: expected min, p10, p50, p90, "
                       "p99 or max");
    }
    threshold.name = item.value("name", fmt::format("{} {} {} {}", threshold.metric, threshold.stat,
                                                    threshold.op, bound_text(threshold)));
    spec.thresholds.push_back(std::move(threshold));
  }
  return spec;
}

nlohmann::json compare_sweeps(const nlohmann::json& baseline, const nlohmann::json& candidate,
                              const GateSpec& spec, const std::string& scenario_file) {
  const SweepHeader base_header = header_from_json(baseline, "baseline");
  const SweepHeader cand_header = header_from_json(candidate, "candidate");
  if (base_header.name != cand_header.name) {
    throw InputError(fmt::format("gate: the sweeps ran different scenarios ({} and {})",
                                 base_header.name, cand_header.name));
  }
  if (base_header.first_seed != cand_header.first_seed ||
      base_header.seed_count != cand_header.seed_count ||
      base_header.duration_override_ms != cand_header.duration_override_ms) {
    throw InputError(fmt::format(
        "gate: the sweeps are not paired: seeds {}+{} / {}+{}, duration override {} / {} ms",
        base_header.first_seed, base_header.seed_count, cand_header.first_seed,
        cand_header.seed_count, base_header.duration_override_ms,
        cand_header.duration_override_ms));
  }
  const auto base_seeds = completed(baseline, "baseline");
  const auto cand_seeds = completed(candidate, "candidate");
  std::vector<std::uint64_t> pairs;
  for (const auto& [seed, metrics] : base_seeds) {
    if (cand_seeds.count(seed) != 0) pairs.push_back(seed);
  }
  if (pairs.empty()) throw InputError("gate: no seed completed in both sweeps");

  // The metrics every paired seed has in both sweeps.
  std::set<std::string> names;
  for (const auto& [name, value] : base_seeds.at(pairs.front())) names.insert(name);
  for (std::uint64_t seed : pairs) {
    for (auto it = names.begin(); it != names.end();) {
      if (base_seeds.at(seed).count(*it) == 0 || cand_seeds.at(seed).count(*it) == 0) {
        it = names.erase(it);
      } else {
        ++it;
      }
    }
  }

  nlohmann::json metrics = nlohmann::json::object();
  std::map<std::string, std::pair<Quantiles, Quantiles>> quantiles;
  std::map<std::string, WilcoxonResult> tests;
  for (const std::string& name : names) {
    std::vector<double> base_values, cand_values, differences;
    for (std::uint64_t seed : pairs) {
      const double b = base_seeds.at(seed).at(name);
      const double c = cand_seeds.at(seed).at(name);
      base_values.push_back(b);
      cand_values.push_back(c);
      differences.push_back(c - b);
    }
    const Quantiles bq = quantiles_of(base_values);
    const Quantiles cq = quantiles_of(cand_values);
    const WilcoxonResult test = wilcoxon_signed_rank(differences);
    const Quantiles dq = quantiles_of(differences);
    metrics[name] = {{"baseline", to_json(bq)},
                     {"candidate", to_json(cq)},
                     {"median_difference", dq.get("p50")},
                     {"changed_pairs", test.pairs},
                     {"w_plus", test.w_plus},
                     {"w_minus", test.w_minus},
                     {"exact", test.exact},
                     {"p_value", test.p_two_sided},
                     {"significant", test.p_two_sided < spec.significance}};
    quantiles.emplace(name, std::pair{bq, cq});
    tests.emplace(name, test);
  }

  bool passed = true;
  nlohmann::json thresholds = nlohmann::json::array();
  for (const GateThreshold& threshold : spec.thresholds) {
    const auto found = quantiles.find(threshold.metric);
    if (found == quantiles.end()) {
      throw InputError(
          fmt::format("{}: {}/metric: \"{}\" is not a metric of these sweeps (names "
                      "as in sweep.json: elections_per_min, groups.__meta.max_term, "
                      "...)",
                      scenario_file, threshold.json_path, threshold.metric));
    }
    const double b = found->second.first.get(threshold.stat);
    const double c = found->second.second.get(threshold.stat);
    const double bound = threshold.bound
                             ? *threshold.bound
                             : b + std::fabs(b) * *threshold.baseline_plus_percent / 100.0;
    const bool crossed = !compare(c, threshold.op, bound);
    const double p = tests.at(threshold.metric).p_two_sided;
    const bool significant = p < spec.significance;
    const bool relative = threshold.baseline_plus_percent.has_value();
    const bool fails = crossed && (!relative || significant);
    passed = passed && !fails;
    nlohmann::json entry = {{"name", threshold.name},
                            {"metric", threshold.metric},
                            {"stat", threshold.stat},
                            {"op", threshold.op},
                            {"relative", relative},
                            {"bound", bound},
                            {"baseline", b},
                            {"candidate", c},
                            {"change", c - b},
                            {"p_value", p},
                            {"crossed", crossed},
                            {"significant", significant},
                            {"verdict", fails     ? "fail"
                                        : crossed ? "crossed, not significant"
                                                  : "pass"}};
    entry["change_percent"] =
        b != 0.0 ? nlohmann::json(100.0 * (c - b) / std::fabs(b)) : nlohmann::json(nullptr);
    thresholds.push_back(std::move(entry));
  }

  return {{"format", kGateFormat},
          {"scenario", scenario_file},
          {"name", base_header.name},
          {"seeds", {{"first", base_header.first_seed}, {"count", base_header.seed_count}}},
          {"pairs", pairs.size()},
          {"significance", spec.significance},
          {"baseline", side_json(baseline)},
          {"candidate", side_json(candidate)},
          {"passed", passed},
          {"thresholds", std::move(thresholds)},
          {"metrics", std::move(metrics)}};
}

void print_gate_markdown(std::ostream& out, const nlohmann::json& gate) {
  const double alpha = gate.at("significance").get<double>();
  out << fmt::format("### simrun gate: `{}`, {} paired seeds, significance {}: **{}**\n\n",
                     gate.at("name").get<std::string>(), gate.at("pairs").get<std::size_t>(), alpha,
                     gate.at("passed").get<bool>() ? "PASS" : "FAIL");
  const auto& base = gate.at("baseline");
  const auto& cand = gate.at("candidate");
  out << fmt::format("- baseline: {}; {} of {} seeds failed\n", side_text(base),
                     base.at("failed").get<std::uint64_t>(), base.at("run").get<std::uint64_t>());
  out << fmt::format("- candidate: {}; {} of {} seeds failed\n\n", side_text(cand),
                     cand.at("failed").get<std::uint64_t>(), cand.at("run").get<std::uint64_t>());
  if (gate.at("thresholds").empty()) {
    out << "The scenario sets no `gates` thresholds.\n\n";
  } else {
    out << "| threshold | bound | baseline | candidate | change | p-value | verdict |\n";
    out << "|---|---:|---:|---:|---:|---:|---|\n";
    for (const auto& entry : gate.at("thresholds")) {
      const double change = entry.at("change").get<double>();
      std::string change_text = (change > 0 ? "+" : "") + number(change);
      if (!entry.at("change_percent").is_null()) {
        const double percent = entry.at("change_percent").get<double>();
        change_text += fmt::format(" ({}{:.1f} %)", percent > 0 ? "+" : "", percent);
      }
      const std::string verdict = entry.at("verdict").get<std::string>();
      out << fmt::format(
          "| {} | {} {} | {} | {} | {} | {:.2g} | {} |\n", entry.at("name").get<std::string>(),
          entry.at("op").get<std::string>(), number(entry.at("bound").get<double>()),
          number(entry.at("baseline").get<double>()), number(entry.at("candidate").get<double>()),
          change_text, entry.at("p_value").get<double>(), verdict == "fail" ? "**FAIL**" : verdict);
    }
    out << "\n";
  }
  // Other metrics whose change is significant, smallest p first.
  std::vector<std::pair<double, std::string>> significant;
  for (const auto& [name, metric] : gate.at("metrics").items()) {
    if (metric.at("significant").get<bool>()) {
      significant.emplace_back(metric.at("p_value").get<double>(), name);
    }
  }
  std::sort(significant.begin(), significant.end());
  if (significant.empty()) {
    out << fmt::format("No metric changed significantly (Wilcoxon signed-rank, p < {}).\n", alpha);
    return;
  }
  out << fmt::format("Metrics that changed significantly (Wilcoxon signed-rank, p < {}):\n\n",
                     alpha);
  out << "| metric | baseline p50 | candidate p50 | baseline p99 | candidate p99 | p-value |\n";
  out << "|---|---:|---:|---:|---:|---:|\n";
  for (std::size_t i = 0; i < significant.size() && i < kMaxListedMetrics; ++i) {
    const auto& metric = gate.at("metrics").at(significant[i].second);
    out << fmt::format("| {} | {} | {} | {} | {} | {:.2g} |\n", significant[i].second,
                       number(metric.at("baseline").at("p50").get<double>()),
                       number(metric.at("candidate").at("p50").get<double>()),
                       number(metric.at("baseline").at("p99").get<double>()),
                       number(metric.at("candidate").at("p99").get<double>()),
                       significant[i].first);
  }
  if (significant.size() > kMaxListedMetrics) {
    out << fmt::format("\n({} more in gate.json)\n", significant.size() - kMaxListedMetrics);
  }
}

}  // namespace simrun::cli
