#pragma once
// The in-memory Raft log of one node: a snapshot boundary followed by
// contiguous entries, plus the bookkeeping of how far the log has been handed
// to storage (unstable_from), made durable (stable), committed, handed to the
// application (applying) and applied (applied).
//
// Invariants (checked by check_invariants, which runs on every mutation):
//   snapshot.index <= applied <= applying <= committed <= last_index
//   stable <= last_index, unstable_from <= last_index + 1
//   entries_[i].index == snapshot.index + 1 + i, terms non-decreasing.

#include <cstddef>
#include <deque>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "raft/types.h"

namespace simrun::raft {

class Log {
 public:
  // An empty log (no snapshot, no entries).
  Log() = default;
  // The log a node recovered from disk. Everything restored counts as
  // stable (so the snapshot's image stays in storage); `commit` is clamped
  // into [snapshot index, last index] because a commit index beyond the
  // recovered log cannot be trusted.
  Log(SnapshotMeta snapshot, std::vector<Entry> entries, Index commit);

  Index first_index() const { return snapshot_meta_.index + 1; }
  Index last_index() const { return snapshot_meta_.index + entries_.size(); }
  Term last_term() const;
  // Term at `index`, including the snapshot boundary; nullopt when compacted
  // away or beyond the last index.
  std::optional<Term> term_at(Index index) const;
  const Entry* entry_at(Index index) const;
  bool match_term(Index index, Term term) const;
  // Section 5.4.1: is a log ending at (last_term, last_index) at least as
  // up to date as ours?
  bool is_up_to_date(Index candidate_last_index, Term candidate_last_term) const;

  // The index of the first entry of `entries` whose term differs from ours,
  // or that we do not have; 0 when all of them are already present.
  Index find_conflict(std::span<const Entry> entries) const;
  // Fast back-off (thesis 5.3): the largest index <= `index` whose term is
  // <= `term`, with that term. (index, 0) when that part is compacted.
  std::pair<Index, Term> find_conflict_by_term(Index index, Term term) const;

  // Appends entries that start at or below last_index + 1, dropping our
  // entries from entries.front().index on. Returns true when existing
  // entries were removed. The caller ensures nothing committed is removed.
  bool truncate_and_append(std::span<const Entry> entries);
  void append(Entry entry);

  // Entries in [low, high_exclusive), at most max_count of them.
  std::vector<Entry> slice(Index low, Index high_exclusive, std::size_t max_count) const;

  Index committed() const { return committed_; }
  void commit_to(Index index);  // never moves backwards

  Index applied() const { return applied_; }
  Index applying() const { return applying_; }
  Index stable() const { return stable_; }

  // --- Ready bookkeeping -------------------------------------------------
  bool has_unstable_entries() const { return unstable_from_ <= last_index(); }
  std::vector<Entry> take_unstable_entries();  // marks them as handed out
  bool has_next_committed() const { return committed_ > applying_; }
  std::vector<Entry> take_next_committed(std::size_t max_count);
  bool has_pending_snapshot() const { return pending_snapshot_.has_value(); }
  std::optional<Snapshot> take_pending_snapshot();
  // Storage acknowledged entries up to (index, term). Ignored when the log
  // changed in between so that (index, term) is no longer ours.
  void stable_to(Index index, Term term);
  // The received snapshot through `index` is durable: its image, held since
  // restore() for a send before then, is dropped (storage has it now).
  void stable_snapshot_to(Index index);
  void applied_to(Index index);

  // --- Snapshots ---------------------------------------------------------
  // The log holds a snapshot's metadata, not its image: the image of a
  // durable snapshot is in storage (Config::snapshot_source reads it), and
  // a second copy here held the whole state machine again (issue 12). Only
  // a snapshot received from the leader is held, from restore() until it is
  // durable (stable_snapshot_to), since storage does not have it before.
  //
  // The application compacted its state machine up to `index` (<= applied)
  // and stored that snapshot: drop the log prefix.
  void compact(Index index, std::vector<NodeId> voters);
  // A snapshot received from the leader replaces the whole log.
  void restore(Snapshot snapshot);
  const SnapshotMeta& snapshot_meta() const { return snapshot_meta_; }
  // The image of the snapshot at snapshot_meta() while the log holds it
  // (received, not yet durable); nullptr when storage has it.
  const Bytes* held_snapshot_image() const { return held_image_ ? &*held_image_ : nullptr; }
  std::size_t entry_count() const { return entries_.size(); }

  void check_invariants() const;

 private:
  SnapshotMeta snapshot_meta_;  // index == 0: none
  std::optional<Bytes> held_image_;
  std::deque<Entry> entries_;  // deque: compaction pops the front cheaply
  Index committed_ = 0;
  Index applying_ = 0;       // highest index handed out as committed
  Index applied_ = 0;        // highest index acknowledged as applied by advance()
  Index stable_ = 0;         // highest index known durable
  Index unstable_from_ = 1;  // first index not yet handed out for storage
  std::optional<Snapshot> pending_snapshot_;
};

}  // namespace simrun::raft
