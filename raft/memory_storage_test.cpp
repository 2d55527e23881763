// MemoryStorage: the in-memory durable state the raft test harnesses share.

#include "raft/memory_storage.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

namespace simrun::raft {
namespace {

std::vector<Entry> entries(Term term, Index first, Index last) {
  std::vector<Entry> out;
  for (Index i = first; i <= last; ++i)
    out.push_back(Entry{term, i, Bytes{static_cast<std::uint8_t>(i)}});
  return out;
}

Ready ready_with_entries(std::vector<Entry> list) {
  Ready rd;
  rd.entries = std::move(list);
  return rd;
}

Ready ready_with_snapshot(Index index, Term term) {
  Ready rd;
  rd.snapshot = Snapshot{SnapshotMeta{index, term, {1, 2, 3}}, Bytes{0x5A}};
  return rd;
}

}  // namespace

TEST_CASE("a new storage restores an empty node") {
  MemoryStorage storage;
  const RestoredState restored = storage.restored();
  CHECK(restored.hard_state == HardState{});
  CHECK(restored.snapshot.meta.index == 0);
  CHECK(restored.entries.empty());
  CHECK(storage.last_index() == 0);
  CHECK(storage.term_at(0) == Term{0});
  CHECK(storage.term_at(1) == std::nullopt);
}

TEST_CASE("entries, then hard state, are what a restart reads back") {
  MemoryStorage storage;
  Ready rd = ready_with_entries(entries(1, 1, 3));
  rd.hard_state = HardState{1, 2, 2};
  rd.hard_state_changed = true;
  storage.persist(rd);
  const RestoredState restored = storage.restored();
  CHECK(restored.hard_state == HardState{1, 2, 2});
  CHECK(restored.entries == entries(1, 1, 3));
  CHECK(storage.last_index() == 3);
  CHECK(storage.term_at(2) == Term{1});

  // A Ready without a hard state change leaves the stored one alone.
  storage.persist(ready_with_entries(entries(1, 4, 4)));
  CHECK(storage.hard_state() == HardState{1, 2, 2});
  CHECK(storage.last_index() == 4);
}

TEST_CASE("5.3 a conflicting suffix replaces the stored one") {
  MemoryStorage storage;
  storage.persist(ready_with_entries(entries(1, 1, 5)));
  storage.persist(ready_with_entries(entries(2, 3, 4)));
  CHECK(storage.last_index() == 4);  // index 5 of term 1 is gone
  CHECK(storage.term_at(2) == Term{1});
  CHECK(storage.term_at(3) == Term{2});
  CHECK(storage.term_at(5) == std::nullopt);
}

TEST_CASE("entries that leave a gap or are not contiguous are rejected") {
  MemoryStorage storage;
  storage.persist(ready_with_entries(entries(1, 1, 2)));
  CHECK_THROWS_AS(storage.persist(ready_with_entries(entries(1, 4, 4))), std::runtime_error);
  std::vector<Entry> gapped = entries(1, 3, 3);
  gapped.push_back(Entry{1, 5, {}});
  CHECK_THROWS_AS(storage.persist(ready_with_entries(gapped)), std::runtime_error);
}

TEST_CASE("7 a snapshot drops the log unless the log continues from it") {
  SUBCASE("the stored entry at the snapshot point has another term: drop everything") {
    MemoryStorage storage;
    storage.persist(ready_with_entries(entries(1, 1, 6)));
    storage.persist(ready_with_snapshot(4, 2));
    CHECK(storage.snapshot().meta.index == 4);
    CHECK(storage.entries().empty());
    CHECK(storage.last_index() == 4);
    CHECK(storage.restored().snapshot.data == Bytes{0x5A});
  }
  SUBCASE("same index and term: keep the suffix after it") {
    MemoryStorage storage;
    storage.persist(ready_with_entries(entries(2, 1, 6)));
    storage.persist(ready_with_snapshot(4, 2));
    CHECK(storage.entries() == entries(2, 5, 6));
    CHECK(storage.term_at(4) == Term{2});
  }
  SUBCASE("a snapshot beyond the log") {
    MemoryStorage storage;
    storage.persist(ready_with_entries(entries(1, 1, 2)));
    storage.persist(ready_with_snapshot(10, 3));
    CHECK(storage.entries().empty());
    CHECK(storage.last_index() == 10);
    // The next entries continue from the snapshot point, not from the old log.
    CHECK_THROWS_AS(storage.persist(ready_with_entries(entries(3, 3, 3))), std::runtime_error);
    storage.persist(ready_with_entries(entries(3, 11, 11)));
    CHECK(storage.last_index() == 11);
  }
}

TEST_CASE("7 a snapshot that does not move forward is rejected") {
  MemoryStorage storage;
  storage.persist(ready_with_snapshot(5, 1));
  CHECK_THROWS_AS(storage.persist(ready_with_snapshot(5, 1)), std::runtime_error);
  CHECK_THROWS_AS(storage.persist(ready_with_snapshot(3, 1)), std::runtime_error);
  CHECK(storage.snapshot().meta.index == 5);
}

TEST_CASE("7 compaction stores the application's snapshot and drops what it covers") {
  MemoryStorage storage;
  storage.persist(ready_with_entries(entries(1, 1, 3)));
  storage.persist(ready_with_entries(entries(2, 4, 6)));
  const Snapshot& snapshot = storage.compact(4, Bytes{7}, {1, 2, 3});
  CHECK(snapshot.meta.index == 4);
  CHECK(snapshot.meta.term == 2);  // the term of the stored entry at 4
  CHECK(snapshot.meta.voters == std::vector<NodeId>{1, 2, 3});
  CHECK(storage.entries() == entries(2, 5, 6));
  CHECK(storage.restored().snapshot.data == Bytes{7});
  CHECK(storage.term_at(3) == std::nullopt);

  CHECK_THROWS_AS(storage.compact(4, Bytes{}, {1}), std::runtime_error);  // not above the snapshot
  CHECK_THROWS_AS(storage.compact(7, Bytes{}, {1}), std::runtime_error);  // not stored
  storage.compact(6, Bytes{8}, {1, 2, 3});
  CHECK(storage.entries().empty());
  CHECK(storage.last_index() == 6);
}

TEST_CASE("overwrite_hard_state models a lost write until the next Ready") {
  MemoryStorage storage;
  Ready rd;
  rd.hard_state = HardState{3, 1, 0};
  rd.hard_state_changed = true;
  storage.persist(rd);
  storage.overwrite_hard_state(HardState{3, kNoNode, 0});
  CHECK(storage.restored().hard_state.vote == kNoNode);
  storage.persist(rd);
  CHECK(storage.restored().hard_state.vote == 1);
}

}  // namespace simrun::raft
