#pragma once
// A record batch: what a producer sends, what a partition's Raft log stores
// (one batch per entry) and what a fetch returns. The layout follows Kafka's
// idea that the leader can stamp the base offset without touching the CRC.
//
// Wire layout (little-endian):
//   i64 base_offset       stamped by the partition leader at apply; NOT under the CRC
//   u32 batch_length      bytes after this field (so batches can be concatenated)
//   u32 crc32c            CRC32C (Castagnoli) over every byte after this field
//   u64 producer_id
//   u64 producer_sequence the producer's batch sequence number
//   u32 record_count      1..kMaxRecordsPerBatch
//   u32 records_length    bytes of the records payload that follows
//   records payload       record_count x { i64 timestamp_ms, u32 key_length, key,
//                                          u32 value_length, value }
//
// Offsets (Kafka semantics): record i of a batch has offset base_offset + i;
// the next batch of the partition starts at base_offset + record_count.
//
// Content hash (the `hash` of produce.acked / consume.record and of
// Cluster::StoredRecord): sim::digest_bytes (XXH3-64) over the records
// payload bytes exactly. It excludes base_offset, the CRC and producer id/sequence,
// so the leader stamping an offset does not change it, while any change to a
// key, value or timestamp does. Use content_hash() on a decoded batch or
// batch_content_hash() on stored bytes; both give the same value.
//
// Decoding an empty byte string fails with "unexpected end of file ..."
// (field report mechanism 4: the empty entry a new leader appends).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/crc32c.h"
#include "broker/wire.h"

namespace simrun::broker {

inline constexpr std::uint32_t kMaxRecordsPerBatch = 4096;
inline constexpr std::uint32_t kMaxRecordKeyBytes = 1024;
inline constexpr std::uint32_t kMaxRecordValueBytes = 1024 * 1024;
inline constexpr std::uint32_t kMaxBatchBytes = 4 * 1024 * 1024;
// Bytes before the CRC-covered part: base_offset, batch_length, crc32c.
inline constexpr std::size_t kBatchPrefixBytes = 8 + 4 + 4;
// Fixed part of the header (prefix + producer id/sequence + counts).
inline constexpr std::size_t kBatchHeaderBytes = kBatchPrefixBytes + 8 + 8 + 4 + 4;

// The batch CRC is broker/crc32c.h's crc32c (SSE 4.2 or a portable table).

struct Record {
  std::int64_t timestamp_ms = 0;  // producer's local clock; informational only
  wire::Bytes key;
  wire::Bytes value;
  bool operator==(const Record&) const = default;
};

struct RecordBatch {
  std::int64_t base_offset = 0;
  std::uint64_t producer_id = 0;
  std::uint64_t producer_sequence = 0;
  std::vector<Record> records;

  // The content hash defined above (encodes the payload and hashes it).
  std::uint64_t content_hash() const;
  std::int64_t last_offset() const {
    return base_offset + static_cast<std::int64_t>(records.size()) - 1;
  }
  bool operator==(const RecordBatch&) const = default;
};

// Asserts the batch is within the bounds above (programmer error otherwise).
wire::Bytes encode_record_batch(const RecordBatch& batch);

// Builds one encoded batch record by record, straight into its bytes: a
// producer writes each generated value where it goes instead of building a
// RecordBatch and copying it into the encoding (issue 12). Gives the bytes
// encode_record_batch gives for the same records.
class RecordBatchBuilder {
 public:
  // `reserve_bytes`: the expected encoded size (one allocation when right).
  RecordBatchBuilder(std::uint64_t producer_id, std::uint64_t producer_sequence,
                     std::size_t reserve_bytes);
  void add(const Record& record);
  // Appends a record with a `value_bytes`-long value and returns the value's
  // bytes (zeroed) for the caller to fill before the next add or finish.
  std::span<std::uint8_t> add(std::int64_t timestamp_ms, std::span<const std::uint8_t> key,
                              std::size_t value_bytes);
  // Patches the lengths and the CRC; asserts at least one record.
  wire::Bytes finish() &&;

 private:
  wire::Bytes bytes_;
  std::uint32_t record_count_ = 0;
};

// The encoded size of a batch of these records, header included.
std::size_t encoded_record_batch_bytes(const std::vector<Record>& records);

// The content hash of a batch this process just encoded (no second CRC
// check: the bytes are its own). Asserts a batch header.
std::uint64_t encoded_batch_content_hash(std::span<const std::uint8_t> encoded_batch);

// Decodes exactly one batch occupying all of `bytes`; verifies lengths,
// bounds and CRC. Errors: "unexpected end of file reading <field> at byte N",
// "crc mismatch: stored 0x..., computed 0x...", "record_count 0 ...", ...
wire::Decoded<RecordBatch> decode_record_batch(std::span<const std::uint8_t> bytes);

// Decodes a concatenation of batches (a fetch response's records), at most
// kMaxRecordsPerBatch batches.
wire::Decoded<std::vector<RecordBatch>> decode_record_batches(std::span<const std::uint8_t> bytes);

// Cheap accessors on encoded, already-validated batches (the partition
// state machine uses these at apply). They validate framing and CRC too and
// return an error instead of trusting the bytes.
struct BatchSummary {
  std::int64_t base_offset = 0;
  std::uint32_t record_count = 0;
  std::uint64_t producer_id = 0;
  std::uint64_t producer_sequence = 0;
  std::uint64_t content_hash = 0;
};
wire::Decoded<BatchSummary> summarize_record_batch(std::span<const std::uint8_t> bytes);
wire::Decoded<std::uint64_t> batch_content_hash(std::span<const std::uint8_t> bytes);

// What a broker checks of a produced batch before proposing it, as Kafka's
// broker does: framing, bounds and CRC (summarize_record_batch's checks
// without hashing the content). nullopt when valid, else why not.
std::optional<std::string> check_record_batch(std::span<const std::uint8_t> bytes);

// A concatenation of batches (a fetch response's records) checked exactly as
// decode_record_batches checks it, every record's framing included, and
// summarised without copying a record out: what a consumer needs to report
// offsets and content hashes.
wire::Decoded<std::vector<BatchSummary>> summarize_record_batches(
    std::span<const std::uint8_t> bytes);

// Overwrites the base_offset of an encoded batch in place (the CRC does not
// cover it). Asserts the buffer is at least a batch prefix long.
void stamp_base_offset(wire::Bytes& encoded_batch, std::int64_t base_offset);

}  // namespace simrun::broker
