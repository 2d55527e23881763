#include "raft/log.h"

#include <algorithm>

#include "raft/assert.h"

namespace simrun::raft {

Log::Log(SnapshotMeta snapshot, std::vector<Entry> entries, Index commit)
    : snapshot_meta_(std::move(snapshot)) {
  Index expected = snapshot_meta_.index + 1;
  for (Entry& entry : entries) {
    RAFT_ASSERT(entry.index == expected, "restored entries must follow the snapshot contiguously");
    ++expected;
    entries_.push_back(std::move(entry));
  }
  committed_ = std::clamp(commit, snapshot_meta_.index, last_index());
  // The application restores the snapshot image itself; entries after it are
  // re-applied through committed entries.
  applied_ = snapshot_meta_.index;
  applying_ = snapshot_meta_.index;
  stable_ = last_index();
  unstable_from_ = last_index() + 1;
  check_invariants();
}

Term Log::last_term() const {
  return entries_.empty() ? snapshot_meta_.term : entries_.back().term;
}

std::optional<Term> Log::term_at(Index index) const {
  if (index == snapshot_meta_.index) return snapshot_meta_.term;
  if (index < snapshot_meta_.index || index > last_index()) return std::nullopt;
  return entries_[index - snapshot_meta_.index - 1].term;
}

const Entry* Log::entry_at(Index index) const {
  if (index <= snapshot_meta_.index || index > last_index()) return nullptr;
  return &entries_[index - snapshot_meta_.index - 1];
}

bool Log::match_term(Index index, Term term) const {
  const std::optional<Term> ours = term_at(index);
  return ours.has_value() && *ours == term;
}

bool Log::is_up_to_date(Index candidate_last_index, Term candidate_last_term) const {
  const Term our_term = last_term();
  return candidate_last_term > our_term ||
         (candidate_last_term == our_term && candidate_last_index >= last_index());
}

Index Log::find_conflict(std::span<const Entry> entries) const {
  for (const Entry& entry : entries) {
    // Entries below the snapshot are committed and therefore match.
    if (entry.index <= snapshot_meta_.index) continue;
    if (!match_term(entry.index, entry.term)) return entry.index;
  }
  return 0;
}

std::pair<Index, Term> Log::find_conflict_by_term(Index index, Term term) const {
  if (index > last_index()) return {index, 0};
  // Bounded by the log length: each step moves one entry towards the start.
  for (; index > 0; --index) {
    const std::optional<Term> ours = term_at(index);
    if (!ours.has_value()) return {index, 0};
    if (*ours <= term) return {index, *ours};
  }
  return {0, 0};
}

bool Log::truncate_and_append(std::span<const Entry> entries) {
  if (entries.empty()) return false;
  const Index from = entries.front().index;
  RAFT_ASSERT(from > snapshot_meta_.index, "cannot append below the snapshot");
  RAFT_ASSERT(from <= last_index() + 1, "appended entries must be contiguous with the log");
  RAFT_ASSERT(from > committed_, "must never truncate committed entries");
  const bool truncated = from <= last_index();
  if (truncated) {
    entries_.resize(from - snapshot_meta_.index - 1);
    stable_ = std::min(stable_, from - 1);
  }
  unstable_from_ = std::min(unstable_from_, from);
  for (const Entry& entry : entries) {
    RAFT_ASSERT(entry.index == last_index() + 1, "entries must be contiguous");
    RAFT_ASSERT(entry.term >= last_term(), "terms in the log never decrease");
    entries_.push_back(entry);
  }
  check_invariants();
  return truncated;
}

void Log::append(Entry entry) {
  RAFT_ASSERT(entry.index == last_index() + 1, "entries must be contiguous");
  RAFT_ASSERT(entry.term >= last_term(), "terms in the log never decrease");
  entries_.push_back(std::move(entry));
}

std::vector<Entry> Log::slice(Index low, Index high_exclusive, std::size_t max_count) const {
  std::vector<Entry> out;
  RAFT_ASSERT(low > snapshot_meta_.index, "slice below the snapshot");
  high_exclusive = std::min(high_exclusive, last_index() + 1);
  if (low >= high_exclusive) return out;
  const std::size_t count = std::min<std::size_t>(high_exclusive - low, max_count);
  out.reserve(count);
  const std::size_t offset = low - snapshot_meta_.index - 1;
  for (std::size_t i = 0; i < count; ++i) out.push_back(entries_[offset + i]);
  return out;
}

void Log::commit_to(Index index) {
  if (index <= committed_) return;
  RAFT_ASSERT(index <= last_index(), "commit beyond the last index");
  committed_ = index;
}

std::vector<Entry> Log::take_unstable_entries() {
  std::vector<Entry> out;
  if (!has_unstable_entries()) return out;
  out = slice(unstable_from_, last_index() + 1, last_index() + 1 - unstable_from_);
  unstable_from_ = last_index() + 1;
  return out;
}

std::vector<Entry> Log::take_next_committed(std::size_t max_count) {
  std::vector<Entry> out;
  if (!has_next_committed()) return out;
  out = slice(applying_ + 1, committed_ + 1, max_count);
  if (!out.empty()) applying_ = out.back().index;
  return out;
}

std::optional<Snapshot> Log::take_pending_snapshot() {
  std::optional<Snapshot> out = std::move(pending_snapshot_);
  pending_snapshot_.reset();
  return out;
}

void Log::stable_to(Index index, Term term) {
  // If the entry was replaced after the Ready was produced, the durable copy
  // is stale; the replacement is handed out again. When the term matches,
  // log matching (5.3) says the whole prefix is the same.
  if (!match_term(index, term)) return;
  stable_ = std::max(stable_, index);
}

void Log::stable_snapshot_to(Index index) {
  // A later snapshot received meanwhile is not durable yet: keep its image.
  if (index == snapshot_meta_.index) held_image_.reset();
  if (index > last_index()) return;
  stable_ = std::max(stable_, index);
}

void Log::applied_to(Index index) {
  if (index <= applied_) return;
  RAFT_ASSERT(index <= applying_, "applied an entry that was never handed out");
  applied_ = index;
}

void Log::compact(Index index, std::vector<NodeId> voters) {
  if (index <= snapshot_meta_.index) return;  // already compacted further
  RAFT_ASSERT(index <= applied_, "compact beyond the applied index");
  RAFT_ASSERT(index <= stable_, "compact beyond the durable log");
  const std::optional<Term> term = term_at(index);
  RAFT_ASSERT(term.has_value(), "compact index must be in the log");
  const std::size_t drop = index - snapshot_meta_.index;
  snapshot_meta_ = SnapshotMeta{index, *term, std::move(voters)};
  held_image_.reset();  // the stored snapshot supersedes a received one
  for (std::size_t i = 0; i < drop; ++i) entries_.pop_front();
  check_invariants();
}

void Log::restore(Snapshot snapshot) {
  RAFT_ASSERT(snapshot.meta.index > committed_, "restore must move the log forward");
  entries_.clear();
  snapshot_meta_ = snapshot.meta;
  held_image_ = snapshot.data;  // until durable: storage does not have it yet
  committed_ = snapshot_meta_.index;
  applying_ = snapshot_meta_.index;
  // applied_ moves to the snapshot index in advance(), once the application
  // has restored the image.
  // The image reaches storage through Ready::snapshot; until advance() the
  // node has no durable log beyond what it had, so stable stays put.
  stable_ = std::min(stable_, snapshot_meta_.index);
  unstable_from_ = snapshot_meta_.index + 1;
  pending_snapshot_ = std::move(snapshot);
  check_invariants();
}

void Log::check_invariants() const {
  RAFT_ASSERT(applied_ <= applying_, "applied <= applying");
  RAFT_ASSERT(applying_ <= committed_, "applying <= committed");
  RAFT_ASSERT(committed_ <= last_index(), "committed <= last index");
  RAFT_ASSERT(snapshot_meta_.index <= committed_, "snapshot <= committed");
  RAFT_ASSERT(stable_ <= last_index(), "stable <= last index");
  RAFT_ASSERT(unstable_from_ <= last_index() + 1, "unstable_from <= last index + 1");
  if (!entries_.empty()) {
    RAFT_ASSERT(entries_.front().index == snapshot_meta_.index + 1, "entries follow snapshot");
    RAFT_ASSERT(entries_.back().index == last_index(), "entries are contiguous");
    RAFT_ASSERT(entries_.front().term >= snapshot_meta_.term, "terms never decrease");
  }
}

}  // namespace simrun::raft
