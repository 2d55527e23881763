#include "raft/progress.h"

#include <algorithm>

#include "raft/assert.h"

namespace simrun::raft {

Inflights::Inflights(std::size_t capacity) : buffer_(capacity) {
  RAFT_ASSERT(capacity > 0, "max_inflight_messages must be positive");
}

void Inflights::add(Index last_index) {
  RAFT_ASSERT(!full(), "inflight window overflow");
  if (count_ > 0) {
    const Index newest = buffer_[(start_ + count_ - 1) % buffer_.size()];
    RAFT_ASSERT(last_index > newest, "inflight indexes must increase");
  }
  buffer_[(start_ + count_) % buffer_.size()] = last_index;
  ++count_;
}

void Inflights::free_le(Index index) {
  while (count_ > 0 && buffer_[start_] <= index) {
    start_ = (start_ + 1) % buffer_.size();
    --count_;
  }
  if (count_ == 0) start_ = 0;
}

void Inflights::free_first_one() {
  if (count_ == 0) return;
  start_ = (start_ + 1) % buffer_.size();
  --count_;
}

void Progress::become_probe() {
  // Coming back from a snapshot, the follower has at least the snapshot.
  if (state == ProgressState::snapshot) {
    next = std::max(match + 1, pending_snapshot + 1);
  } else {
    next = match + 1;
  }
  state = ProgressState::probe;
  probe_sent = false;
  stalled_heartbeats = 0;
  pending_snapshot = 0;
  snapshot_elapsed_ticks = 0;
  inflights.reset();
}

void Progress::become_replicate() {
  state = ProgressState::replicate;
  next = match + 1;
  stalled_heartbeats = 0;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.reset();
}

void Progress::become_snapshot(Index snapshot_index) {
  state = ProgressState::snapshot;
  pending_snapshot = snapshot_index;
  snapshot_elapsed_ticks = 0;
  probe_sent = false;
  inflights.reset();
}

bool Progress::maybe_update(Index index) {
  bool updated = false;
  if (match < index) {
    match = index;
    updated = true;
    probe_sent = false;
    stalled_heartbeats = 0;
  }
  next = std::max(next, index + 1);
  return updated;
}

bool Progress::maybe_decrease_to(Index rejected, Index match_hint) {
  if (state == ProgressState::replicate) {
    // Stale: we already know the logs match at or beyond `rejected`.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // Probe (or snapshot): only the answer to the latest probe counts.
  if (next == 0 || next - 1 != rejected) return false;
  const Index decreased = std::max(std::min(rejected, match_hint + 1), match + 1);
  // Clamped at match + 1, nothing moved: resending the same append at once
  // would be rejected the same way, forever (the runaway loop of issue 11).
  if (decreased == next) return false;
  next = decreased;
  probe_sent = false;
  return true;
}

void Progress::regress_to(Index follower_last_index) {
  RAFT_ASSERT(follower_last_index < match, "a regression moves match down");
  match = follower_last_index;
  state = ProgressState::replicate;  // so become_probe() starts at match + 1
  become_probe();
}

void Progress::sent_entries(Index last_sent) {
  switch (state) {
    case ProgressState::replicate:
      next = last_sent + 1;
      inflights.add(last_sent);
      break;
    case ProgressState::probe:
      probe_sent = true;
      break;
    case ProgressState::snapshot:
      RAFT_ASSERT(false, "no appends are sent in snapshot mode");
  }
}

bool Progress::is_paused() const {
  switch (state) {
    case ProgressState::probe:
      return probe_sent;
    case ProgressState::replicate:
      return inflights.full();
    case ProgressState::snapshot:
      return true;
  }
  return true;
}

}  // namespace simrun::raft
