#include "broker/timing.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "sim/hash.h"

namespace simrun::broker {

TEST_CASE("as_written divides the millisecond timeouts by the tick interval") {
  BrokerConfig config;  // 100 ms ticks, 1000 ms election, 100 ms heartbeat (etcd's)
  const TickCounts counts = tick_counts(config, "__meta");
  CHECK(counts.election_ticks == 10);
  CHECK(counts.heartbeat_ticks == 1);
  CHECK(tick_interval_ns(config) == sim::millis(100));

  config.tick_interval_ms = 10;
  const TickCounts fine = tick_counts(config, "__meta");
  CHECK(fine.election_ticks == 100);
  CHECK(fine.heartbeat_ticks == 10);

  config.tick_interval_ms = 50;
  config.election_timeout_ms = 500;
  config.heartbeat_interval_ms = 20;  // shorter than a tick: still one tick
  const TickCounts coarse = tick_counts(config, "__meta");
  CHECK(coarse.election_ticks == 10);
  CHECK(coarse.heartbeat_ticks == 1);
}

TEST_CASE("legacy formula: 500/100 gives 5..9 election ticks and a one-tick heartbeat") {
  BrokerConfig config = profile("v1.3.67");
  REQUIRE(config.tick_conversion == TickConversion::legacy_formula);
  std::set<int> seen;
  for (int partition = 0; partition < 64; ++partition) {
    const std::string group = "orders/" + std::to_string(partition);
    const TickCounts counts = tick_counts(config, group);
    // Exactly the documented formula, independently recomputed.
    const auto expected = 5 + static_cast<int>(sim::hash_string(group) % 5);
    CHECK(counts.election_ticks == expected);
    CHECK(counts.election_ticks >= 5);
    CHECK(counts.election_ticks <= 9);
    CHECK(counts.heartbeat_ticks == 1);
    seen.insert(counts.election_ticks);
  }
  // The hash spreads groups over the range rather than pinning one value.
  CHECK(seen.size() >= 3);
  // With 10 ms ticks the "100 ms heartbeat" really is 10 ms.
  CHECK(tick_interval_ns(config) * tick_counts(config, "__meta").heartbeat_ticks ==
        sim::millis(10));
}

TEST_CASE("legacy formula: the v2.0.0 fix 3000/150 gives base 20, so 20..39 ticks") {
  BrokerConfig config = profile("v2.0.0");
  for (int partition = 0; partition < 64; ++partition) {
    const std::string group = "t/" + std::to_string(partition);
    const TickCounts counts = tick_counts(config, group);
    CHECK(counts.election_ticks == 20 + static_cast<int>(sim::hash_string(group) % 20));
    CHECK(counts.heartbeat_ticks == 1);
  }
}
TEST_CASE("timing_problem: a combination Raft cannot run is named, a valid one is not") {
  BrokerConfig config;  // 100 ms ticks, 1000 ms election, 100 ms heartbeat
  CHECK_FALSE(timing_problem(config).has_value());
  config.election_timeout_ms = 150;  // one tick, like the heartbeat
  const auto problem = timing_problem(config);
  REQUIRE(problem.has_value());
  CHECK(problem->knob == "raft.election_timeout_ms");
  CHECK(problem->message.find("at least 200") != std::string::npos);
  config.election_timeout_ms = 200;  // two ticks against one: runs
  CHECK_FALSE(timing_problem(config).has_value());
  for (int group = 0; group < 8; ++group) {
    const TickCounts counts = tick_counts(config, "t/" + std::to_string(group));
    CHECK(counts.election_ticks > counts.heartbeat_ticks);
  }

  BrokerConfig legacy = profile("v1.3.67");
  CHECK_FALSE(timing_problem(legacy).has_value());
  legacy.election_timeout_ms = legacy.heartbeat_interval_ms + 1;  // base 1: one election tick
  REQUIRE(timing_problem(legacy).has_value());
  CHECK(tick_counts(legacy, "__meta").election_ticks == 1);
  legacy.election_timeout_ms = 2 * legacy.heartbeat_interval_ms;
  CHECK_FALSE(timing_problem(legacy).has_value());
}

}  // namespace simrun::broker
