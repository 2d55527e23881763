#include "tools/simrun/materialise.h"

#include <doctest/doctest.h>

#include "tools/simrun/runner.h"
#include "tools/simrun/scenario_loader.h"

using namespace simrun::cli;

namespace {

// three_node_churn plus a nemesis: random crashes and disk stalls.
constexpr const char* kNemesis =
    R"(nemesis={"from": "5s", "to": "50s", "kinds": [)"
    R"({"action": "crash", "mean_interval": "9s", "duration": "2s"},)"
    R"({"action": "disk_stall", "mean_interval": "6s", "duration": "300ms", "targets": ["random"]}]})";

Scenario churn_with_nemesis(std::uint64_t seed, const std::vector<std::string>& sets) {
  LoadOptions options;
  options.seed = seed;
  options.overrides.push_back(parse_override(kNemesis));
  for (const auto& set : sets) options.overrides.push_back(parse_override(set));
  return load_scenario_file("scenarios/three_node_churn.json", options);
}

nlohmann::json timeline(const Scenario& scenario) {
  return faults_json(materialised_schedule(scenario), scenario.cluster.nodes);
}

}  // namespace

TEST_CASE("stable seeds: Raft and broker timing settings leave the fault schedule unchanged") {
  const nlohmann::json base = timeline(churn_with_nemesis(7, {}));
  REQUIRE(base.size() > 8);  // the file's 6 faults and some nemesis faults
  for (const char* timing :
       {"cluster.raft.election_timeout_ms=300", "cluster.raft.tick_interval_ms=10",
        "cluster.raft.heartbeat_interval_ms=50", "cluster.raft.tick_conversion=legacy_formula",
        "cluster.broker.ready_mode=inline_sequential", "cluster.broker.produce_timeout_ms=30000",
        "cluster.profile=v1.3.67", "network.latency.median_ms=5"}) {
    CAPTURE(timing);
    CHECK(timeline(churn_with_nemesis(7, {timing})) == base);
  }
  // The schedule does depend on the seed (else the check above proves nothing).
  CHECK(timeline(churn_with_nemesis(8, {})) != base);
}

TEST_CASE("the written-out timeline: explicit times, 'random' resolved to a node") {
  const Scenario scenario = churn_with_nemesis(7, {});
  const nlohmann::json document = materialised_document(scenario);
  CHECK_FALSE(document.contains("nemesis"));
  CHECK(document["seed"] == 7);
  CHECK(document["duration"] == "1m");
  bool saw_random_target = false;
  for (const auto& fault : document["faults"]) {
    if (!fault.contains("targets")) continue;
    for (const auto& target : fault["targets"]) {
      CHECK(target != "random");
      if (fault["action"] == "crash") saw_random_target = true;
    }
  }
  CHECK(saw_random_target);
  // It loads as a plain scenario.
  CHECK(load_scenario_text(document.dump(), "materialised.json", LoadOptions{}).faults.size() ==
        document["faults"].size());
}

TEST_CASE("the written-out timeline runs the same faults: the same metrics") {
  const Scenario scenario = churn_with_nemesis(7, {});
  const RunOutcome original = run_scenario(scenario, RunOptions{});
  const Scenario explicit_faults = load_scenario_text(materialised_document(scenario).dump(),
                                                      "materialised.json", LoadOptions{});
  CHECK_FALSE(explicit_faults.nemesis.has_value());
  const RunOutcome again = run_scenario(explicit_faults, RunOptions{});
  CHECK(again.faults_applied == original.faults_applied);
  CHECK(again.faults_skipped == original.faults_skipped);
  // The trace differs only in each fault's "origin" label; what happened
  // is the same.
  CHECK(to_json(again.metrics) == to_json(original.metrics));
}
