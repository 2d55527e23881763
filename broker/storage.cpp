#include "broker/storage.h"

#include <algorithm>
#include <span>

#include "broker/crc32c.h"
#include "broker/sealed.h"
#include "raft/codec.h"
#include "raft/little_endian.h"
#include "sim/assert.h"

namespace simrun::broker {

namespace {

// length (4) | body checksum (8) | header checksum (4): a valid header
// tells a torn body (the file ends early) from a damaged one.
constexpr std::size_t kRecordHeaderBytes = 4 + 8 + 4;
// Bound on one record: a length beyond this is corruption, not an entry.
constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20;

// CRC32C (the SSE 4.2 instruction): it detects every burst of up to 32
// flipped bits, so every single bit flip (the disk's fault model), at about
// 8 bytes per instruction (sim::hash_bytes, used before, was the costliest
// part of an append: issue 12).
std::uint64_t header_checksum(std::span<const std::uint8_t> in, std::size_t at) {
  return crc32c(in.subspan(at, 12));
}

// The body checksum field is 8 bytes wide: CRC32C, zero-extended (a flip in
// the zero half fails the comparison like any other).
std::uint64_t body_checksum(std::span<const std::uint8_t> body) { return crc32c(body); }

// Appends `entry`'s record to `out`: the body encoded in place after the
// header's room, then the header written over it (no intermediate copy).
void append_record(const raft::Entry& entry, sim::Bytes& out) {
  const std::size_t at = out.size();
  out.resize(at + kRecordHeaderBytes);
  raft::encode_entry_into(entry, out);
  const std::size_t length = out.size() - at - kRecordHeaderBytes;
  SIMRUN_ASSERT(length <= kMaxRecordBytes, "entry too large for one log record");
  const std::span<const std::uint8_t> record = std::span<const std::uint8_t>(out).subspan(at);
  std::uint8_t* const header = out.data() + at;
  raft::store_le<4>(header, length);
  raft::store_le<8>(header + 4, body_checksum(record.subspan(kRecordHeaderBytes)));
  raft::store_le<4>(header + 12, header_checksum(record, 0));
}

// Past a damaged record, the highest entry index still readable (records
// whose framing and checksums hold): evidence of what the node held.
raft::Index highest_index_after(std::span<const std::uint8_t> log, std::size_t damaged_at) {
  raft::Index highest = 0;
  std::size_t at = damaged_at;
  if (log.size() - at < kRecordHeaderBytes ||
      header_checksum(log, at) != raft::load_le<4>(log.data() + at + 12))
    return 0;  // the damaged record's own length cannot be trusted: stop
  for (int records = 0; records < 1'000'000; ++records) {
    if (log.size() - at < kRecordHeaderBytes ||
        header_checksum(log, at) != raft::load_le<4>(log.data() + at + 12))
      break;
    const auto length = static_cast<std::size_t>(raft::load_le<4>(log.data() + at));
    if (length > kMaxRecordBytes || log.size() - at - kRecordHeaderBytes < length) break;
    const auto body = log.subspan(at + kRecordHeaderBytes, length);
    if (body_checksum(body) == raft::load_le<8>(log.data() + at + 4)) {
      if (const auto entry = raft::decode_entry(body)) highest = std::max(highest, entry->index);
    }
    at += kRecordHeaderBytes + length;
  }
  return highest;
}

}  // namespace

GroupStorage::GroupStorage(sim::Disk& disk, std::string_view group, bool persist_term_and_vote)
    : disk_(disk),
      prefix_("raft/" + std::string(group) + "/"),
      persist_term_and_vote_(persist_term_and_vote) {
  SIMRUN_ASSERT(!group.empty(), "a group needs a name");
}

const char* to_string(DamageKind kind) {
  switch (kind) {
    case DamageKind::hard_state:
      return "hard_state";
    case DamageKind::snapshot:
      return "snapshot";
    case DamageKind::log_record:
      return "log_record";
    case DamageKind::commit:
      return "commit";
    case DamageKind::repair_marker:
      return "repair_marker";
  }
  return "?";
}

sim::Bytes GroupStorage::encode_record(const raft::Entry& entry) {
  sim::Bytes record;
  record.reserve(kRecordHeaderBytes + raft::encoded_entry_bytes(entry));
  append_record(entry, record);
  return record;
}

raft::RestoredState GroupStorage::load(LoadReport* report) {
  SIMRUN_ASSERT(!loaded_, "load() runs once, before any write");
  loaded_ = true;
  LoadReport local;
  LoadReport& out = report != nullptr ? *report : local;
  raft::RestoredState restored;
  raft::Index repair_through = 0;

  if (auto bytes = disk_.read(repair_file())) {
    out.repair_pending = true;
    if (auto body = unseal(*bytes); body && body->size() == 8) {
      repair_through = raft::load_le<8>(body->data());
    } else {
      out.repair_marker_corrupt = true;
      out.damage.push_back(DamageKind::repair_marker);
    }
  }
  if (auto bytes = disk_.read(snapshot_file())) {
    const auto body = unseal(*bytes);
    auto snapshot = body ? raft::decode_snapshot(*body) : std::nullopt;
    if (snapshot) {
      restored.snapshot = std::move(*snapshot);
    } else {
      out.snapshot_corrupt = true;
      out.damage.push_back(DamageKind::snapshot);
    }
  }
  raft::Index stored_commit = 0;
  if (auto bytes = disk_.read(hard_state_file())) {
    const auto body = unseal(*bytes);
    const auto state = body ? raft::decode_hard_state(*body) : std::nullopt;
    if (state) {
      restored.hard_state = *state;
      stored_commit = state->commit;
    } else {
      out.hard_state_corrupt = true;
      out.damage.push_back(DamageKind::hard_state);
    }
  }

  load_log(restored, out);

  // A commit index beyond what survived (bit flip, lost tail) would make
  // Raft apply entries it does not have: the node had them, so it is damage.
  const raft::Index last = last_index();
  if (restored.hard_state.commit > last) {
    restored.hard_state.commit = last;
    out.commit_clamped = true;
    if (out.bad_records == 0) out.damage.push_back(DamageKind::commit);
  }
  if (restored.hard_state.commit < restored.snapshot.meta.index) {
    restored.hard_state.commit = restored.snapshot.meta.index;
  }

  if (out.needs_repair()) {
    repair_through = std::max({repair_through, out.lost_through, stored_commit, last});
    restored.needs_repair = true;
    restored.repair_through = repair_through;
    // Remembered until repaired: a crash before that must not forget it.
    std::uint8_t target[8];
    raft::store_le<8>(target, repair_through);
    disk_.write(repair_file(), seal(target));
  }
  return restored;
}

void GroupStorage::load_log(raft::RestoredState& restored, LoadReport& out) {
  // Without its snapshot the log has no base to continue from.
  first_index_ = restored.snapshot.meta.index + 1;
  offsets_.clear();
  log_bytes_ = 0;
  // A view, not a copy: nothing changes the disk before the cut below.
  const std::span<const std::uint8_t> view =
      disk_.view(log_file()).value_or(std::span<const std::uint8_t>{});
  std::size_t at = 0;
  bool damaged = false;
  while (at < view.size()) {
    const std::size_t remaining = view.size() - at;
    // The file ends inside this record: an append torn by a crash.
    if (remaining < kRecordHeaderBytes) break;
    if (header_checksum(view, at) != raft::load_le<4>(view.data() + at + 12)) {
      damaged = true;
      break;
    }
    const auto length = static_cast<std::size_t>(raft::load_le<4>(view.data() + at));
    if (length > kMaxRecordBytes) {
      damaged = true;
      break;
    }
    if (remaining - kRecordHeaderBytes < length) break;  // torn body
    const auto body = view.subspan(at + kRecordHeaderBytes, length);
    std::optional<raft::Entry> entry;
    if (body_checksum(body) == raft::load_le<8>(view.data() + at + 4))
      entry = raft::decode_entry(body);
    // Entries the snapshot covers (a compaction interrupted before the log
    // rewrite was durable) are skipped; the rest must follow on.
    if (!entry || (entry->index >= first_index_ && entry->index != last_index() + 1)) {
      damaged = true;
      break;
    }
    const std::size_t record_bytes = kRecordHeaderBytes + length;
    if (entry->index >= first_index_) {
      offsets_.push_back(log_bytes_);
      restored.entries.push_back(std::move(*entry));
    }
    log_bytes_ += record_bytes;
    at += record_bytes;
  }
  out.bytes_discarded = view.size() - at;
  out.entries_loaded = restored.entries.size();
  if (damaged) {
    ++out.bad_records;
    out.damage.push_back(DamageKind::log_record);
    out.lost_from = last_index() + 1;
    out.lost_through = std::max(out.lost_from, highest_index_after(view, at));
  } else {
    out.torn_tail_bytes = out.bytes_discarded;
  }
  // Cut bad bytes off, so later appends follow the last good record.
  // (Skipped records below the snapshot stay; offsets_ already accounts
  // for them and the next compaction drops them.)
  if (at != view.size()) disk_.truncate(log_file(), at);
}

void GroupStorage::append(const std::vector<raft::Entry>& entries) {
  SIMRUN_ASSERT(loaded_, "load() before writing");
  if (entries.empty()) return;
  const raft::Index first = entries.front().index;
  SIMRUN_ASSERT(first >= first_index_, "append below the snapshot");
  SIMRUN_ASSERT(first <= last_index() + 1, "append leaves a gap in the log");
  if (first <= last_index()) {
    // Conflict: cut the log at the first overwritten entry.
    const std::size_t keep = static_cast<std::size_t>(first - first_index_);
    log_bytes_ = offsets_[keep];
    offsets_.resize(keep);
    disk_.truncate(log_file(), log_bytes_);
  }
  // The batch is sized once and each record encoded in place; the disk
  // copies it once into the file.
  std::size_t batch_bytes = 0;
  for (const raft::Entry& entry : entries) {
    batch_bytes += kRecordHeaderBytes + raft::encoded_entry_bytes(entry);
  }
  sim::Bytes batch;
  batch.reserve(batch_bytes);
  raft::Index expected = first;
  for (const raft::Entry& entry : entries) {
    SIMRUN_ASSERT(entry.index == expected, "entries to append must be contiguous");
    ++expected;
    offsets_.push_back(log_bytes_ + batch.size());
    append_record(entry, batch);
  }
  SIMRUN_ASSERT(batch.size() == batch_bytes, "records sized as encoded");
  log_bytes_ += batch.size();
  disk_.append(log_file(), batch);
}

void GroupStorage::save_hard_state(const raft::HardState& state) {
  SIMRUN_ASSERT(loaded_, "load() before writing");
  raft::HardState stored = state;
  if (!persist_term_and_vote_) {
    // Legacy storage had no place for term and vote (mechanism 7).
    stored.term = 0;
    stored.vote = raft::kNoNode;
  }
  disk_.write(hard_state_file(), seal(raft::encode_hard_state(stored)));
}

// The sealed snapshot file, encoded in place after the seal's header: the
// image is copied once, into the buffer the disk then keeps.
sim::Bytes GroupStorage::seal_snapshot(const raft::SnapshotMeta& meta,
                                       std::span<const std::uint8_t> image) {
  const std::size_t body_bytes = raft::encoded_snapshot_bytes(meta, image.size());
  sim::Bytes sealed = seal_begin(body_bytes);
  raft::encode_snapshot_into(meta, image, sealed);
  seal_finish(sealed);
  return sealed;
}

void GroupStorage::install_snapshot(const raft::Snapshot& snapshot) {
  SIMRUN_ASSERT(loaded_, "load() before writing");
  disk_.write(snapshot_file(), seal_snapshot(snapshot.meta, snapshot.data));
  first_index_ = snapshot.meta.index + 1;
  offsets_.clear();
  log_bytes_ = 0;
  disk_.write(log_file(), sim::Bytes{});
}

void GroupStorage::compact(const raft::SnapshotMeta& meta, std::span<const std::uint8_t> image) {
  compact(SnapshotFile{meta, seal_snapshot(meta, image)});
}

GroupStorage::SnapshotFile GroupStorage::encode_snapshot_file(
    const raft::SnapshotMeta& meta, const std::function<void(sim::Bytes&)>& append_image) {
  SnapshotFile file{meta, seal_begin(raft::encoded_snapshot_bytes(meta, 0))};
  const std::size_t image_start = raft::encode_snapshot_head_into(meta, file.bytes);
  append_image(file.bytes);
  raft::finish_snapshot_encoding(file.bytes, image_start);
  seal_finish(file.bytes);
  return file;
}

void GroupStorage::compact(SnapshotFile file) {
  SIMRUN_ASSERT(loaded_, "load() before writing");
  const raft::Index index = file.meta.index;
  SIMRUN_ASSERT(index >= first_index_ - 1, "compaction moves forward only");
  SIMRUN_ASSERT(index <= last_index(), "compaction beyond the stored log");
  // The snapshot is written first: a crash between the two writes leaves a
  // log that still starts below the snapshot, which load() skips over.
  disk_.write(snapshot_file(), std::move(file.bytes));
  rewrite_log_from(index + 1);
}

raft::Snapshot GroupStorage::stored_snapshot() const {
  SIMRUN_ASSERT(loaded_, "load() before reading the stored snapshot");
  const auto sealed = disk_.view(snapshot_file());
  if (!sealed) return raft::Snapshot{};
  // The page cache holds what this storage wrote (bit flips reach only the
  // medium, and load() checked what it read back): a file that does not
  // unseal here is a bug, not a disk fault.
  const auto body = unseal(*sealed);
  SIMRUN_ASSERT(body.has_value(), "the stored snapshot does not unseal in the page cache");
  std::optional<raft::Snapshot> snapshot = raft::decode_snapshot(*body);
  SIMRUN_ASSERT(snapshot.has_value(), "the stored snapshot does not decode");
  return std::move(*snapshot);
}

// The file without the records before `index`: in place (Disk::keep_from,
// for crashes and bit flips the write of the remaining records).
void GroupStorage::rewrite_log_from(raft::Index index) {
  const std::size_t log_size =
      disk_.view(log_file()).value_or(std::span<const std::uint8_t>{}).size();
  const std::size_t drop = static_cast<std::size_t>(index - first_index_);
  const std::size_t cut = drop < offsets_.size() ? offsets_[drop] : log_bytes_;
  SIMRUN_ASSERT(cut <= log_size, "log file shorter than its index");
  offsets_.erase(offsets_.begin(),
                 offsets_.begin() + static_cast<std::ptrdiff_t>(std::min(drop, offsets_.size())));
  for (std::size_t& offset : offsets_) offset -= cut;
  first_index_ = index;
  log_bytes_ -= cut;
  disk_.keep_from(log_file(), cut);
}

void GroupStorage::clear_repair() {
  SIMRUN_ASSERT(loaded_, "load() before writing");
  if (disk_.view(repair_file())) disk_.remove(repair_file());
}

std::optional<raft::Index> GroupStorage::durable_snapshot_index() const {
  if (disk_.has_unsynced_change(snapshot_file())) return std::nullopt;
  // first_index_ is the stored snapshot's index + 1 (load, compact,
  // install_snapshot set both together).
  return first_index_ - 1;
}

void GroupStorage::sync() {
  ++syncs_;
  disk_.fsync();
}

}  // namespace simrun::broker
