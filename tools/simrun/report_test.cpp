#include "tools/simrun/report.h"

#include <doctest/doctest.h>

#include <sstream>

using namespace simrun::cli;

TEST_CASE("the repro line carries seed, duration and shell-quoted overrides") {
  const std::vector<Override> overrides{parse_override("cluster.profile=v1.3.67"),
                                        parse_override("cluster.raft.pre_vote=false")};
  CHECK(repro_line("scenarios/x.json", 42, overrides, 0) ==
        "simrun scenarios/x.json --seed 42 --set 'cluster.profile=\"v1.3.67\"' "
        "--set 'cluster.raft.pre_vote=false'");
  CHECK(repro_line("x.json", 1, {}, 30'000) == "simrun x.json --seed 1 --duration 30s");
}

TEST_CASE("summary.json has the documented fields and a 16-digit hash") {
  RunOutcome outcome;
  outcome.scenario_file = "scenarios/x.json";
  outcome.seed = 3;
  outcome.trace_hash = 0xabcULL;
  outcome.overrides = {parse_override("cluster.nodes=5")};
  outcome.metrics.groups["__meta"].max_term = 4;
  outcome.assertions.push_back({"t", "max_term", "<=", "", 4, 5, true, {}});
  outcome.violations.push_back({"election_safety", 1200, "__meta", {1, 2}, "two leaders"});
  outcome.violation_count = 1;
  outcome.repro = "simrun scenarios/x.json --seed 3";
  const auto json = summary_json(outcome);
  CHECK(json["trace_hash"] == "0000000000000abc");
  CHECK(json["overrides"]["cluster.nodes"] == 5);
  CHECK(json["metrics"]["groups"]["__meta"]["max_term"] == 4);
  CHECK(json["assertions"][0]["bound"] == 5.0);
  CHECK(json["violations"][0]["time_ms"] == 1200);
  for (const char* key :
       {"scenario", "seed", "overrides", "passed", "trace_hash", "sim_time_ms", "wall_time_ms",
        "events", "metrics", "assertions", "violations", "repro"}) {
    CHECK(json.contains(key));
  }
}

TEST_CASE("the text summary shows FAIL lines, the first violation and ends with repro") {
  RunOutcome outcome;
  outcome.scenario_name = "x";
  outcome.assertions.push_back({"max_term <= 5", "max_term", "<=", "", 9, 5, false, {}});
  outcome.violations.push_back({"election_safety", 1200, "__meta", {1, 2}, "two leaders"});
  outcome.violation_count = 1;
  outcome.repro = "simrun x.json --seed 1";
  std::ostringstream full;
  print_summary(full, outcome, false);
  CHECK(full.str().find("FAIL max_term <= 5: 9 <= 5") != std::string::npos);
  CHECK(full.str().find("VIOLATION election_safety at 1200 ms in __meta on n1,n2") !=
        std::string::npos);
  CHECK(full.str().substr(full.str().size() - 30) == "repro: simrun x.json --seed 1\n");
  std::ostringstream quiet;
  print_summary(quiet, outcome, true);
  CHECK(quiet.str() == "FAIL\nrepro: simrun x.json --seed 1\n");
}
