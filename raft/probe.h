#pragma once
// Coverage probes (FoundationDB's CODE_PROBE): the rare paths of the Raft
// core, named, so that a run can tell which of them it reached and a sweep
// can report the ones no seed reached. The core stays pure: it calls the
// Config::probe hook it was given (the broker counts the hits per run);
// without a hook a probe does nothing.

#include <array>
#include <cstdint>

namespace simrun::raft {

enum class Probe : std::uint8_t {
  split_vote,                  // a candidate's election timed out undecided
  election_lost,               // a candidate saw a majority reject it
  pre_vote_rejected,           // a pre-candidate saw a majority reject it
  vote_rejected_stale_log,     // a vote refused: candidate's log behind (5.4.1)
  vote_rejected_leader_lease,  // a vote refused: a leader was heard recently
  check_quorum_step_down,      // a leader without a quorum's contact stepped down
  stale_leader_step_down,      // a leader saw a higher term and stepped down
  stale_leader_told,           // a stale leader's append answered with our term
  conflict_truncation,         // a follower dropped a conflicting suffix (5.3)
  commit_waits_for_own_term,   // a quorum holds an older-term entry only (5.4.2)
  snapshot_sent,               // a leader sent a snapshot to a lagging follower
  snapshot_installed,          // a follower installed a leader's snapshot
  leader_transfer,             // a node campaigned on a leader's timeout_now
  inflight_window_full,        // a leader paused appends to a follower (flow control)
  // The two guards against stale Raft messages (a delayed or duplicated
  // append or snapshot): the paths mutants 06 and 09 (tools/mutants/) break.
  commit_capped_at_last_new,  // an append's commit beyond its last new entry, log longer
  stale_snapshot_ignored,     // a snapshot at or below the commit index ignored
};

inline constexpr std::array kAllProbes = {
    Probe::split_vote,
    Probe::election_lost,
    Probe::pre_vote_rejected,
    Probe::vote_rejected_stale_log,
    Probe::vote_rejected_leader_lease,
    Probe::check_quorum_step_down,
    Probe::stale_leader_step_down,
    Probe::stale_leader_told,
    Probe::conflict_truncation,
    Probe::commit_waits_for_own_term,
    Probe::snapshot_sent,
    Probe::snapshot_installed,
    Probe::leader_transfer,
    Probe::inflight_window_full,
    Probe::commit_capped_at_last_new,
    Probe::stale_snapshot_ignored,
};

const char* to_string(Probe probe);

}  // namespace simrun::raft
