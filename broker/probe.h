#pragma once
// Coverage probes of the broker's rare paths (see sim/coverage.h and, for
// the Raft core's, raft/probe.h). hit() counts one in the run's coverage
// under "broker.<name>"; the Raft core's are counted as "raft.<name>".

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "raft/probe.h"

namespace simrun::sim {
class Env;
}

namespace simrun::broker {

enum class Probe : std::uint8_t {
  call_reset_in_flight,         // a peer crashed with our RPC outstanding
  metadata_retry_exhausted,     // a partition assignment write gave up
  metadata_retried,             // a partition assignment write was retried
  metadata_queue_full,          // the metadata handler dropped a job
  unknown_group_buffered,       // a message for a group we lack, kept
  unknown_group_dropped,        // a message for a group we lack, dropped
  pending_failed_on_step_down,  // proposals failed as leadership was lost
  inbox_full_drop,              // a Raft group's inbox overflowed
  snapshot_restored_at_apply,   // the apply path restored a leader's snapshot
  snapshot_taken,               // a node compacted its log into a snapshot
};

inline constexpr std::array kAllProbes = {
    Probe::call_reset_in_flight,
    Probe::metadata_retry_exhausted,
    Probe::metadata_retried,
    Probe::metadata_queue_full,
    Probe::unknown_group_buffered,
    Probe::unknown_group_dropped,
    Probe::pending_failed_on_step_down,
    Probe::inbox_full_drop,
    Probe::snapshot_restored_at_apply,
    Probe::snapshot_taken,
};

const char* to_string(Probe probe);
// "broker.<name>" and "raft.<name>": the names coverage counts.
std::string probe_name(Probe probe);
std::string probe_name(raft::Probe probe);
// The one table of every probe name a run can hit, in a fixed order.
std::vector<std::string> all_probe_names();

void hit(sim::Env& env, Probe probe);
void hit(sim::Env& env, raft::Probe probe);

}  // namespace simrun::broker
