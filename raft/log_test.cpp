// The in-memory log (section 5.3 log matching, section 7 compaction).

#include "raft/log.h"

#include <doctest/doctest.h>

namespace simrun::raft {
namespace {

Log make_log(std::vector<Term> terms, Index commit = 0) {
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < terms.size(); ++i) entries.push_back(Entry{terms[i], i + 1, {}});
  return Log(SnapshotMeta{}, std::move(entries), commit);
}

}  // namespace

TEST_CASE("5.3 log: term_at, match_term and up-to-date comparison (5.4.1)") {
  const Log log = make_log({1, 1, 2, 3});
  CHECK(log.first_index() == 1);
  CHECK(log.last_index() == 4);
  CHECK(log.last_term() == 3);
  CHECK(log.term_at(0) == 0);
  CHECK(log.term_at(3) == 2);
  CHECK(log.term_at(5) == std::nullopt);
  CHECK(log.match_term(2, 1));
  CHECK_FALSE(log.match_term(2, 2));
  CHECK(log.is_up_to_date(4, 3));
  CHECK(log.is_up_to_date(1, 4));
  CHECK_FALSE(log.is_up_to_date(3, 3));
  CHECK_FALSE(log.is_up_to_date(9, 2));
}

TEST_CASE("5.3 log: find_conflict and truncation of a conflicting suffix") {
  Log log = make_log({1, 1, 2, 2}, 1);
  const std::vector<Entry> same = {Entry{1, 2, {}}, Entry{2, 3, {}}};
  CHECK(log.find_conflict(same) == 0);
  const std::vector<Entry> newer = {Entry{2, 4, {}}, Entry{2, 5, {}}};
  CHECK(log.find_conflict(newer) == 5);
  const std::vector<Entry> conflicting = {Entry{1, 2, {}}, Entry{3, 3, {7}}};
  CHECK(log.find_conflict(conflicting) == 3);
  CHECK(log.truncate_and_append(std::span<const Entry>(conflicting).subspan(1)));
  CHECK(log.last_index() == 3);
  CHECK(log.term_at(3) == 3);
  CHECK(log.stable() == 2);  // the replaced entries are no longer durable
  const std::vector<Entry> unstable = log.take_unstable_entries();
  REQUIRE(unstable.size() == 1);
  CHECK(unstable[0].data == Bytes{7});
}

TEST_CASE("5.3 log: find_conflict_by_term jumps over a whole term") {
  const Log log = make_log({1, 1, 1, 4, 4, 4, 4});
  CHECK(log.find_conflict_by_term(7, 3) == std::pair<Index, Term>{3, 1});
  CHECK(log.find_conflict_by_term(7, 4) == std::pair<Index, Term>{7, 4});
  CHECK(log.find_conflict_by_term(10, 2) == std::pair<Index, Term>{10, 0});
  CHECK(log.find_conflict_by_term(7, 0) == std::pair<Index, Term>{0, 0});
}

TEST_CASE("log: stable_to ignores acknowledgements for replaced entries") {
  Log log = make_log({});
  log.append(Entry{1, 1, {}});
  log.append(Entry{1, 2, {}});
  const std::vector<Entry> handed = log.take_unstable_entries();
  REQUIRE(handed.size() == 2);
  // Before storage acknowledges, a new leader replaces entry 2.
  const std::vector<Entry> replacement = {Entry{2, 2, {}}};
  CHECK(log.truncate_and_append(replacement));
  log.stable_to(2, 1);
  CHECK(log.stable() == 0);
  log.stable_to(1, 1);
  CHECK(log.stable() == 1);
  CHECK(log.has_unstable_entries());
}

TEST_CASE("7 log: compaction keeps the boundary term and frees entries") {
  Log log = make_log({1, 1, 2, 2, 3}, 4);
  const std::vector<Entry> committed = log.take_next_committed(100);
  CHECK(committed.size() == 4);
  log.applied_to(4);
  log.compact(3, {1, 2, 3});
  CHECK(log.first_index() == 4);
  CHECK(log.term_at(3) == 2);
  CHECK(log.term_at(2) == std::nullopt);
  CHECK(log.entry_count() == 2);
  CHECK(log.snapshot_meta() == SnapshotMeta{3, 2, {1, 2, 3}});
  CHECK(log.held_snapshot_image() == nullptr);  // the application stored it
  log.compact(2, {1});                          // older: ignored
  CHECK(log.snapshot_meta().index == 3);
}

TEST_CASE("7 log: restoring a snapshot replaces the log") {
  Log log = make_log({1, 1}, 1);
  log.restore(Snapshot{SnapshotMeta{10, 3, {1}}, Bytes{5}});
  CHECK(log.first_index() == 11);
  CHECK(log.last_index() == 10);
  CHECK(log.committed() == 10);
  CHECK(log.has_pending_snapshot());
  CHECK_FALSE(log.has_next_committed());
  const std::optional<Snapshot> pending = log.take_pending_snapshot();
  REQUIRE(pending.has_value());
  CHECK(pending->meta.index == 10);
}

TEST_CASE("7 log: a received snapshot's image is held until it is durable, then only its meta") {
  Log log = make_log({1, 1}, 1);
  log.restore(Snapshot{SnapshotMeta{10, 3, {1}}, Bytes{5, 6}});
  REQUIRE(log.held_snapshot_image() != nullptr);
  CHECK(*log.held_snapshot_image() == Bytes{5, 6});
  (void)log.take_pending_snapshot();  // handed to storage: not durable yet
  REQUIRE(log.held_snapshot_image() != nullptr);
  // A newer one arrives before the first is durable: the first's
  // durability must not drop the newer image.
  log.restore(Snapshot{SnapshotMeta{12, 3, {1}}, Bytes{7}});
  log.stable_snapshot_to(10);
  REQUIRE(log.held_snapshot_image() != nullptr);
  CHECK(*log.held_snapshot_image() == Bytes{7});
  log.stable_snapshot_to(12);
  CHECK(log.held_snapshot_image() == nullptr);
  CHECK(log.snapshot_meta() == SnapshotMeta{12, 3, {1}});
}

TEST_CASE("log: a log restored from disk holds no snapshot image") {
  Log log(SnapshotMeta{4, 2, {1, 2}}, {Entry{2, 5, Bytes{1}}}, 5);
  CHECK(log.held_snapshot_image() == nullptr);
  CHECK(log.first_index() == 5);
  CHECK(log.term_at(4) == 2);
}

TEST_CASE("log: committed entries are handed out in bounded slices") {
  Log log = make_log({1, 1, 1, 1, 1}, 5);
  CHECK(log.take_next_committed(2).size() == 2);
  CHECK(log.take_next_committed(2).back().index == 4);
  CHECK(log.take_next_committed(2).size() == 1);
  CHECK_FALSE(log.has_next_committed());
}

}  // namespace simrun::raft
