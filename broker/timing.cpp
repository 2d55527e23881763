#include "broker/timing.h"

#include <algorithm>

#include "sim/assert.h"
#include "sim/hash.h"

namespace simrun::broker {

namespace {

int clamp_ticks(std::int64_t ticks) {
  // A tick count must be positive and fit Raft's int; a nonsensical
  // configuration is a programmer error in the scenario, caught early.
  SIMRUN_ASSERT(ticks < (std::int64_t{1} << 30), "tick count out of range");
  return static_cast<int>(std::max<std::int64_t>(ticks, 1));
}

}  // namespace

TickCounts tick_counts(const BrokerConfig& config, std::string_view group_name) {
  SIMRUN_ASSERT(config.tick_interval_ms > 0, "tick_interval_ms must be positive");
  SIMRUN_ASSERT(config.election_timeout_ms > 0, "election_timeout_ms must be positive");
  SIMRUN_ASSERT(config.heartbeat_interval_ms > 0, "heartbeat_interval_ms must be positive");
  TickCounts counts;
  switch (config.tick_conversion) {
    case TickConversion::as_written:
      counts.election_ticks = clamp_ticks(config.election_timeout_ms / config.tick_interval_ms);
      counts.heartbeat_ticks = clamp_ticks(config.heartbeat_interval_ms / config.tick_interval_ms);
      break;
    case TickConversion::legacy_formula: {
      // The legacy code hashed the group ("topic, partition") to spread
      // election timeouts, but forgot the tick interval entirely.
      const std::int64_t base =
          std::max<std::int64_t>(config.election_timeout_ms / config.heartbeat_interval_ms, 1);
      const auto spread = static_cast<std::int64_t>(sim::hash_string(group_name) %
                                                    static_cast<std::uint64_t>(base));
      counts.election_ticks = clamp_ticks(base + spread);
      counts.heartbeat_ticks = 1;
      break;
    }
  }
  SIMRUN_ASSERT(counts.heartbeat_ticks >= 1 && counts.election_ticks >= 1, "ticks positive");
  return counts;
}

sim::duration_ns tick_interval_ns(const BrokerConfig& config) {
  SIMRUN_ASSERT(config.tick_interval_ms > 0, "tick_interval_ms must be positive");
  return sim::millis(config.tick_interval_ms);
}

}  // namespace simrun::broker
