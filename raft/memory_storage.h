#pragma once
// MemoryStorage: the durable state of one Raft node kept in memory, for the
// test harnesses (interaction transcripts, the property test, the test
// network) and the benchmark. It implements the storage side of the
// persistence contract in raft/raft.h: a Ready's snapshot, then its entries,
// then its hard state, all at once; restored() is what a restart reads back.
//
// It checks what a real disk layer would rely on (a snapshot only moves
// forward, entries stay contiguous after the snapshot point) and throws
// std::runtime_error when a Ready breaks it, so a harness can report the
// failure with its seed or transcript line instead of aborting.
//
// Pure: no clock, no I/O, no randomness.

#include <optional>
#include <vector>

#include "raft/raft.h"
#include "raft/types.h"

namespace simrun::raft {

class MemoryStorage {
 public:
  // Persists rd's snapshot, then its entries, then its hard state. A
  // snapshot drops the stored log through its index, except that a suffix
  // which continues from the snapshot point (same index and term) is kept.
  // Entries replace any stored entries at the same or a higher index
  // (a follower's conflicting suffix, section 5.3).
  void persist(const Ready& rd);

  // The application compacted its state machine through `index` into
  // `image` (raft/raft.h Raft::compact): store that snapshot and drop the
  // entries it covers. `index` must be a stored entry above the current
  // snapshot. Returns the new snapshot.
  const Snapshot& compact(Index index, Bytes image, std::vector<NodeId> voters);

  // Replaces the durable hard state outright, as a disk that lost a write
  // would. Only for harnesses that deliberately break the contract.
  void overwrite_hard_state(const HardState& hard_state) { hard_state_ = hard_state; }
  // Drops every stored entry above `index`, as a disk whose synced log was
  // corrupted and cut at load would. Only for harnesses.
  void lose_entries_after(Index index) {
    while (!entries_.empty() && entries_.back().index > index) entries_.pop_back();
  }

  // What a node restarting from this storage recovers.
  RestoredState restored() const { return RestoredState{hard_state_, snapshot_, entries_}; }

  const HardState& hard_state() const { return hard_state_; }
  const Snapshot& snapshot() const { return snapshot_; }
  const std::vector<Entry>& entries() const { return entries_; }  // from snapshot index + 1
  // Last stored index: the last entry's, or the snapshot's when the log is empty.
  Index last_index() const;
  // Term of the stored entry at `index` (or of the snapshot point);
  // nullopt when this storage does not hold it.
  std::optional<Term> term_at(Index index) const;

 private:
  HardState hard_state_;
  Snapshot snapshot_;           // meta.index == 0 when there is none
  std::vector<Entry> entries_;  // contiguous from snapshot_.meta.index + 1
};

}  // namespace simrun::raft
