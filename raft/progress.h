#pragma once
// What a leader knows about one follower's log (etcd-io/raft's Progress):
// the highest index known to match, the next index to send, and the mode
//   probe:     we do not know where the logs match; one append per
//              heartbeat interval until the follower answers,
//   replicate: the follower is keeping up; stream appends optimistically,
//              bounded by an inflight window,
//   snapshot:  the entries the follower needs are compacted; a snapshot is
//              on its way and nothing else is sent until it is acknowledged
//              or times out.

#include <cstddef>
#include <vector>

#include "raft/raft.h"
#include "raft/types.h"

namespace simrun::raft {

// A bounded FIFO of the last index of each append in flight to a follower.
class Inflights {
 public:
  explicit Inflights(std::size_t capacity);
  void add(Index last_index);
  // Frees every message whose last index is <= index (acknowledged).
  void free_le(Index index);
  void free_first_one();
  void reset() { start_ = count_ = 0; }
  bool full() const { return count_ == buffer_.size(); }
  std::size_t count() const { return count_; }
  std::size_t capacity() const { return buffer_.size(); }

 private:
  std::vector<Index> buffer_;  // ring buffer, fixed size
  std::size_t start_ = 0;
  std::size_t count_ = 0;
};

struct Progress {
  explicit Progress(std::size_t max_inflight_messages) : inflights(max_inflight_messages) {}

  Index match = 0;
  Index next = 1;
  ProgressState state = ProgressState::probe;
  // Probe mode: an append is outstanding, wait for an answer or a heartbeat.
  bool probe_sent = false;
  Index pending_snapshot = 0;      // snapshot mode: index being installed
  int snapshot_elapsed_ticks = 0;  // snapshot mode: resend after a timeout
  bool recently_active = false;    // heard from within this election timeout
  int stalled_heartbeats = 0;      // replicate mode: heartbeats showing no progress
  Inflights inflights;

  void become_probe();
  void become_replicate();
  void become_snapshot(Index snapshot_index);
  // An acknowledgement up to `index`. Returns true when match moved.
  bool maybe_update(Index index);
  // A rejection of an append at `rejected`; `match_hint` is the follower's
  // hint. Returns false when the rejection is stale or moves nothing (the
  // caller then waits for the next heartbeat instead of resending at once,
  // so one follower's rejections cannot drive a resend loop at network speed).
  bool maybe_decrease_to(Index rejected, Index match_hint);
  // The follower's log went backwards to `follower_last_index`, below match
  // (its storage lost entries it acknowledged): match drops to what it really
  // holds and probing starts right after it.
  void regress_to(Index follower_last_index);
  // Records an append carrying entries up to `last_sent` (count > 0).
  void sent_entries(Index last_sent);
  bool is_paused() const;
};

}  // namespace simrun::raft
