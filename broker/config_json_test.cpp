#include "broker/config_json.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace simrun::broker {
namespace {

using nlohmann::json;

std::string error_of(const json& value, BrokerConfig base = {}) {
  try {
    (void)config_from_json(value, base);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST_CASE("every profile round-trips through JSON unchanged") {
  for (const auto& name : profile_names()) {
    CAPTURE(name);
    const BrokerConfig original = profile(name);
    const json written = config_to_json(original);
    // Overlay onto a config that differs from the profile, so every field
    // really has to be read back.
    const BrokerConfig read = config_from_json(written, profile("v1.3.67"));
    CHECK(config_to_json(read) == written);
  }
  // The profiles really differ, so the round trip above is not vacuous.
  CHECK(config_to_json(profile("recommended")) != config_to_json(profile("v1.3.67")));
}

TEST_CASE("an overlay changes only the keys it names") {
  const json overlay = json::parse(R"({
    "raft": {"election_timeout_ms": 3000, "tick_conversion": "legacy_formula", "pre_vote": false},
    "broker": {"ready_mode": "v2_spawned_apply",
               "metadata_retry": {"max_attempts": 5, "delays_ms": [100, 200, 400, 800]}}
  })");
  const BrokerConfig config = config_from_json(overlay, profile("recommended"));
  CHECK(config.election_timeout_ms == 3000);
  CHECK(config.tick_conversion == TickConversion::legacy_formula);
  CHECK_FALSE(config.pre_vote);
  CHECK(config.ready_mode == ReadyMode::v2_spawned_apply);
  CHECK(config.metadata_retry.max_attempts == 5);
  CHECK(config.metadata_retry.delays_ms == std::vector<std::int64_t>{100, 200, 400, 800});
  // Untouched fields keep the base profile's values.
  CHECK(config.heartbeat_interval_ms == BrokerConfig{}.heartbeat_interval_ms);
  CHECK(config.metadata_retry.per_try_timeout_ms == RetryPolicy{}.per_try_timeout_ms);
  CHECK(config.check_quorum);
}

TEST_CASE("unknown keys are errors that name the key") {
  CHECK(error_of(json::parse(R"({"raft": {"election_timeout": 10}})")) ==
        "cluster.raft.election_timeout: unknown key");
  CHECK(error_of(json::parse(R"({"broker": {"metadata_retry": {"attempts": 3}}})")) ==
        "cluster.broker.metadata_retry.attempts: unknown key");
  CHECK(error_of(json::parse(R"({"brokers": {}})")) == "cluster.brokers: unknown key");
}

TEST_CASE("wrong types and unknown enum names are errors that name the key") {
  CHECK(error_of(json::parse(R"({"raft": {"pre_vote": 1}})")) ==
        "cluster.raft.pre_vote: expected true or false");
  CHECK(error_of(json::parse(R"({"raft": {"tick_interval_ms": 2.5}})")) ==
        "cluster.raft.tick_interval_ms: expected an integer");
  CHECK(error_of(json::parse(R"({"broker": {"metadata_retry": {"delays_ms": [1, "x"]}}})")) ==
        "cluster.broker.metadata_retry.delays_ms[1]: expected an integer");
  const std::string bad_enum = error_of(json::parse(R"({"broker": {"ready_mode": "fast"}})"));
  CHECK(bad_enum.find("cluster.broker.ready_mode") == 0);
  CHECK(bad_enum.find("pipelined") != std::string::npos);
  CHECK(error_of(json::parse(R"({"raft": {"tick_interval_ms": 0}})"))
            .find("cluster.raft.tick_interval_ms: expected an integer in") == 0);
  CHECK(error_of(json::parse(R"({"raft": []})")) == "cluster.raft: expected an object");
}

}  // namespace
}  // namespace simrun::broker
