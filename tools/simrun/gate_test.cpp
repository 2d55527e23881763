#include "tools/simrun/gate.h"

#include <doctest/doctest.h>

#include <sstream>

#include "tools/simrun/input_error.h"
#include "tools/simrun/sweep_report.h"

using namespace simrun::cli;

namespace {

// A sweep of `seeds` seeds whose elections_per_min is base(seed) + shift and
// whose lost_acked is `lost` on seed 1 only.
nlohmann::json sweep(std::uint64_t seeds, double shift, double lost = 0,
                     std::uint64_t first_seed = 1) {
  SweepHeader header;
  header.scenario = "scenarios/x.json";
  header.name = "x";
  header.profile = "recommended";
  header.first_seed = first_seed;
  header.seed_count = seeds;
  std::vector<SeedResult> results;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    SeedResult result;
    result.seed = seed;
    result.trace_hash = "0000000000000001";
    result.metrics["elections_per_min"] = static_cast<double>(seed % 7) + 3.0 + shift;
    result.metrics["produce.lost_acked"] = seed == first_seed ? lost : 0;
    results.push_back(result);
  }
  return sweep_json(header, results);
}

GateSpec spec() {
  const nlohmann::json document = {
      {"gates",
       {{"thresholds",
         {{{"metric", "elections_per_min"},
           {"stat", "p99"},
           {"op", "<="},
           {"baseline_plus_percent", 10}},
          {{"metric", "produce.lost_acked"}, {"stat", "max"}, {"op", "=="}, {"bound", 0}}}}}}};
  return gate_spec_from_json(document, "x.json");
}

}  // namespace

TEST_CASE("gates: default significance 0.01, names derived from the threshold") {
  const GateSpec gates = spec();
  CHECK(gates.significance == 0.01);
  REQUIRE(gates.thresholds.size() == 2);
  CHECK(gates.thresholds[0].name == "elections_per_min p99 <= baseline + 10 %");
  CHECK(gates.thresholds[1].name == "produce.lost_acked max == 0");
  CHECK(gate_spec_from_json(nlohmann::json::object(), "x.json").thresholds.empty());
  const nlohmann::json both = {{"gates",
                                {{"thresholds",
                                  {{{"metric", "m"},
                                    {"stat", "p99"},
                                    {"op", "<="},
                                    {"bound", 1},
                                    {"baseline_plus_percent", 10}}}}}}};
  CHECK_THROWS_AS(gate_spec_from_json(both, "x.json"), InputError);
}

TEST_CASE("a significant rise past baseline + 10 % fails; the same sweep passes") {
  const auto same = compare_sweeps(sweep(20, 0), sweep(20, 0), spec(), "x.json");
  CHECK(same["passed"] == true);
  CHECK(same["pairs"] == 20);
  CHECK(same["metrics"]["elections_per_min"]["p_value"] == 1.0);
  const auto worse = compare_sweeps(sweep(20, 0), sweep(20, 5), spec(), "x.json");
  CHECK(worse["passed"] == false);
  CHECK(worse["thresholds"][0]["verdict"] == "fail");
  CHECK(worse["thresholds"][0]["baseline"] == 9);
  CHECK(worse["thresholds"][0]["candidate"] == 14);
  CHECK(worse["thresholds"][0]["bound"] == doctest::Approx(9.9));
  CHECK(worse["thresholds"][0]["p_value"].get<double>() < 1e-5);
  CHECK(worse["thresholds"][1]["verdict"] == "pass");
  std::ostringstream markdown;
  print_gate_markdown(markdown, worse);
  CHECK(markdown.str().find("**FAIL**") != std::string::npos);
  CHECK(markdown.str().find("| elections_per_min p99 <= baseline + 10 % | <= 9.9 | 9 | 14 | +5 "
                            "(+55.6 %)") != std::string::npos);
  // An improvement does not cross an upper bound.
  CHECK(compare_sweeps(sweep(20, 0), sweep(20, -2), spec(), "x.json")["passed"] == true);
}

TEST_CASE("a relative threshold crossed without significance passes; an absolute one fails") {
  // Three pairs cannot reach p < 0.01 (the smallest exact p is 0.25).
  const auto few = compare_sweeps(sweep(3, 0), sweep(3, 5), spec(), "x.json");
  CHECK(few["thresholds"][0]["verdict"] == "crossed, not significant");
  CHECK(few["passed"] == true);
  // One lost record on one seed: max == 0 is crossed, no test needed.
  const auto lost = compare_sweeps(sweep(3, 0), sweep(3, 0, 1), spec(), "x.json");
  CHECK(lost["thresholds"][1]["verdict"] == "fail");
  CHECK(lost["passed"] == false);
}

TEST_CASE("unpaired sweeps and unknown metrics are bad input") {
  CHECK_THROWS_AS(compare_sweeps(sweep(20, 0), sweep(20, 0, 0, 2), spec(), "x.json"), InputError);
  CHECK_THROWS_AS(compare_sweeps(sweep(20, 0), sweep(21, 0), spec(), "x.json"), InputError);
  GateSpec unknown = spec();
  unknown.thresholds[0].metric = "no_such_metric";
  CHECK_THROWS_AS(compare_sweeps(sweep(20, 0), sweep(20, 0), unknown, "x.json"), InputError);
}
