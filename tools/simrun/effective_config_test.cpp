#include "tools/simrun/effective_config.h"

#include <doctest/doctest.h>

#include "broker/config_json.h"
#include "tools/simrun/report.h"
#include "tools/simrun/runner.h"
#include "tools/simrun/scenario_loader.h"

namespace simrun::cli {
namespace {

TEST_CASE("the effective configuration lists every knob, the profile and what differs from it") {
  broker::BrokerConfig config = broker::profile("v2.0.0");
  config.pre_vote = true;
  config.metadata_retry.max_attempts = 9;
  const auto json = effective_config_json(
      "v2.0.0",
      {parse_override("cluster.profile=v2.0.0"), parse_override("cluster.raft.pre_vote=true"),
       parse_override("faults.0.at=1s")},
      nlohmann::json{{"raft", {{"pre_vote", true}}}}, config);
  CHECK(json["profile"] == "v2.0.0");
  CHECK(json["overrides"] ==
        nlohmann::json{{"cluster.profile", "v2.0.0"}, {"cluster.raft.pre_vote", true}});
  CHECK(json["scenario_knobs"]["raft"]["pre_vote"] == true);
  CHECK(json["differs_from_profile"] ==
        nlohmann::json{"broker.metadata_retry.max_attempts", "raft.pre_vote"});
  // Every knob, with its value: the profile's where nothing overrode it.
  const auto all = broker::config_to_json(config);
  CHECK(json["raft"] == all["raft"]);
  CHECK(json["broker"] == all["broker"]);
  CHECK(json["raft"]["election_timeout_ms"] == 3000);
  CHECK(json["broker"]["ready_mode"] == "v2_spawned_apply");
}

TEST_CASE("summary.json of a run carries the configuration it ran with") {
  LoadOptions options;
  options.duration_ms = 2000;
  options.overrides = {parse_override("cluster.profile=v1.3.67"),
                       parse_override("cluster.raft.check_quorum=true")};
  const Scenario scenario = load_scenario_file("scenarios/three_node_churn.json", options);
  const auto summary = summary_json(run_scenario(scenario, {}));
  const auto& config = summary.at("config");
  CHECK(config["profile"] == "v1.3.67");
  CHECK(config["overrides"]["cluster.raft.check_quorum"] == true);
  CHECK(config["raft"]["check_quorum"] == true);
  CHECK(config["raft"]["tick_interval_ms"] == 10);        // v1.3.67's
  CHECK(config["broker"]["produce_timeout_ms"] == 5000);  // the scenario file's
  CHECK(config["scenario_knobs"]["broker"]["produce_timeout_ms"] == 5000);
  CHECK(config["differs_from_profile"] ==
        nlohmann::json{"broker.produce_timeout_ms", "raft.check_quorum"});
}

TEST_CASE("an unchanged profile differs from itself in nothing") {
  for (const std::string& name : broker::profile_names()) {
    const auto json =
        effective_config_json(name, {}, nlohmann::json::object(), broker::profile(name));
    CHECK(json["differs_from_profile"].empty());
    CHECK(json["overrides"].empty());
  }
}

}  // namespace
}  // namespace simrun::cli
