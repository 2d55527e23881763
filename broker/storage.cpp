#include "broker/storage.h"

#include <span>

#include "raft/codec.h"
#include "sim/assert.h"
#include "sim/hash.h"

namespace simrun::broker {

namespace {

constexpr std::size_t kRecordHeaderBytes = 4 + 8;
// Bound on one record: a length beyond this is corruption, not an entry.
constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20;

void put_le(sim::Bytes& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

std::uint64_t get_le(std::span<const std::uint8_t> in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(in[at + static_cast<std::size_t>(i)]) << (8 * i);
  }
  return value;
}

}  // namespace

GroupStorage::GroupStorage(sim::Disk& disk, std::string_view group, bool persist_term_and_vote)
    : disk_(disk),
      prefix_("raft/" + std::string(group) + "/"),
      persist_term_and_vote_(persist_term_and_vote) {
  SIMRUN_ASSERT(!group.empty(), "a group needs a name");
}

sim::Bytes GroupStorage::encode_record(const raft::Entry& entry) {
  const sim::Bytes body = raft::encode_entry(entry);
  SIMRUN_ASSERT(body.size() <= kMaxRecordBytes, "entry too large for one log record");
  sim::Bytes record;
  record.reserve(kRecordHeaderBytes + body.size());
  put_le(record, body.size(), 4);
  put_le(record, sim::hash_bytes(body), 8);
  record.insert(record.end(), body.begin(), body.end());
  return record;
}

raft::RestoredState GroupStorage::load(LoadReport* report) {
  SIMRUN_ASSERT(!loaded_, "load() runs once, before any write");
  loaded_ = true;
  LoadReport local;
  LoadReport& out = report != nullptr ? *report : local;
  raft::RestoredState restored;

  if (auto bytes = disk_.read(snapshot_file())) {
    if (auto snapshot = raft::decode_snapshot(*bytes)) {
      restored.snapshot = std::move(*snapshot);
    } else {
      out.snapshot_corrupt = true;
    }
  }
  if (auto bytes = disk_.read(hard_state_file())) {
    if (auto state = raft::decode_hard_state(*bytes)) {
      restored.hard_state = *state;
    } else {
      out.hard_state_corrupt = true;
    }
  }

  first_index_ = restored.snapshot.meta.index + 1;
  offsets_.clear();
  log_bytes_ = 0;
  const sim::Bytes log = disk_.read(log_file()).value_or(sim::Bytes{});
  const std::span<const std::uint8_t> view(log);
  std::size_t at = 0;
  while (at < log.size()) {
    bool good = log.size() - at >= kRecordHeaderBytes;
    std::size_t length = 0;
    if (good) {
      length = static_cast<std::size_t>(get_le(view, at, 4));
      good = length <= kMaxRecordBytes && log.size() - at - kRecordHeaderBytes >= length;
    }
    std::optional<raft::Entry> entry;
    if (good) {
      const auto body = view.subspan(at + kRecordHeaderBytes, length);
      good = sim::hash_bytes(body) == get_le(view, at + 4, 8);
      if (good) entry = raft::decode_entry(body);
      good = good && entry.has_value();
    }
    if (!good) {
      ++out.bad_records;
      break;
    }
    const std::size_t record_bytes = kRecordHeaderBytes + length;
    // Entries the snapshot covers (a compaction interrupted before the log
    // rewrite was durable) are skipped; the rest must follow on.
    if (entry->index >= first_index_) {
      if (entry->index != first_index_ + offsets_.size()) {
        ++out.bad_records;
        break;
      }
      offsets_.push_back(log_bytes_);
      restored.entries.push_back(std::move(*entry));
    }
    log_bytes_ += record_bytes;
    at += record_bytes;
  }
  out.bytes_discarded = log.size() - at;
  out.entries_loaded = restored.entries.size();
  // Cut bad bytes off, so later appends follow the last good record.
  // (Skipped records below the snapshot stay; offsets_ already accounts
  // for them and the next compaction drops them.)
  if (at != log.size()) disk_.truncate(log_file(), at);

  // A commit index beyond what survived (bit flip, lost tail) would make
  // Raft apply entries it does not have.
  const raft::Index last = last_index();
  if (restored.hard_state.commit > last) {
    restored.hard_state.commit = last;
    out.commit_clamped = true;
  }
  if (restored.hard_state.commit < restored.snapshot.meta.index) {
    restored.hard_state.commit = restored.snapshot.meta.index;
  }
  return restored;
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
  sim::Bytes batch;
  raft::Index expected = first;
  for (const raft::Entry& entry : entries) {
    SIMRUN_ASSERT(entry.index == expected, "entries to append must be contiguous");
    ++expected;
    offsets_.push_back(log_bytes_ + batch.size());
    const sim::Bytes record = encode_record(entry);
    batch.insert(batch.end(), record.begin(), record.end());
  }
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
  disk_.write(hard_state_file(), raft::encode_hard_state(stored));
}

void GroupStorage::install_snapshot(const raft::Snapshot& snapshot) {
  SIMRUN_ASSERT(loaded_, "load() before writing");
  disk_.write(snapshot_file(), raft::encode_snapshot(snapshot));
  first_index_ = snapshot.meta.index + 1;
  offsets_.clear();
  log_bytes_ = 0;
  disk_.write(log_file(), sim::Bytes{});
}

void GroupStorage::compact(const raft::Snapshot& snapshot) {
  SIMRUN_ASSERT(loaded_, "load() before writing");
  SIMRUN_ASSERT(snapshot.meta.index >= first_index_ - 1, "compaction moves forward only");
  SIMRUN_ASSERT(snapshot.meta.index <= last_index(), "compaction beyond the stored log");
  // The snapshot is written first: a crash between the two writes leaves a
  // log that still starts below the snapshot, which load() skips over.
  disk_.write(snapshot_file(), raft::encode_snapshot(snapshot));
  rewrite_log_from(snapshot.meta.index + 1);
}

void GroupStorage::rewrite_log_from(raft::Index index) {
  const sim::Bytes log = disk_.read(log_file()).value_or(sim::Bytes{});
  const std::size_t drop = static_cast<std::size_t>(index - first_index_);
  const std::size_t cut = drop < offsets_.size() ? offsets_[drop] : log_bytes_;
  SIMRUN_ASSERT(cut <= log.size(), "log file shorter than its index");
  std::vector<std::size_t> offsets;
  for (std::size_t k = drop; k < offsets_.size(); ++k) offsets.push_back(offsets_[k] - cut);
  offsets_ = std::move(offsets);
  first_index_ = index;
  log_bytes_ -= cut;
  disk_.write(log_file(), sim::Bytes(log.begin() + static_cast<std::ptrdiff_t>(cut), log.end()));
}

void GroupStorage::sync() {
  ++syncs_;
  disk_.fsync();
}

}  // namespace simrun::broker
