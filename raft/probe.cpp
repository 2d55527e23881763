#include "raft/probe.h"

namespace simrun::raft {

const char* to_string(Probe probe) {
  switch (probe) {
    case Probe::split_vote:
      return "split_vote";
    case Probe::election_lost:
      return "election_lost";
    case Probe::pre_vote_rejected:
      return "pre_vote_rejected";
    case Probe::vote_rejected_stale_log:
      return "vote_rejected_stale_log";
    case Probe::vote_rejected_leader_lease:
      return "vote_rejected_leader_lease";
    case Probe::check_quorum_step_down:
      return "check_quorum_step_down";
    case Probe::stale_leader_step_down:
      return "stale_leader_step_down";
    case Probe::stale_leader_told:
      return "stale_leader_told";
    case Probe::conflict_truncation:
      return "conflict_truncation";
    case Probe::commit_waits_for_own_term:
      return "commit_waits_for_own_term";
    case Probe::snapshot_sent:
      return "snapshot_sent";
    case Probe::snapshot_installed:
      return "snapshot_installed";
    case Probe::leader_transfer:
      return "leader_transfer";
    case Probe::inflight_window_full:
      return "inflight_window_full";
    case Probe::commit_capped_at_last_new:
      return "commit_capped_at_last_new";
    case Probe::stale_snapshot_ignored:
      return "stale_snapshot_ignored";
  }
  return "unknown";
}

}  // namespace simrun::raft
