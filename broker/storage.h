#pragma once
// Durable state of one Raft group on its node's simulated disk:
//   raft/<group>/hard_state  encoded raft::HardState, replaced on each save
//   raft/<group>/log         append-only records, one per entry
//   raft/<group>/snapshot    encoded raft::Snapshot, replaced on each save
// A log record is length(u32 LE) | checksum(u64 LE, sim::hash_bytes) |
// encoded raft::Entry (raft/codec.h). The checksum makes a torn tail or a
// flipped bit detectable at load: the log is cut at the first bad record
// (counted in LoadReport), never trusted past it.
//
// Writes only reach the page cache; sync() is the fsync that makes them
// durable (the driver decides how often: once per Ready or once per entry).
//
// Mechanism 7: with persist_term_and_vote == false (legacy) the hard state
// file stores term 0 and no vote (only the commit index), so a restarted
// node comes back with term 0 and no vote and can vote twice in a term.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "raft/raft.h"
#include "sim/disk.h"

namespace simrun::broker {

struct LoadReport {
  std::uint64_t entries_loaded = 0;
  std::uint64_t bad_records = 0;      // the log was cut at the first one
  std::uint64_t bytes_discarded = 0;  // log bytes dropped from there on
  bool hard_state_corrupt = false;
  bool snapshot_corrupt = false;
  bool commit_clamped = false;  // stored commit lay beyond the recovered log
};

class GroupStorage {
 public:
  GroupStorage(sim::Disk& disk, std::string_view group, bool persist_term_and_vote);

  // Reads everything back (call once, before any write). Entries start at
  // snapshot.meta.index + 1 and are contiguous.
  raft::RestoredState load(LoadReport* report = nullptr);

  // Appends entries; when the first one is at or below the last stored
  // index, the conflicting suffix is truncated first (Raft 5.3: a follower's
  // log is overwritten from the first conflict on).
  void append(const std::vector<raft::Entry>& entries);
  void save_hard_state(const raft::HardState& state);
  // A snapshot received from the leader replaces the whole log.
  void install_snapshot(const raft::Snapshot& snapshot);
  // A local snapshot (compaction) drops only the entries it covers.
  void compact(const raft::Snapshot& snapshot);
  // fsync: blocks the calling fiber for the disk's latency.
  void sync();

  raft::Index first_index() const { return first_index_; }
  raft::Index last_index() const { return first_index_ + offsets_.size() - 1; }
  std::uint64_t syncs() const { return syncs_; }

  std::string hard_state_file() const { return prefix_ + "hard_state"; }
  std::string log_file() const { return prefix_ + "log"; }
  std::string snapshot_file() const { return prefix_ + "snapshot"; }

  static sim::Bytes encode_record(const raft::Entry& entry);

 private:
  void rewrite_log_from(raft::Index index);

  sim::Disk& disk_;
  std::string prefix_;
  bool persist_term_and_vote_;
  bool loaded_ = false;
  // Index of the first entry in the log file (snapshot index + 1).
  raft::Index first_index_ = 1;
  // Byte offset of each stored entry's record, for first_index_ + k.
  std::vector<std::size_t> offsets_;
  std::size_t log_bytes_ = 0;
  std::uint64_t syncs_ = 0;
};

}  // namespace simrun::broker
