#include "tools/simrun/distribution_pages.h"

#include <doctest/doctest.h>

#include "tools/simrun/xml_for_tests.h"

using namespace simrun::cli;
using nlohmann::json;
using simrun::cli::testing::XmlReader;

namespace {

json result(std::uint64_t seed, const char* status, double elections) {
  json entry = {{"seed", seed},
                {"status", status},
                {"failed", json::array()},
                {"first_failure", ""},
                {"trace_hash", "00"},
                {"events", 1},
                {"sim_time_ms", 1000},
                {"metrics", {{"elections_per_min", elections}, {"groups.__meta.max_term", 3.0}}},
                {"repro", "simrun x.json --seed " + std::to_string(seed)}};
  if (std::string(status) != "pass") {
    entry["failed"] = json::array({"elections per minute"});
    entry["first_failure"] = "elections per minute: 12 < 10";
  }
  return entry;
}

json sweep_of(std::vector<json> results) {
  json failures = json::array();
  std::int64_t failed = 0;
  for (const json& entry : results) {
    if (entry["status"] == "pass") continue;
    ++failed;
    failures.push_back({{"seed", entry["seed"]},
                        {"status", entry["status"]},
                        {"first_failure", entry["first_failure"]},
                        {"repro", entry["repro"]}});
  }
  return {{"format", "simrun-sweep/1"},
          {"scenario", "x.json"},
          {"name", "x"},
          {"profile", "recommended"},
          {"override_args", json::array()},
          {"duration_override_ms", 0},
          {"seeds", {{"first", 1}, {"count", results.size()}}},
          {"until_fail", false},
          {"run", results.size()},
          {"passed", static_cast<std::int64_t>(results.size()) - failed},
          {"failed", failed},
          {"metrics",
           {{"elections_per_min", {{"min", 2}, {"p50", 4}, {"max", 12}, {"seeds", 3}}},
            {"groups.__meta.max_term", {{"min", 3}, {"p50", 3}, {"max", 3}, {"seeds", 3}}}}},
          {"failures", failures},
          {"results", results}};
}

}  // namespace

TEST_CASE("histogram: equal bins over [low, high], the top value in the last bin") {
  const json bins = histogram({0.0, 1.0, 5.0, 10.0, 10.0}, 0.0, 10.0);
  CHECK(bins["counts"].size() == kHistogramBins);
  CHECK(bins["counts"][0] == 1);
  CHECK(bins["counts"][4] == 1);   // 1.0 is the start of bin 4 (width 0.25)
  CHECK(bins["counts"][20] == 1);  // 5.0
  CHECK(bins["counts"][kHistogramBins - 1] == 2);
  const json single = histogram({7.0, 7.0}, 7.0, 7.0);  // one value: a unit-wide range
  CHECK(single["counts"][0] == 2);
  CHECK(single["high"] == 8.0);
}

TEST_CASE("a sweep's junit.xml: one case per seed, failures with their repro line") {
  const json sweep = sweep_of({result(1, "pass", 2), result(2, "fail", 12), result(3, "pass", 4)});
  const auto root = XmlReader::parse(junit_xml({junit_for_sweep(sweep)}));
  const auto cases = root.first("testsuite")->all("testcase");
  REQUIRE(cases.size() == 3);
  CHECK(cases[1]->attributes.at("name") == "seed 2");
  REQUIRE(cases[1]->first("failure") != nullptr);
  CHECK(cases[1]->first("failure")->attributes.at("message") == "elections per minute: 12 < 10");
  CHECK(cases[1]->first("failure")->text.find("repro: simrun x.json --seed 2") !=
        std::string::npos);
  CHECK(cases[0]->first("failure") == nullptr);
  CHECK(root.attributes.at("failures") == "1");
}

TEST_CASE("a sweep's page data: histograms of total and asserted metrics, bounds, failing seeds") {
  const json sweep = sweep_of({result(1, "pass", 2), result(2, "fail", 12), result(3, "pass", 4)});
  const std::vector<AssertionSpec> assertions = {
      {"elections per minute", "elections_per_min", "<", 10, "", std::nullopt},
      {"meta term", "max_term", "<=", 5, "__meta", std::nullopt},
      {"windowed", "elections_per_min", "<", 1, "", TimeWindow{0, 10}}};
  const json data = sweep_page_data(sweep, assertions);
  REQUIRE(data["metrics"].size() == 2);
  const json& elections = data["metrics"][0];
  CHECK(elections["name"] == "elections_per_min");
  CHECK(elections["bounds"].size() == 1);  // the windowed assertion bounds another value
  CHECK(elections["all"]["low"] == 2.0);
  CHECK(elections["all"]["high"] == 12.0);
  CHECK(elections["failing"]["counts"][kHistogramBins - 1] == 1);
  CHECK(data["metrics"][1]["name"] == "groups.__meta.max_term");
  CHECK(data["metrics"][1]["all"]["high"] == 5.0);  // the range reaches the bound
  CHECK(data["failures"].size() == 1);
  const std::string page = distribution_report_html(data);
  CHECK(page.find("\"kind\":\"sweep\"") != std::string::npos);
}

TEST_CASE("a gate's junit.xml and page data: one case and one panel per threshold") {
  const json baseline =
      sweep_of({result(1, "pass", 2), result(2, "pass", 3), result(3, "pass", 4)});
  const json candidate =
      sweep_of({result(1, "pass", 8), result(2, "pass", 9), result(3, "pass", 30)});
  auto threshold = [](const char* name, const char* verdict, json p_value) {
    return json{{"name", name},        {"metric", "elections_per_min"},
                {"stat", "p99"},       {"op", "<="},
                {"relative", true},    {"bound", 4.4},
                {"baseline", 4},       {"candidate", 30},
                {"change", 26},        {"change_percent", 650},
                {"p_value", p_value},  {"crossed", true},
                {"significant", true}, {"verdict", verdict}};
  };
  const json gate = {
      {"format", "simrun-gate/1"},
      {"scenario", "x.json"},
      {"name", "x"},
      {"pairs", 3},
      {"significance", 0.01},
      {"passed", false},
      {"baseline",
       {{"profile", "recommended"}, {"override_args", json::array()}, {"run", 3}, {"failed", 0}}},
      {"candidate",
       {{"profile", "recommended"}, {"override_args", json::array()}, {"run", 3}, {"failed", 0}}},
      {"thresholds", json::array({threshold("a", "fail", 0.001),
                                  threshold("b", "crossed, not significant", nullptr)})}};
  const auto root = XmlReader::parse(junit_xml({junit_for_gate(gate)}));
  const auto cases = root.first("testsuite")->all("testcase");
  REQUIRE(cases.size() == 2);
  CHECK(cases[0]->first("failure") != nullptr);
  CHECK(cases[1]->first("failure") == nullptr);
  const json data = gate_page_data(gate, baseline, candidate);
  REQUIRE(data["thresholds"].size() == 2);
  const json& first = data["thresholds"][0];
  CHECK(first["histogram_baseline"]["low"] == 2.0);
  CHECK(first["histogram_baseline"]["high"] == 30.0);
  CHECK(first["histogram_candidate"]["counts"][kHistogramBins - 1] == 1);
}
