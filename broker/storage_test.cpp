#include "broker/storage.h"

#include <doctest/doctest.h>

#include "sim/world.h"

namespace simrun::broker {
namespace {

raft::Entry entry(raft::Term term, raft::Index index, std::string text) {
  return raft::Entry{term, index, raft::Bytes(text.begin(), text.end())};
}

// Disk calls from the scheduler context (no fiber): fsync makes everything
// durable at once, which is all these tests need.
struct DiskFixture {
  sim::World world{sim::WorldConfig{}};
  sim::ProcessId process = world.add_process("node1", [](sim::Env&) {});
  sim::Disk& disk = world.disk(process);
};

TEST_CASE("entries, hard state and snapshot come back from the disk") {
  DiskFixture fixture;
  {
    GroupStorage storage(fixture.disk, "orders/0", true);
    const raft::RestoredState empty = storage.load();
    CHECK(empty.entries.empty());
    CHECK(empty.hard_state == raft::HardState{});
    storage.append({entry(1, 1, "a"), entry(1, 2, "b"), entry(2, 3, "c")});
    storage.save_hard_state(raft::HardState{2, 3, 2});
    storage.sync();
  }
  GroupStorage reloaded(fixture.disk, "orders/0", true);
  const raft::RestoredState restored = reloaded.load();
  REQUIRE(restored.entries.size() == 3);
  CHECK(restored.entries[2] == entry(2, 3, "c"));
  CHECK(restored.hard_state == raft::HardState{2, 3, 2});
  CHECK(reloaded.last_index() == 3);
}

TEST_CASE("a conflicting append truncates the stored suffix") {
  DiskFixture fixture;
  GroupStorage storage(fixture.disk, "g", true);
  (void)storage.load();
  storage.append({entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")});
  storage.append({entry(2, 2, "B")});
  storage.sync();
  GroupStorage reloaded(fixture.disk, "g", true);
  const raft::RestoredState restored = reloaded.load();
  REQUIRE(restored.entries.size() == 2);
  CHECK(restored.entries[1] == entry(2, 2, "B"));
}

TEST_CASE("legacy storage keeps no term and no vote (mechanism 7)") {
  DiskFixture fixture;
  GroupStorage storage(fixture.disk, "g", false);
  (void)storage.load();
  storage.append({entry(3, 1, "a")});
  storage.save_hard_state(raft::HardState{7, 2, 1});
  storage.sync();
  GroupStorage reloaded(fixture.disk, "g", false);
  const raft::RestoredState restored = reloaded.load();
  CHECK(restored.hard_state.term == 0);
  CHECK(restored.hard_state.vote == raft::kNoNode);
  CHECK(restored.hard_state.commit == 1);
}

TEST_CASE("unsynced writes are lost at a crash; a damaged tail is cut at load") {
  DiskFixture fixture;
  GroupStorage storage(fixture.disk, "g", true);
  (void)storage.load();
  storage.append({entry(1, 1, "a")});
  storage.sync();
  storage.append({entry(1, 2, "b")});  // never synced
  fixture.disk.on_crash();
  {
    GroupStorage reloaded(fixture.disk, "g", true);
    CHECK(reloaded.load().entries.size() == 1);
  }
  // Garbage after the last record (a torn append): detected and cut.
  const std::uint8_t junk[] = {9, 0, 0, 0, 1, 2};
  fixture.disk.append("raft/g/log", junk);
  fixture.disk.fsync();
  GroupStorage reloaded(fixture.disk, "g", true);
  LoadReport report;
  const raft::RestoredState restored = reloaded.load(&report);
  CHECK(restored.entries.size() == 1);
  CHECK(report.bad_records == 1);
  CHECK(report.bytes_discarded == sizeof(junk));
  reloaded.append({entry(1, 2, "b2")});  // appends continue after the cut
  reloaded.sync();
  GroupStorage again(fixture.disk, "g", true);
  CHECK(again.load().entries.back() == entry(1, 2, "b2"));
}

TEST_CASE("compaction keeps the entries after the snapshot; install replaces the log") {
  DiskFixture fixture;
  GroupStorage storage(fixture.disk, "g", true);
  (void)storage.load();
  storage.append({entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c"), entry(1, 4, "d")});
  raft::Snapshot snapshot;
  snapshot.meta = raft::SnapshotMeta{2, 1, {1, 2, 3}};
  snapshot.data = {42};
  storage.compact(snapshot);
  storage.append({entry(2, 4, "D")});  // truncation still finds its offsets
  storage.sync();
  {
    GroupStorage reloaded(fixture.disk, "g", true);
    const raft::RestoredState restored = reloaded.load();
    CHECK(restored.snapshot == snapshot);
    REQUIRE(restored.entries.size() == 2);
    CHECK(restored.entries[0] == entry(1, 3, "c"));
    CHECK(restored.entries[1] == entry(2, 4, "D"));
  }
  raft::Snapshot received;
  received.meta = raft::SnapshotMeta{10, 3, {1, 2, 3}};
  storage.install_snapshot(received);
  storage.append({entry(3, 11, "k")});
  storage.sync();
  GroupStorage reloaded(fixture.disk, "g", true);
  const raft::RestoredState restored = reloaded.load();
  CHECK(restored.snapshot.meta.index == 10);
  REQUIRE(restored.entries.size() == 1);
  CHECK(restored.entries[0].index == 11);
}

}  // namespace
}  // namespace simrun::broker
