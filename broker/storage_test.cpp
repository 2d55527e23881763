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

TEST_CASE("a snapshot file built ahead (image written in place) is the one compact writes") {
  const raft::SnapshotMeta meta{2, 1, {1, 2, 3}};
  const raft::Bytes image = {4, 5, 6, 7};
  DiskFixture by_image;
  DiskFixture by_file;
  for (DiskFixture* fixture : {&by_image, &by_file}) {
    GroupStorage storage(fixture->disk, "g", true);
    (void)storage.load();
    storage.append({entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")});
    if (fixture == &by_image) {
      storage.compact(meta, image);
    } else {
      storage.compact(GroupStorage::encode_snapshot_file(
          meta, [&image](sim::Bytes& out) { out.insert(out.end(), image.begin(), image.end()); }));
    }
    CHECK(storage.stored_snapshot() == raft::Snapshot{meta, image});
    CHECK(storage.first_index() == 3);
  }
  CHECK(by_image.disk.read("raft/g/snapshot") == by_file.disk.read("raft/g/snapshot"));
  CHECK(by_image.disk.read("raft/g/log") == by_file.disk.read("raft/g/log"));
}

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
  CHECK(report.bad_records == 0);  // a short last record is a torn tail, not damage
  CHECK(report.torn_tail_bytes == sizeof(junk));
  CHECK(report.bytes_discarded == sizeof(junk));
  CHECK_FALSE(report.needs_repair());
  CHECK_FALSE(restored.needs_repair);
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
  storage.compact(snapshot.meta, snapshot.data);
  CHECK(storage.stored_snapshot() == snapshot);  // what the Raft core sends a follower
  storage.append({entry(2, 4, "D")});            // truncation still finds its offsets
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
  CHECK(storage.stored_snapshot() == received);
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

namespace simrun::broker {
namespace {

raft::Entry numbered(raft::Index index) {
  return raft::Entry{1, index, raft::Bytes{static_cast<std::uint8_t>(index), 7, 7, 7}};
}

// A group with entries 1..5 synced, hard state commit 5, on a fresh disk.
struct DamageFixture {
  sim::World world{sim::WorldConfig{}};
  sim::ProcessId process = world.add_process("node1", [](sim::Env&) {});
  sim::Disk& disk = world.disk(process);
  DamageFixture() {
    GroupStorage storage(disk, "g", true);
    (void)storage.load();
    storage.append({numbered(1), numbered(2), numbered(3), numbered(4), numbered(5)});
    storage.save_hard_state(raft::HardState{1, 2, 5});
    storage.sync();
  }
  void flip(const std::string& file, std::size_t offset) {
    sim::Bytes bytes = *disk.read(file);
    REQUIRE(offset < bytes.size());
    bytes[offset] = static_cast<std::uint8_t>(bytes[offset] ^ 0x80);
    disk.write(file, bytes);
    disk.fsync();
  }
  std::size_t record_bytes() const { return GroupStorage::encode_record(numbered(1)).size(); }
};

}  // namespace

TEST_CASE("the durable snapshot index is known only while the snapshot file is synced") {
  DiskFixture fixture;
  GroupStorage storage(fixture.disk, "g", true);
  (void)storage.load();
  CHECK(storage.durable_snapshot_index() == raft::Index{0});  // no snapshot: from 1 on
  storage.append({entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")});
  CHECK(storage.durable_snapshot_index() == raft::Index{0});  // log appends do not matter
  raft::Snapshot snapshot;
  snapshot.meta = raft::SnapshotMeta{2, 1, {1, 2, 3}};
  storage.compact(snapshot.meta, snapshot.data);
  // A crash now would bring back no snapshot: unknown until the fsync.
  CHECK_FALSE(storage.durable_snapshot_index().has_value());
  storage.sync();
  CHECK(storage.durable_snapshot_index() == raft::Index{2});
  storage.append({entry(1, 4, "d")});
  CHECK(storage.durable_snapshot_index() == raft::Index{2});
  raft::Snapshot received;
  received.meta = raft::SnapshotMeta{10, 3, {1, 2, 3}};
  storage.install_snapshot(received);
  CHECK_FALSE(storage.durable_snapshot_index().has_value());
  storage.sync();
  CHECK(storage.durable_snapshot_index() == raft::Index{10});
  GroupStorage reloaded(fixture.disk, "g", true);
  (void)reloaded.load();
  CHECK(reloaded.durable_snapshot_index() == raft::Index{10});
}

TEST_CASE("issue 11: a flipped bit in a synced record is damage: cut, traced, repair target kept") {
  DamageFixture fixture;
  // Body of record 3 (every record has the same size here).
  fixture.flip("raft/g/log", 2 * fixture.record_bytes() + fixture.record_bytes() - 1);
  LoadReport report;
  GroupStorage reloaded(fixture.disk, "g", true);
  const raft::RestoredState restored = reloaded.load(&report);
  CHECK(restored.entries.size() == 2);
  CHECK(report.bad_records == 1);
  CHECK(report.torn_tail_bytes == 0);
  CHECK(report.lost_from == 3);
  CHECK(report.lost_through == 5);  // records 4 and 5 are still readable evidence
  REQUIRE(report.damage.size() == 1);
  CHECK(report.damage[0] == DamageKind::log_record);
  CHECK(report.commit_clamped);
  CHECK(restored.needs_repair);
  CHECK(restored.repair_through == 5);
  CHECK(restored.hard_state.commit == 2);
}

TEST_CASE("issue 11: a flipped bit in a record header is damage, never a torn tail") {
  DamageFixture fixture;
  fixture.flip("raft/g/log", 4 * fixture.record_bytes() + 1);  // length of record 5
  LoadReport report;
  GroupStorage reloaded(fixture.disk, "g", true);
  const raft::RestoredState restored = reloaded.load(&report);
  CHECK(restored.entries.size() == 4);
  CHECK(report.torn_tail_bytes == 0);
  CHECK(report.bad_records == 1);
  CHECK(restored.needs_repair);
  CHECK(restored.repair_through == 5);  // the stored commit
}

TEST_CASE("issue 11: a corrupt hard state is detected, never read as a term") {
  DamageFixture fixture;
  fixture.flip("raft/g/hard_state", 12 + 7);  // the bit of the issue: term byte 7
  LoadReport report;
  GroupStorage reloaded(fixture.disk, "g", true);
  const raft::RestoredState restored = reloaded.load(&report);
  CHECK(report.hard_state_corrupt);
  CHECK(restored.hard_state == raft::HardState{});
  CHECK(restored.entries.size() == 5);
  CHECK(restored.needs_repair);
  CHECK(restored.repair_through == 5);
}

TEST_CASE("issue 11: a corrupt snapshot is detected; the log without its base is dropped") {
  DamageFixture fixture;
  {
    GroupStorage storage(fixture.disk, "g2", true);
    (void)storage.load();
    storage.append({numbered(1), numbered(2), numbered(3)});
    raft::Snapshot snapshot;
    snapshot.meta = raft::SnapshotMeta{2, 1, {1, 2, 3}};
    snapshot.data = {1, 2, 3, 4};
    storage.compact(snapshot.meta, snapshot.data);
    storage.sync();
  }
  fixture.flip("raft/g2/snapshot", 20);
  LoadReport report;
  GroupStorage reloaded(fixture.disk, "g2", true);
  const raft::RestoredState restored = reloaded.load(&report);
  CHECK(report.snapshot_corrupt);
  CHECK(restored.snapshot.meta.index == 0);
  CHECK(restored.entries.empty());
  CHECK(restored.needs_repair);
  CHECK(restored.repair_through == 3);
}

TEST_CASE("issue 11: the repair marker outlives a crash until clear_repair()") {
  DamageFixture fixture;
  fixture.flip("raft/g/hard_state", 3);
  {
    GroupStorage first(fixture.disk, "g", true);
    CHECK(first.load().needs_repair);
    first.sync();
  }
  fixture.disk.on_crash();
  {
    GroupStorage second(fixture.disk, "g", true);
    LoadReport report;
    const raft::RestoredState restored = second.load(&report);
    CHECK(report.repair_pending);
    CHECK(report.damage.size() == 1);  // the hard state is still the damaged one
    CHECK(restored.needs_repair);
    second.save_hard_state(raft::HardState{3, 1, 5});
    second.clear_repair();
    second.sync();
  }
  GroupStorage third(fixture.disk, "g", true);
  LoadReport report;
  CHECK_FALSE(third.load(&report).needs_repair);
  CHECK(report.damage.empty());
}

}  // namespace simrun::broker
