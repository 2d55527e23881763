#include "broker/record_batch.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "raft/little_endian.h"
#include "sim/assert.h"
#include "sim/digest.h"

namespace simrun::broker {
namespace {

// Smallest encoded record: timestamp + two empty length prefixes.
constexpr std::size_t kMinRecordBytes = 8 + 4 + 4;

void encode_records(wire::Writer& out, const std::vector<Record>& records) {
  for (const Record& record : records) {
    out.i64(record.timestamp_ms);
    out.bytes(record.key);
    out.bytes(record.value);
  }
}

// The parsed, CRC-checked framing of one batch, before its records are
// decoded.
struct Frame {
  BatchSummary summary;
  std::span<const std::uint8_t> records_payload;
  std::size_t total_bytes = 0;  // prefix + batch_length
};

// Whether read_frame hashes the records payload (a broker checking a
// produced batch does not need the hash).
enum class Hashing : std::uint8_t { content, none };

// Parses the batch starting at the reader's position; leaves the reader
// after it.
std::optional<Frame> read_frame(wire::Reader& in, std::span<const std::uint8_t> whole,
                                Hashing hashing) {
  const std::size_t start = in.position();
  Frame frame;
  frame.summary.base_offset = in.i64("base_offset");
  const std::uint32_t batch_length = in.u32("batch_length");
  const std::uint32_t stored_crc = in.u32("crc32c");
  if (!in.ok()) return std::nullopt;
  if (batch_length > kMaxBatchBytes) {
    in.fail(fmt::format("batch_length {} exceeds {}", batch_length, kMaxBatchBytes));
    return std::nullopt;
  }
  if (batch_length < kBatchHeaderBytes - kBatchPrefixBytes + 4) {
    // Fewer bytes than the CRC-covered header needs (the +4 is the CRC
    // itself, which batch_length counts).
    in.fail(fmt::format("batch_length {} shorter than a batch header", batch_length));
    return std::nullopt;
  }
  const std::size_t covered_bytes = batch_length - 4;  // after the crc field
  if (in.remaining() < covered_bytes) {
    in.fail(fmt::format("unexpected end of file reading batch body at byte {} (need {}, have {})",
                        in.position(), covered_bytes, in.remaining()));
    return std::nullopt;
  }
  const auto covered = whole.subspan(in.position(), covered_bytes);
  const std::uint32_t computed_crc = crc32c(covered);
  if (computed_crc != stored_crc) {
    in.fail(
        fmt::format("crc mismatch: stored 0x{:08x}, computed 0x{:08x}", stored_crc, computed_crc));
    return std::nullopt;
  }
  wire::Reader body(covered);
  frame.summary.producer_id = body.u64("producer_id");
  frame.summary.producer_sequence = body.u64("producer_sequence");
  frame.summary.record_count = body.u32("record_count");
  const std::uint32_t records_length = body.u32("records_length");
  if (!body.ok()) {
    in.fail(body.error());
    return std::nullopt;
  }
  if (frame.summary.record_count == 0 || frame.summary.record_count > kMaxRecordsPerBatch) {
    in.fail(fmt::format("record_count {} outside [1, {}]", frame.summary.record_count,
                        kMaxRecordsPerBatch));
    return std::nullopt;
  }
  if (records_length != body.remaining()) {
    in.fail(fmt::format("records_length {} does not match the {} bytes left in the batch",
                        records_length, body.remaining()));
    return std::nullopt;
  }
  if (records_length / kMinRecordBytes < frame.summary.record_count) {
    in.fail(fmt::format("records_length {} too short for {} records", records_length,
                        frame.summary.record_count));
    return std::nullopt;
  }
  frame.records_payload = body.raw("records", records_length);
  switch (hashing) {
    case Hashing::content:
      frame.summary.content_hash = sim::digest_bytes(frame.records_payload);
      break;
    case Hashing::none:
      break;
  }
  (void)in.raw("batch body", covered_bytes);
  frame.total_bytes = in.position() - start;
  return frame;
}

// Walks the records of a frame, checking each one's framing, and hands
// each to `on_record(timestamp_ms, key, value)` (spans into the frame). On
// failure fails `outer` with "record N: why" and returns false.
template <typename OnRecord>
bool walk_records(const Frame& frame, wire::Reader& outer, OnRecord&& on_record) {
  wire::Reader in(frame.records_payload);
  std::uint32_t attempted = 0;
  for (std::uint32_t i = 0; i < frame.summary.record_count && in.ok(); ++i) {
    ++attempted;
    const std::int64_t timestamp_ms = in.i64("record timestamp_ms");
    const auto key = in.bytes_view("record key", kMaxRecordKeyBytes);
    const auto value = in.bytes_view("record value", kMaxRecordValueBytes);
    if (in.ok()) on_record(timestamp_ms, key, value);
  }
  in.expect_end("the last record");
  if (!in.ok()) {
    outer.fail("record " + std::to_string(attempted) + ": " + in.error());
    return false;
  }
  return true;
}

std::optional<RecordBatch> decode_records(const Frame& frame, wire::Reader& outer) {
  RecordBatch batch;
  batch.base_offset = frame.summary.base_offset;
  batch.producer_id = frame.summary.producer_id;
  batch.producer_sequence = frame.summary.producer_sequence;
  batch.records.reserve(frame.summary.record_count);
  const bool ok = walk_records(frame, outer,
                               [&](std::int64_t timestamp_ms, std::span<const std::uint8_t> key,
                                   std::span<const std::uint8_t> value) {
                                 Record& record = batch.records.emplace_back();
                                 record.timestamp_ms = timestamp_ms;
                                 record.key.assign(key.begin(), key.end());
                                 record.value.assign(value.begin(), value.end());
                               });
  if (!ok) return std::nullopt;
  return batch;
}

// A concatenation of batches (a fetch response's records), each framed,
// bounded and CRC-checked, then handed to `take(frame, in)`, which returns
// the item for it or nullopt after failing `in`. Errors name the batch.
template <typename Item, typename Take>
wire::Decoded<std::vector<Item>> walk_batches(std::span<const std::uint8_t> bytes, Take&& take) {
  using Result = wire::Decoded<std::vector<Item>>;
  std::vector<Item> items;
  wire::Reader in(bytes);
  while (in.remaining() > 0) {
    if (items.size() >= kMaxRecordsPerBatch) return Result::fail("too many batches");
    std::optional<Frame> frame = read_frame(in, bytes, Hashing::content);
    std::optional<Item> item;
    if (frame) item = take(*frame, in);
    if (!item) return Result::fail(fmt::format("batch {}: {}", items.size(), in.error()));
    items.push_back(std::move(*item));
  }
  return Result::ok(std::move(items));
}

std::size_t encoded_record_bytes(const Record& record) {
  return kMinRecordBytes + record.key.size() + record.value.size();
}

}  // namespace

std::uint64_t RecordBatch::content_hash() const {
  wire::Bytes payload;
  payload.reserve(encoded_record_batch_bytes(records) - kBatchHeaderBytes);
  wire::Writer out(payload);
  encode_records(out, records);
  return sim::digest_bytes(payload);
}

std::size_t encoded_record_batch_bytes(const std::vector<Record>& records) {
  std::size_t total = kBatchHeaderBytes;
  for (const Record& record : records) total += encoded_record_bytes(record);
  return total;
}

wire::Bytes encode_record_batch(const RecordBatch& batch) {
  SIMRUN_ASSERT(!batch.records.empty(), "a record batch holds at least one record");
  SIMRUN_ASSERT(batch.records.size() <= kMaxRecordsPerBatch, "too many records in a batch");
  RecordBatchBuilder builder(batch.producer_id, batch.producer_sequence,
                             encoded_record_batch_bytes(batch.records));
  for (const Record& record : batch.records) builder.add(record);
  wire::Bytes bytes = std::move(builder).finish();
  stamp_base_offset(bytes, batch.base_offset);
  return bytes;
}

// Offsets of the patched fields in the header (see the layout in the .h).
namespace {
constexpr std::size_t kBatchLengthAt = 8;
constexpr std::size_t kCrcAt = 12;
constexpr std::size_t kRecordCountAt = kBatchPrefixBytes + 8 + 8;
constexpr std::size_t kRecordsLengthAt = kRecordCountAt + 4;
static_assert(kRecordsLengthAt + 4 == kBatchHeaderBytes, "the header ends at records_length");
}  // namespace

RecordBatchBuilder::RecordBatchBuilder(std::uint64_t producer_id, std::uint64_t producer_sequence,
                                       std::size_t reserve_bytes) {
  bytes_.reserve(std::max(reserve_bytes, kBatchHeaderBytes));
  wire::Writer out(bytes_);
  out.i64(0);  // base_offset: the leader stamps it at apply
  out.u32(0);  // batch_length, patched by finish
  out.u32(0);  // crc32c, patched by finish
  out.u64(producer_id);
  out.u64(producer_sequence);
  out.u32(0);  // record_count, patched by finish
  out.u32(0);  // records_length, patched by finish
}

void RecordBatchBuilder::add(const Record& record) {
  const std::span<std::uint8_t> value = add(record.timestamp_ms, record.key, record.value.size());
  if (!record.value.empty()) std::memcpy(value.data(), record.value.data(), record.value.size());
}

std::span<std::uint8_t> RecordBatchBuilder::add(std::int64_t timestamp_ms,
                                                std::span<const std::uint8_t> key,
                                                std::size_t value_bytes) {
  SIMRUN_ASSERT(record_count_ < kMaxRecordsPerBatch, "too many records in a batch");
  SIMRUN_ASSERT(key.size() <= kMaxRecordKeyBytes, "record key over the bound");
  SIMRUN_ASSERT(value_bytes <= kMaxRecordValueBytes, "record value over the bound");
  wire::Writer out(bytes_);
  out.i64(timestamp_ms);
  out.bytes(key);
  out.u32(static_cast<std::uint32_t>(value_bytes));
  const std::size_t value_at = bytes_.size();
  bytes_.resize(value_at + value_bytes);
  ++record_count_;
  return std::span<std::uint8_t>(bytes_).subspan(value_at, value_bytes);
}

wire::Bytes RecordBatchBuilder::finish() && {
  SIMRUN_ASSERT(record_count_ > 0, "a record batch holds at least one record");
  const std::size_t batch_length = bytes_.size() - kBatchPrefixBytes + 4;
  SIMRUN_ASSERT(batch_length <= kMaxBatchBytes, "record batch larger than kMaxBatchBytes");
  wire::Writer out(bytes_);
  out.patch_u32(kRecordCountAt, record_count_);
  out.patch_u32(kRecordsLengthAt, static_cast<std::uint32_t>(bytes_.size() - kBatchHeaderBytes));
  out.patch_u32(kBatchLengthAt, static_cast<std::uint32_t>(batch_length));
  const auto covered = std::span<const std::uint8_t>(bytes_).subspan(kBatchPrefixBytes);
  out.patch_u32(kCrcAt, crc32c(covered));
  return std::move(bytes_);
}

std::uint64_t encoded_batch_content_hash(std::span<const std::uint8_t> encoded_batch) {
  SIMRUN_ASSERT(encoded_batch.size() >= kBatchHeaderBytes, "not an encoded record batch");
  return sim::digest_bytes(encoded_batch.subspan(kBatchHeaderBytes));
}

wire::Decoded<RecordBatch> decode_record_batch(std::span<const std::uint8_t> bytes) {
  wire::Reader in(bytes);
  auto frame = read_frame(in, bytes, Hashing::content);
  if (!frame) return wire::Decoded<RecordBatch>::fail(in.error());
  in.expect_end("the record batch");
  if (!in.ok()) return wire::Decoded<RecordBatch>::fail(in.error());
  auto batch = decode_records(*frame, in);
  if (!batch) return wire::Decoded<RecordBatch>::fail(in.error());
  return wire::Decoded<RecordBatch>::ok(std::move(*batch));
}

wire::Decoded<std::vector<RecordBatch>> decode_record_batches(std::span<const std::uint8_t> bytes) {
  return walk_batches<RecordBatch>(
      bytes, [](const Frame& frame, wire::Reader& in) { return decode_records(frame, in); });
}

wire::Decoded<BatchSummary> summarize_record_batch(std::span<const std::uint8_t> bytes) {
  wire::Reader in(bytes);
  auto frame = read_frame(in, bytes, Hashing::content);
  if (frame) in.expect_end("the record batch");
  if (!in.ok()) return wire::Decoded<BatchSummary>::fail(in.error());
  return wire::Decoded<BatchSummary>::ok(frame->summary);
}

std::optional<std::string> check_record_batch(std::span<const std::uint8_t> bytes) {
  wire::Reader in(bytes);
  auto frame = read_frame(in, bytes, Hashing::none);
  if (frame) in.expect_end("the record batch");
  if (!in.ok()) return in.error();
  return std::nullopt;
}

wire::Decoded<std::vector<BatchSummary>> summarize_record_batches(
    std::span<const std::uint8_t> bytes) {
  return walk_batches<BatchSummary>(
      bytes, [](const Frame& frame, wire::Reader& in) -> std::optional<BatchSummary> {
        const bool records_ok = walk_records(
            frame, in,
            [](std::int64_t, std::span<const std::uint8_t>, std::span<const std::uint8_t>) {});
        if (!records_ok) return std::nullopt;
        return frame.summary;
      });
}

wire::Decoded<std::uint64_t> batch_content_hash(std::span<const std::uint8_t> bytes) {
  auto summary = summarize_record_batch(bytes);
  if (!summary) return wire::Decoded<std::uint64_t>::fail(summary.error);
  return wire::Decoded<std::uint64_t>::ok(summary->content_hash);
}

void stamp_base_offset(wire::Bytes& encoded_batch, std::int64_t base_offset) {
  SIMRUN_ASSERT(encoded_batch.size() >= kBatchPrefixBytes, "not an encoded record batch");
  raft::store_le<8>(encoded_batch.data(), static_cast<std::uint64_t>(base_offset));
}

}  // namespace simrun::broker
