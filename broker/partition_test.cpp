#include "broker/partition.h"

#include <doctest/doctest.h>

#include "broker/record_batch.h"

namespace simrun::broker {
namespace {

wire::Bytes batch_bytes(std::uint64_t sequence, int records, std::int64_t claimed_base = 999,
                        std::int64_t timestamp_ms = 0, std::size_t value_bytes = 10) {
  RecordBatch batch;
  batch.base_offset = claimed_base;  // whatever the client wrote is replaced
  batch.producer_id = 7;
  batch.producer_sequence = sequence;
  for (int i = 0; i < records; ++i) {
    Record record;
    record.timestamp_ms = timestamp_ms + i;
    record.value = wire::Bytes(value_bytes,
                               static_cast<std::uint8_t>(sequence + static_cast<std::uint64_t>(i)));
    batch.records.push_back(record);
  }
  return encode_record_batch(batch);
}

TEST_CASE("offsets are assigned at apply from the records applied so far") {
  PartitionStateMachine partition;
  CHECK(partition.high_watermark() == 0);
  CHECK(partition.apply(raft::Entry{1, 2, batch_bytes(1, 3)}));
  CHECK(partition.apply(raft::Entry{1, 3, batch_bytes(2, 1)}));
  // The empty entry of a new term and garbage are deser errors: nothing applied.
  CHECK_FALSE(partition.apply(raft::Entry{2, 4, {}}));
  auto corrupt = batch_bytes(3, 2);
  corrupt.back() ^= 1;
  CHECK_FALSE(partition.apply(raft::Entry{2, 5, corrupt}));
  CHECK(partition.apply(raft::Entry{2, 6, batch_bytes(4, 2)}));

  CHECK(partition.high_watermark() == 6);
  REQUIRE(partition.batches().size() == 3);
  CHECK(partition.batches()[0].base_offset == 0);
  CHECK(partition.batches()[1].base_offset == 3);
  CHECK(partition.batches()[2].base_offset == 4);
  const StoredBatch* by_index = partition.find_by_raft_index(6);
  REQUIRE(by_index != nullptr);
  CHECK(by_index->base_offset == 4);
  CHECK(by_index->raft_term == 2);
  CHECK(partition.find_by_raft_index(4) == nullptr);
  // The stored hash is the content hash, unchanged by stamping the offset.
  CHECK(by_index->content_hash == *batch_content_hash(batch_bytes(4, 2, 0)));

  // Reading from an offset inside the second batch returns it and the rest,
  // stamped with their offsets.
  const auto decoded = decode_record_batches(partition.read(3, 1 << 20));
  REQUIRE(decoded);
  REQUIRE(decoded->size() == 2);
  CHECK((*decoded)[0].base_offset == 3);
  CHECK((*decoded)[1].base_offset == 4);
  // max_bytes limits to whole batches, but at least one.
  const auto first_only = decode_record_batches(partition.read(0, 1));
  REQUIRE(first_only);
  CHECK(first_only->size() == 1);
  CHECK(partition.read(6, 1 << 20).empty());
  // A re-applied entry (same Raft index) is not appended twice.
  CHECK(partition.apply(raft::Entry{2, 6, batch_bytes(4, 2)}));
  CHECK(partition.high_watermark() == 6);
}

TEST_CASE("out-of-order apply (v2.0.0 spawned apply) assigns offsets in apply order") {
  PartitionStateMachine partition;
  CHECK(partition.apply(raft::Entry{1, 3, batch_bytes(3, 1)}));
  CHECK(partition.apply(raft::Entry{1, 2, batch_bytes(2, 1)}));
  REQUIRE(partition.find_by_raft_index(3) != nullptr);
  CHECK(partition.find_by_raft_index(3)->base_offset == 0);
  CHECK(partition.find_by_raft_index(2)->base_offset == 1);
}

TEST_CASE("snapshot and restore give an identical partition") {
  PartitionStateMachine partition;
  for (std::uint64_t i = 0; i < 5; ++i) {
    REQUIRE(partition.apply(raft::Entry{1, i + 1, batch_bytes(i, static_cast<int>(i % 3) + 1)}));
  }
  PartitionStateMachine copy;
  copy.restore(partition.snapshot());
  CHECK(copy.high_watermark() == partition.high_watermark());
  CHECK(copy.batches() == partition.batches());
  CHECK(copy.batches_applied() == 5);
  // And it continues from the same offset.
  CHECK(copy.apply(raft::Entry{1, 6, batch_bytes(9, 1)}));
  CHECK(copy.batches().back().base_offset == partition.high_watermark());
  // snapshot_into appends the same image after what the buffer holds.
  raft::Bytes file{1, 2, 3};
  partition.snapshot_into(file);
  CHECK(raft::Bytes(file.begin() + 3, file.end()) == partition.snapshot());
}

std::int64_t log_start_offset(const PartitionStateMachine& partition) {
  return partition.log_start_offset();
}

TEST_CASE("retention by size deletes whole closed segments, never the active one") {
  // Batches of 1 record with a 1,000-byte value: ~1,050 bytes each; 4 per
  // 4 KiB segment (rolled once the active one holds >= 4,096 bytes).
  const Retention retention{4096, 8192, -1};
  PartitionStateMachine partition(retention);
  const std::size_t batch_size = batch_bytes(1, 1, 999, 0, 1000).size();
  for (std::uint64_t i = 1; i <= 40; ++i) {
    REQUIRE(partition.apply(raft::Entry{1, i, batch_bytes(i, 1, 999, 0, 1000)}));
    // The log without its oldest segment holds less than retention_bytes,
    // and it holds at least the active segment.
    CHECK(partition.retained_bytes() >= batch_size);
    CHECK(partition.retained_bytes() < 8192 + 2 * 4096 + batch_size);
  }
  CHECK(partition.segments_deleted() > 0);
  CHECK(partition.high_watermark() == 40);
  // Deleted segments take their index entries: what is left starts at the
  // log start offset and holds bytes; a fetch below it starts there.
  const std::int64_t start = log_start_offset(partition);
  CHECK(start > 0);
  CHECK(start % 4 == 0);  // whole segments of 4 batches went
  CHECK(partition.batches().size() == static_cast<std::size_t>(40 - start));
  CHECK(partition.batches().front().base_offset == start);
  for (const StoredBatch& batch : partition.batches()) CHECK_FALSE(batch.bytes.empty());
  CHECK(partition.find_by_raft_index(1) == nullptr);
  CHECK(partition.find_by_raft_index(40) != nullptr);
  const auto fetched = decode_record_batches(partition.read(0, 1));
  REQUIRE(fetched);
  REQUIRE(fetched->size() == 1);
  CHECK((*fetched)[0].base_offset == start);
}

TEST_CASE("retention by time deletes segments older than retention_ms behind the newest batch") {
  const Retention retention{1024, -1, 10'000};
  PartitionStateMachine partition(retention);
  // One batch per second of producer time, each ~1,050 bytes: every batch
  // rolls a segment of its own.
  for (std::uint64_t i = 1; i <= 30; ++i) {
    REQUIRE(partition.apply(
        raft::Entry{1, i, batch_bytes(i, 1, 999, static_cast<std::int64_t>(i) * 1000, 1000)}));
  }
  // Newest timestamp 30 s: batches stamped before 20 s are deleted.
  CHECK(log_start_offset(partition) == 19);  // the batch stamped 20 s (offset 19)
  CHECK(partition.segments_deleted() == 19);
}

TEST_CASE("unlimited retention keeps every byte; restore rebuilds the segments") {
  const Retention unlimited{1024, -1, -1};
  PartitionStateMachine partition(unlimited);
  for (std::uint64_t i = 1; i <= 20; ++i) {
    REQUIRE(partition.apply(raft::Entry{1, i, batch_bytes(i, 1, 999, 0, 1000)}));
  }
  CHECK(partition.segments_deleted() == 0);
  CHECK(log_start_offset(partition) == 0);

  PartitionStateMachine limited(Retention{4096, 8192, -1});
  for (std::uint64_t i = 1; i <= 20; ++i) {
    REQUIRE(limited.apply(raft::Entry{1, i, batch_bytes(i, 1, 999, 0, 1000)}));
  }
  PartitionStateMachine restored(Retention{4096, 8192, -1});
  restored.restore(limited.snapshot());
  CHECK(restored.retained_bytes() == limited.retained_bytes());
  CHECK(log_start_offset(restored) == log_start_offset(limited));
  // Both keep deleting the same way afterwards.
  for (std::uint64_t i = 21; i <= 40; ++i) {
    REQUIRE(limited.apply(raft::Entry{1, i, batch_bytes(i, 1, 999, 0, 1000)}));
    REQUIRE(restored.apply(raft::Entry{1, i, batch_bytes(i, 1, 999, 0, 1000)}));
  }
  CHECK(restored.batches() == limited.batches());
}

}  // namespace
}  // namespace simrun::broker
