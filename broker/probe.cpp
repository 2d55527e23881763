#include "broker/probe.h"

#include "sim/assert.h"
#include "sim/env.h"
#include "sim/world.h"

namespace simrun::broker {

const char* to_string(Probe probe) {
  switch (probe) {
    case Probe::call_reset_in_flight:
      return "call_reset_in_flight";
    case Probe::metadata_retry_exhausted:
      return "metadata_retry_exhausted";
    case Probe::metadata_retried:
      return "metadata_retried";
    case Probe::metadata_queue_full:
      return "metadata_queue_full";
    case Probe::unknown_group_buffered:
      return "unknown_group_buffered";
    case Probe::unknown_group_dropped:
      return "unknown_group_dropped";
    case Probe::pending_failed_on_step_down:
      return "pending_failed_on_step_down";
    case Probe::inbox_full_drop:
      return "inbox_full_drop";
    case Probe::snapshot_restored_at_apply:
      return "snapshot_restored_at_apply";
    case Probe::snapshot_taken:
      return "snapshot_taken";
  }
  return "unknown";
}

std::string probe_name(Probe probe) { return std::string("broker.") + to_string(probe); }
std::string probe_name(raft::Probe probe) { return std::string("raft.") + raft::to_string(probe); }

std::vector<std::string> all_probe_names() {
  std::vector<std::string> names;
  for (raft::Probe probe : raft::kAllProbes) names.push_back(probe_name(probe));
  for (Probe probe : kAllProbes) names.push_back(probe_name(probe));
  return names;
}

namespace {

// Names built once, so a hit on a hot path does not allocate.
template <typename ProbeKind, std::size_t N>
const std::string& cached_name(const std::array<ProbeKind, N>& all, ProbeKind probe) {
  static const std::array<std::string, N> names = [&all] {
    std::array<std::string, N> built;
    for (std::size_t i = 0; i < N; ++i) {
      SIMRUN_ASSERT(static_cast<std::size_t>(all[i]) == i, "probe tables list enums in order");
      built[i] = probe_name(all[i]);
    }
    return built;
  }();
  return names[static_cast<std::size_t>(probe)];
}

}  // namespace

void hit(sim::Env& env, Probe probe) { env.world().coverage().hit(cached_name(kAllProbes, probe)); }
void hit(sim::Env& env, raft::Probe probe) {
  env.world().coverage().hit(cached_name(raft::kAllProbes, probe));
}

}  // namespace simrun::broker
