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

std::optional<TimingProblem> timing_problem(const BrokerConfig& config) {
  SIMRUN_ASSERT(config.tick_interval_ms > 0 && config.election_timeout_ms > 0 &&
                    config.heartbeat_interval_ms > 0,
                "the knob limits keep every timing knob positive");
  switch (config.tick_conversion) {
    case TickConversion::as_written: {
      const std::int64_t election =
          std::max<std::int64_t>(config.election_timeout_ms / config.tick_interval_ms, 1);
      const std::int64_t heartbeat =
          std::max<std::int64_t>(config.heartbeat_interval_ms / config.tick_interval_ms, 1);
      if (election > heartbeat) return std::nullopt;
      return TimingProblem{
          "raft.election_timeout_ms",
          "expected an election timeout of more ticks than the heartbeat interval: " +
              std::to_string(config.election_timeout_ms) + " ms is " + std::to_string(election) +
              " tick(s) of " + std::to_string(config.tick_interval_ms) + " ms, the heartbeat " +
              std::to_string(config.heartbeat_interval_ms) + " ms is " + std::to_string(heartbeat) +
              " (raise election_timeout_ms to at least " +
              std::to_string((heartbeat + 1) * config.tick_interval_ms) +
              " or lower tick_interval_ms)"};
    }
    case TickConversion::legacy_formula: {
      // election ticks are base + hash % base with a one-tick heartbeat; a
      // group whose spread is 0 gets exactly base, so base must be >= 2.
      const std::int64_t base = config.election_timeout_ms / config.heartbeat_interval_ms;
      if (base >= 2) return std::nullopt;
      return TimingProblem{
          "raft.election_timeout_ms",
          "expected an election timeout of at least twice the heartbeat interval under "
          "tick_conversion legacy_formula (election ticks = election_timeout_ms / "
          "heartbeat_interval_ms, heartbeat 1 tick): " +
              std::to_string(config.election_timeout_ms) + " ms / " +
              std::to_string(config.heartbeat_interval_ms) + " ms gives " +
              std::to_string(std::max<std::int64_t>(base, 1)) + " tick(s)"};
    }
  }
  SIMRUN_ASSERT(false, "a TickConversion value outside the enum");
  return std::nullopt;
}

sim::duration_ns tick_interval_ns(const BrokerConfig& config) {
  SIMRUN_ASSERT(config.tick_interval_ms > 0, "tick_interval_ms must be positive");
  return sim::millis(config.tick_interval_ms);
}

}  // namespace simrun::broker
