#include "broker/partition.h"

#include <doctest/doctest.h>

#include "broker/record_batch.h"

namespace simrun::broker {
namespace {

wire::Bytes batch_bytes(std::uint64_t sequence, int records, std::int64_t claimed_base = 999) {
  RecordBatch batch;
  batch.base_offset = claimed_base;  // whatever the client wrote is replaced
  batch.producer_id = 7;
  batch.producer_sequence = sequence;
  for (int i = 0; i < records; ++i) {
    Record record;
    record.timestamp_ms = i;
    record.value =
        wire::Bytes(10, static_cast<std::uint8_t>(sequence + static_cast<std::uint64_t>(i)));
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
}

}  // namespace
}  // namespace simrun::broker
