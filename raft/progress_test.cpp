// Per-follower progress: probe / replicate / snapshot modes and the
// bounded inflight window.

#include "raft/progress.h"

#include <doctest/doctest.h>

namespace simrun::raft {

TEST_CASE("inflights: bounded FIFO freed by acknowledgement") {
  Inflights inflights(3);
  inflights.add(5);
  inflights.add(7);
  inflights.add(9);
  CHECK(inflights.full());
  inflights.free_le(7);
  CHECK(inflights.count() == 1);
  inflights.add(11);
  inflights.add(12);
  CHECK(inflights.full());  // wrapped around the ring
  inflights.free_first_one();
  CHECK(inflights.count() == 2);
  inflights.free_le(100);
  CHECK(inflights.count() == 0);
}

TEST_CASE("5.3 progress: probe sends one append at a time") {
  Progress pr(4);
  pr.next = 6;
  CHECK_FALSE(pr.is_paused());
  pr.sent_entries(8);
  CHECK(pr.is_paused());
  CHECK(pr.next == 6);  // probe does not advance optimistically
  CHECK(pr.maybe_update(8));
  CHECK_FALSE(pr.is_paused());
  pr.become_replicate();
  CHECK(pr.next == 9);
}

TEST_CASE("5.3 progress: replicate streams up to the inflight window") {
  Progress pr(2);
  pr.match = 3;
  pr.become_replicate();
  pr.sent_entries(5);
  CHECK(pr.next == 6);
  CHECK_FALSE(pr.is_paused());
  pr.sent_entries(7);
  CHECK(pr.is_paused());
  CHECK(pr.maybe_update(5));
  pr.inflights.free_le(5);
  CHECK_FALSE(pr.is_paused());
}

TEST_CASE("5.3 progress: rejections move next back, stale ones are ignored") {
  Progress pr(4);
  pr.next = 10;
  CHECK_FALSE(pr.maybe_decrease_to(5, 3));  // not the latest probe
  CHECK(pr.maybe_decrease_to(9, 3));
  CHECK(pr.next == 4);  // jumped by the hint
  pr.match = 3;
  pr.become_replicate();
  pr.sent_entries(8);
  CHECK_FALSE(pr.maybe_decrease_to(2, 0));  // at or below match: stale
  CHECK(pr.maybe_decrease_to(6, 0));
  CHECK(pr.next == 4);
}

TEST_CASE("7 progress: snapshot mode pauses until the snapshot is acknowledged") {
  Progress pr(4);
  pr.become_snapshot(20);
  CHECK(pr.is_paused());
  pr.become_probe();
  CHECK(pr.next == 21);
  CHECK_FALSE(pr.is_paused());
}

TEST_CASE("issue 11 progress: a rejection that moves nothing does not ask for a resend") {
  Progress pr(4);
  pr.match = 7;
  pr.next = 8;  // probing right after match
  pr.sent_entries(9);
  // The follower lost entries: it rejects 7 with its real last index 4.
  // Clamped at match + 1 the probe cannot move, so the caller must not
  // resend at once (that was a resend loop at network speed).
  CHECK_FALSE(pr.maybe_decrease_to(7, 4));
  CHECK(pr.next == 8);
  CHECK(pr.is_paused());  // the next heartbeat response unpauses it
}

TEST_CASE("issue 11 progress: a follower whose log went backwards is probed from its real end") {
  Progress pr(4);
  pr.match = 7;
  pr.become_replicate();
  pr.sent_entries(9);
  pr.regress_to(4);
  CHECK(pr.match == 4);
  CHECK(pr.next == 5);
  CHECK(pr.state == ProgressState::probe);
  CHECK(pr.inflights.count() == 0);
  CHECK_FALSE(pr.is_paused());
  CHECK(pr.maybe_update(9));  // the resent entries are acknowledged again
  CHECK(pr.match == 9);
}

}  // namespace simrun::raft
