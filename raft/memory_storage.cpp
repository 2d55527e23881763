#include "raft/memory_storage.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "raft/assert.h"

namespace simrun::raft {
namespace {

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }

}  // namespace

void MemoryStorage::persist(const Ready& rd) {
  if (rd.snapshot) {
    const SnapshotMeta& meta = rd.snapshot->meta;
    if (meta.index <= snapshot_.meta.index) fail("Ready carries an older snapshot");
    // Keep the log suffix only if it continues from the snapshot point.
    const std::optional<Term> term = term_at(meta.index);
    std::vector<Entry> kept;
    if (term == meta.term) {
      for (const Entry& e : entries_) {
        if (e.index > meta.index) kept.push_back(e);
      }
    }
    entries_ = std::move(kept);
    snapshot_ = *rd.snapshot;
  }
  if (!rd.entries.empty()) {
    const Index first_new = rd.entries.front().index;
    const Index storage_last = last_index();
    if (first_new <= snapshot_.meta.index || first_new > storage_last + 1) {
      fail("Ready entries start at " + std::to_string(first_new) + " but storage holds " +
           std::to_string(snapshot_.meta.index + 1) + ".." + std::to_string(storage_last));
    }
    while (!entries_.empty() && entries_.back().index >= first_new) entries_.pop_back();
    for (const Entry& e : rd.entries) {
      if (e.index != last_index() + 1) fail("Ready entries are not contiguous");
      entries_.push_back(e);
    }
  }
  if (rd.hard_state_changed) hard_state_ = rd.hard_state;
}

const Snapshot& MemoryStorage::compact(Index index, Bytes image, std::vector<NodeId> voters) {
  if (index <= snapshot_.meta.index) fail("compact: index not above the current snapshot");
  const std::optional<Term> term = term_at(index);
  if (!term) fail("compact: index not in the log");
  const auto covered = static_cast<std::ptrdiff_t>(index - snapshot_.meta.index);
  entries_.erase(entries_.begin(), entries_.begin() + covered);
  snapshot_ = Snapshot{SnapshotMeta{index, *term, std::move(voters)}, std::move(image)};
  return snapshot_;
}

Index MemoryStorage::last_index() const {
  return entries_.empty() ? snapshot_.meta.index : entries_.back().index;
}

std::optional<Term> MemoryStorage::term_at(Index index) const {
  if (index == snapshot_.meta.index) return snapshot_.meta.term;
  if (index < snapshot_.meta.index || index > last_index()) return std::nullopt;
  const Entry& entry = entries_[static_cast<std::size_t>(index - snapshot_.meta.index - 1)];
  RAFT_ASSERT(entry.index == index, "stored entries are contiguous after the snapshot");
  return entry.term;
}

}  // namespace simrun::raft
