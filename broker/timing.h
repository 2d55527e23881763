#pragma once
// Mechanism 1 of the field report: how the configured millisecond timeouts
// become Raft tick counts. Protocol time is counted in ticks (raft/); only the
// node runtime maps ticks to time, and this is that mapping.
//
//  - as_written: election_ticks = election_timeout_ms / tick_interval_ms and
//    heartbeat_ticks = heartbeat_interval_ms / tick_interval_ms (each >= 1),
//    so "1000 ms / 100 ms" with 10 ms ticks is 100 / 10 ticks.
//  - legacy_formula (v1.3.67, v2.0.0): base = election_ms / heartbeat_ms;
//    election_ticks = base + hash(group) % base; heartbeat_ticks = 1. The
//    tick interval plays no part, so "500 / 100" with 10 ms ticks is 5..9
//    election ticks (50-90 ms, randomised by Raft to 50-180 ms) and a 10 ms
//    heartbeat.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/config.h"
#include "sim/time.h"

namespace simrun::broker {

struct TickCounts {
  int election_ticks = 1;
  int heartbeat_ticks = 1;
};

TickCounts tick_counts(const BrokerConfig& config, std::string_view group_name);

// Why `config` cannot run: Raft (raft/raft.cpp) requires election_ticks >
// heartbeat_ticks for every group, and tick_counts can break that for
// timeouts that are each in range (a 150 ms election timeout with 100 ms
// ticks and a 100 ms heartbeat is one tick each). `knob` names the setting
// to change ("raft.election_timeout_ms"); nullopt when every group can run.
// Input validation calls this so a bad combination is exit 2, not an
// assertion inside raft/.
struct TimingProblem {
  std::string knob;
  std::string message;
};
std::optional<TimingProblem> timing_problem(const BrokerConfig& config);

// The driver loop's tick period (>= 1 ms).
sim::duration_ns tick_interval_ns(const BrokerConfig& config);

}  // namespace simrun::broker
