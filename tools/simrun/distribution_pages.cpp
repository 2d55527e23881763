#include "tools/simrun/distribution_pages.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "tools/simrun/html_page.h"
#include "tools/simrun/input_error.h"

namespace simrun::cli {

namespace {

using nlohmann::json;

// The values of one metric over a sweep's completed seeds, in seed order;
// `failing` gets those of seeds that did not pass.
std::vector<double> metric_values(const json& sweep, const std::string& metric,
                                  std::vector<double>* failing = nullptr,
                                  const std::set<std::uint64_t>* only_seeds = nullptr) {
  std::vector<double> values;
  for (const json& result : sweep.at("results")) {
    const json& metrics = result.at("metrics");
    const auto found = metrics.find(metric);
    if (found == metrics.end() || !found->is_number()) continue;
    if (only_seeds != nullptr && only_seeds->count(result.at("seed").get<std::uint64_t>()) == 0) {
      continue;
    }
    values.push_back(found->get<double>());
    if (failing != nullptr && result.at("status") != "pass")
      failing->push_back(found->get<double>());
  }
  return values;
}

std::set<std::uint64_t> completed_seeds(const json& sweep) {
  std::set<std::uint64_t> seeds;
  for (const json& result : sweep.at("results")) {
    if (!result.at("metrics").empty()) seeds.insert(result.at("seed").get<std::uint64_t>());
  }
  return seeds;
}

std::pair<double, double> range_of(const std::vector<double>& values, double low, double high) {
  for (const double value : values) {
    low = std::min(low, value);
    high = std::max(high, value);
  }
  return {low, high};
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(path + ": cannot write the report");
  out << text;
  if (!out) throw InputError(path + ": cannot write the report");
}

}  // namespace

json histogram(const std::vector<double>& values, double low, double high) {
  // One value only: a unit-wide range starting at it, so it sits in the first bin.
  if (!(high > low)) high = low + 1.0;
  std::vector<std::int64_t> counts(kHistogramBins, 0);
  const double width = (high - low) / kHistogramBins;
  for (const double value : values) {
    int bin = width > 0 ? static_cast<int>((value - low) / width) : 0;
    bin = std::clamp(bin, 0, kHistogramBins - 1);  // the last bin is closed: high lands in it
    ++counts[static_cast<std::size_t>(bin)];
  }
  return {{"low", low}, {"high", high}, {"counts", counts}};
}

JunitSuite junit_for_sweep(const json& sweep) {
  JunitSuite suite;
  const std::string name = sweep.at("name");
  suite.name =
      fmt::format("{} sweep [{}] seeds {}..{}", name, sweep.at("profile").get<std::string>(),
                  sweep.at("seeds").at("first").get<std::uint64_t>(),
                  sweep.at("seeds").at("first").get<std::uint64_t>() +
                      sweep.at("seeds").at("count").get<std::uint64_t>() - 1);
  suite.properties = {{"scenario", sweep.at("scenario")}, {"profile", sweep.at("profile")}};
  for (const json& result : sweep.at("results")) {
    JunitCase test{"simrun." + name + ".seeds",
                   "seed " + std::to_string(result.at("seed").get<std::uint64_t>()), 0.0,
                   std::nullopt};
    if (result.at("status") != "pass") {
      std::string failed;
      for (const json& check : result.value("failed", json::array())) {
        failed += (failed.empty() ? "" : ", ") + check.get<std::string>();
      }
      test.failure = JunitFailure{result.at("status"), result.at("first_failure"),
                                  (failed.empty() ? "" : "failed: " + failed + "\n") +
                                      "repro: " + result.at("repro").get<std::string>()};
    }
    suite.cases.push_back(std::move(test));
  }
  return suite;
}

JunitSuite junit_for_gate(const json& gate) {
  JunitSuite suite;
  suite.name = fmt::format("{} gate", gate.at("name").get<std::string>());
  suite.properties = {{"scenario", gate.at("scenario")},
                      {"pairs", std::to_string(gate.at("pairs").get<std::int64_t>())},
                      {"significance", fmt::format("{}", gate.at("significance").get<double>())}};
  for (const json& threshold : gate.at("thresholds")) {
    JunitCase test{"simrun." + gate.at("name").get<std::string>() + ".gate", threshold.at("name"),
                   0.0, std::nullopt};
    const std::string verdict = threshold.at("verdict");
    const std::string p_value = threshold.at("p_value").is_null()
                                    ? "n/a"
                                    : fmt::format("{:.4g}", threshold.at("p_value").get<double>());
    const std::string detail = fmt::format(
        "{} {}: baseline {}, candidate {}, bound {} {}, p = {} ({})",
        threshold.at("metric").get<std::string>(), threshold.at("stat").get<std::string>(),
        threshold.at("baseline").dump(), threshold.at("candidate").dump(),
        threshold.at("op").get<std::string>(), threshold.at("bound").dump(), p_value, verdict);
    if (verdict == "fail") test.failure = JunitFailure{"gate", detail, detail};
    suite.system_out += detail + "\n";
    suite.cases.push_back(std::move(test));
  }
  return suite;
}

json sweep_page_data(const json& sweep, const std::vector<AssertionSpec>& assertions) {
  // Every total metric, and each group metric an assertion bounds.
  std::vector<std::string> names;
  for (const auto& [name, quantiles] : sweep.at("metrics").items()) {
    if (name.rfind("groups.", 0) != 0) names.push_back(name);
  }
  std::map<std::string, json> bounds;
  for (const AssertionSpec& spec : assertions) {
    if (spec.window) continue;  // bounds a windowed value, not the run's metric
    const std::string name =
        spec.group.empty() ? spec.metric : "groups." + spec.group + "." + spec.metric;
    if (!sweep.at("metrics").contains(name)) continue;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    bounds[name].push_back({{"name", spec.name}, {"op", spec.op}, {"bound", spec.bound}});
  }
  json metrics = json::array();
  for (const std::string& name : names) {
    std::vector<double> failing;
    const std::vector<double> values = metric_values(sweep, name, &failing);
    if (values.empty()) continue;
    auto [low, high] = range_of(values, values.front(), values.front());
    if (bounds.count(name) != 0) {
      for (const json& bound : bounds[name])
        std::tie(low, high) = range_of({bound.at("bound").get<double>()}, low, high);
    }
    json entry = {{"name", name},
                  {"quantiles", sweep.at("metrics").at(name)},
                  {"all", histogram(values, low, high)},
                  {"failing", histogram(failing, low, high)},
                  {"bounds", bounds.count(name) != 0 ? bounds[name] : json::array()}};
    metrics.push_back(std::move(entry));
  }
  json failures = json::array();
  const json& listed = sweep.at("failures");
  for (std::size_t index = 0; index < listed.size() && index < kMaxListedFailures; ++index) {
    failures.push_back(listed[index]);
  }
  return {{"kind", "sweep"},
          {"name", sweep.at("name")},
          {"scenario", sweep.at("scenario")},
          {"profile", sweep.at("profile")},
          {"override_args", sweep.at("override_args")},
          {"seeds", sweep.at("seeds")},
          {"run", sweep.at("run")},
          {"passed", sweep.at("passed")},
          {"failed", sweep.at("failed")},
          {"metrics", metrics},
          {"failures", failures},
          {"failures_not_listed", listed.size() - failures.size()}};
}

json gate_page_data(const json& gate, const json& baseline, const json& candidate) {
  std::set<std::uint64_t> paired;
  const std::set<std::uint64_t> in_candidate = completed_seeds(candidate);
  for (const std::uint64_t seed : completed_seeds(baseline)) {
    if (in_candidate.count(seed) != 0) paired.insert(seed);
  }
  json thresholds = json::array();
  for (const json& threshold : gate.at("thresholds")) {
    const std::string metric = threshold.at("metric");
    const std::vector<double> before = metric_values(baseline, metric, nullptr, &paired);
    const std::vector<double> after = metric_values(candidate, metric, nullptr, &paired);
    json entry = threshold;
    if (!before.empty() || !after.empty()) {
      const double seed_value = before.empty() ? after.front() : before.front();
      auto [low, high] = range_of(before, seed_value, seed_value);
      std::tie(low, high) = range_of(after, low, high);
      if (threshold.at("bound").is_number()) {
        std::tie(low, high) = range_of({threshold.at("bound").get<double>()}, low, high);
      }
      entry["histogram_baseline"] = histogram(before, low, high);
      entry["histogram_candidate"] = histogram(after, low, high);
    }
    thresholds.push_back(std::move(entry));
  }
  return {{"kind", "gate"},
          {"name", gate.at("name")},
          {"scenario", gate.at("scenario")},
          {"passed", gate.at("passed")},
          {"pairs", gate.at("pairs")},
          {"significance", gate.at("significance")},
          {"baseline", gate.at("baseline")},
          {"candidate", gate.at("candidate")},
          {"thresholds", thresholds}};
}

std::string distribution_report_html(const json& page_data) {
  return fill_page(distribution_report_page(), page_data);
}

void write_sweep_pages(const std::string& dir, const json& sweep,
                       const std::vector<AssertionSpec>& assertions) {
  write_text(dir + "/report.html", distribution_report_html(sweep_page_data(sweep, assertions)));
  write_text(dir + "/junit.xml", junit_xml({junit_for_sweep(sweep)}));
}

void write_gate_pages(const std::string& dir, const json& gate, const json& baseline,
                      const json& candidate) {
  write_text(dir + "/report.html",
             distribution_report_html(gate_page_data(gate, baseline, candidate)));
  write_text(dir + "/junit.xml", junit_xml({junit_for_gate(gate)}));
}

}  // namespace simrun::cli
