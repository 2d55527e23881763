#pragma once
// Durable state of one Raft group on its node's simulated disk:
//   raft/<group>/hard_state  sealed (broker/sealed.h) raft::HardState, replaced on each save
//   raft/<group>/log         append-only records, one per entry
//   raft/<group>/snapshot    sealed raft::Snapshot, replaced on each save
//   raft/<group>/repair      sealed repair target, present while the group
//                            is being repaired after damage (see below)
// A log record is length(u32 LE) | body checksum(u64 LE: CRC32C, zero-
// extended) | header checksum(u32 LE, CRC32C of the 12 bytes before) |
// encoded raft::Entry
// (raft/codec.h). Every structure carries a checksum: corruption is always
// detected, never interpreted (partition data and consumer offsets live in
// the entries and snapshots, so they are covered too).
//
// The storage fault model (scenarios/README.md) at load:
//  - a torn tail: the file ends inside the last record (a short header, or
//    a valid header whose body runs past the end). Only an unsynced append
//    torn by a crash looks like that; it was never acknowledged, so it is
//    dropped silently (counted in LoadReport::torn_tail_bytes);
//  - damage: a complete record whose header or body checksum fails, or that
//    breaks the index sequence; a hard state or snapshot that does not
//    unseal; a stored commit beyond the surviving log. That is synced data
//    the node may have acknowledged: the log is cut before the damage, and
//    the group comes back with RestoredState::needs_repair (Protocol-Aware
//    Recovery: it neither votes nor campaigns until a leader has brought its
//    log past everything it may have held). The repair marker file keeps
//    that state across further crashes until clear_repair().
//
// Writes only reach the page cache; sync() is the fsync that makes them
// durable (the driver decides how often: once per Ready or once per entry).
//
// Mechanism 7: with persist_term_and_vote == false (legacy) the hard state
// file stores term 0 and no vote (only the commit index), so a restarted
// node comes back with term 0 and no vote and can vote twice in a term.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "raft/raft.h"
#include "sim/disk.h"

namespace simrun::broker {

// What load() found. Damage kinds are the ones scenarios count
// (storage_damage.<kind>, scenarios/README.md).
enum class DamageKind : std::uint8_t { hard_state, snapshot, log_record, commit, repair_marker };
inline constexpr DamageKind kAllDamageKinds[] = {DamageKind::hard_state, DamageKind::snapshot,
                                                 DamageKind::log_record, DamageKind::commit,
                                                 DamageKind::repair_marker};
const char* to_string(DamageKind kind);

struct LoadReport {
  std::uint64_t entries_loaded = 0;
  std::uint64_t bad_records = 0;      // damaged records (the log was cut at the first one)
  std::uint64_t bytes_discarded = 0;  // log bytes dropped (torn tail and damage)
  std::uint64_t torn_tail_bytes = 0;  // of which an incomplete last record
  bool hard_state_corrupt = false;
  bool snapshot_corrupt = false;
  bool commit_clamped = false;  // stored commit lay beyond the recovered log
  bool repair_marker_corrupt = false;
  bool repair_pending = false;  // a repair marker from an earlier start
  // Entries lost to damage: [lost_from, lost_through] (0 when none); the top
  // is the highest index any surviving evidence shows the node held.
  raft::Index lost_from = 0;
  raft::Index lost_through = 0;
  std::vector<DamageKind> damage;  // found this time, in detection order
  bool needs_repair() const { return repair_pending || !damage.empty(); }
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
  void compact(const raft::SnapshotMeta& meta, std::span<const std::uint8_t> image);
  // The same with the snapshot file built ahead by encode_snapshot_file:
  // the state machine writes its image once, into the bytes the disk keeps.
  struct SnapshotFile {
    raft::SnapshotMeta meta;
    sim::Bytes bytes;  // sealed, encoded raft::Snapshot
  };
  static SnapshotFile encode_snapshot_file(const raft::SnapshotMeta& meta,
                                           const std::function<void(sim::Bytes&)>& append_image);
  void compact(SnapshotFile file);
  // The stored snapshot, image included, as the page cache holds it (what
  // the Raft core asks for when a follower needs it: raft::Config::
  // snapshot_source). An empty snapshot (index 0) when there is none.
  raft::Snapshot stored_snapshot() const;
  // fsync: blocks the calling fiber for the disk's latency.
  void sync();
  // The group was repaired from its peers (raft storage_repaired): forget
  // the repair marker (durable with the next sync).
  void clear_repair();

  raft::Index first_index() const { return first_index_; }
  raft::Index last_index() const { return first_index_ + offsets_.size() - 1; }
  std::uint64_t syncs() const { return syncs_; }
  // The index of the snapshot a restart would load now, when known: the
  // stored snapshot's while its file has no unsynced change (a crash would
  // bring back the previous one otherwise), nullopt while it has one. 0
  // without a snapshot. The restart would re-apply from the next index.
  std::optional<raft::Index> durable_snapshot_index() const;

  std::string hard_state_file() const { return prefix_ + "hard_state"; }
  std::string log_file() const { return prefix_ + "log"; }
  std::string snapshot_file() const { return prefix_ + "snapshot"; }
  std::string repair_file() const { return prefix_ + "repair"; }

  static sim::Bytes encode_record(const raft::Entry& entry);

 private:
  static sim::Bytes seal_snapshot(const raft::SnapshotMeta& meta,
                                  std::span<const std::uint8_t> image);
  void rewrite_log_from(raft::Index index);
  void load_log(raft::RestoredState& restored, LoadReport& out);

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
