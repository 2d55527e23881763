#include "broker/record_batch.h"

#include <fmt/format.h>

#include "sim/assert.h"
#include "sim/digest.h"

namespace simrun::broker {
namespace {

// Smallest encoded record: timestamp + two empty length prefixes.
constexpr std::size_t kMinRecordBytes = 8 + 4 + 4;

void encode_records(wire::Writer& out, const std::vector<Record>& records) {
  for (const Record& record : records) {
    SIMRUN_ASSERT(record.key.size() <= kMaxRecordKeyBytes, "record key over the bound");
    SIMRUN_ASSERT(record.value.size() <= kMaxRecordValueBytes, "record value over the bound");
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

// Parses the batch starting at the reader's position; leaves the reader
// after it.
std::optional<Frame> read_frame(wire::Reader& in, std::span<const std::uint8_t> whole) {
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
  frame.summary.content_hash = sim::digest_bytes(frame.records_payload);
  (void)in.raw("batch body", covered_bytes);
  frame.total_bytes = in.position() - start;
  return frame;
}

std::optional<RecordBatch> decode_records(const Frame& frame, wire::Reader& outer) {
  RecordBatch batch;
  batch.base_offset = frame.summary.base_offset;
  batch.producer_id = frame.summary.producer_id;
  batch.producer_sequence = frame.summary.producer_sequence;
  batch.records.reserve(frame.summary.record_count);
  wire::Reader in(frame.records_payload);
  for (std::uint32_t i = 0; i < frame.summary.record_count && in.ok(); ++i) {
    Record record;
    record.timestamp_ms = in.i64("record timestamp_ms");
    record.key = in.bytes("record key", kMaxRecordKeyBytes);
    record.value = in.bytes("record value", kMaxRecordValueBytes);
    batch.records.push_back(std::move(record));
  }
  in.expect_end("the last record");
  if (!in.ok()) {
    outer.fail("record " + std::to_string(batch.records.size()) + ": " + in.error());
    return std::nullopt;
  }
  return batch;
}

}  // namespace

std::uint64_t RecordBatch::content_hash() const {
  wire::Bytes payload;
  wire::Writer out(payload);
  encode_records(out, records);
  return sim::digest_bytes(payload);
}

wire::Bytes encode_record_batch(const RecordBatch& batch) {
  SIMRUN_ASSERT(!batch.records.empty(), "a record batch holds at least one record");
  SIMRUN_ASSERT(batch.records.size() <= kMaxRecordsPerBatch, "too many records in a batch");
  wire::Bytes bytes;
  wire::Writer out(bytes);
  out.i64(batch.base_offset);
  const std::size_t length_at = out.size();
  out.u32(0);  // batch_length, patched below
  out.u32(0);  // crc32c, patched below
  const std::size_t covered_from = out.size();
  out.u64(batch.producer_id);
  out.u64(batch.producer_sequence);
  out.u32(static_cast<std::uint32_t>(batch.records.size()));
  const std::size_t records_length_at = out.size();
  out.u32(0);  // records_length, patched below
  const std::size_t records_from = out.size();
  encode_records(out, batch.records);
  const std::size_t records_length = out.size() - records_from;
  const std::size_t batch_length = out.size() - covered_from + 4;
  SIMRUN_ASSERT(batch_length <= kMaxBatchBytes, "record batch larger than kMaxBatchBytes");
  out.patch_u32(records_length_at, static_cast<std::uint32_t>(records_length));
  out.patch_u32(length_at, static_cast<std::uint32_t>(batch_length));
  const auto covered = std::span<const std::uint8_t>(bytes).subspan(covered_from);
  out.patch_u32(length_at + 4, crc32c(covered));
  return bytes;
}

wire::Decoded<RecordBatch> decode_record_batch(std::span<const std::uint8_t> bytes) {
  wire::Reader in(bytes);
  auto frame = read_frame(in, bytes);
  if (!frame) return wire::Decoded<RecordBatch>::fail(in.error());
  in.expect_end("the record batch");
  if (!in.ok()) return wire::Decoded<RecordBatch>::fail(in.error());
  auto batch = decode_records(*frame, in);
  if (!batch) return wire::Decoded<RecordBatch>::fail(in.error());
  return wire::Decoded<RecordBatch>::ok(std::move(*batch));
}

wire::Decoded<std::vector<RecordBatch>> decode_record_batches(std::span<const std::uint8_t> bytes) {
  using Result = wire::Decoded<std::vector<RecordBatch>>;
  std::vector<RecordBatch> batches;
  wire::Reader in(bytes);
  while (in.remaining() > 0) {
    if (batches.size() >= kMaxRecordsPerBatch) return Result::fail("too many batches");
    auto frame = read_frame(in, bytes);
    if (!frame) {
      return Result::fail(fmt::format("batch {}: {}", batches.size(), in.error()));
    }
    auto batch = decode_records(*frame, in);
    if (!batch) return Result::fail(fmt::format("batch {}: {}", batches.size(), in.error()));
    batches.push_back(std::move(*batch));
  }
  return Result::ok(std::move(batches));
}

wire::Decoded<BatchSummary> summarize_record_batch(std::span<const std::uint8_t> bytes) {
  wire::Reader in(bytes);
  auto frame = read_frame(in, bytes);
  if (frame) in.expect_end("the record batch");
  if (!in.ok()) return wire::Decoded<BatchSummary>::fail(in.error());
  return wire::Decoded<BatchSummary>::ok(frame->summary);
}

wire::Decoded<std::uint64_t> batch_content_hash(std::span<const std::uint8_t> bytes) {
  auto summary = summarize_record_batch(bytes);
  if (!summary) return wire::Decoded<std::uint64_t>::fail(summary.error);
  return wire::Decoded<std::uint64_t>::ok(summary->content_hash);
}

void stamp_base_offset(wire::Bytes& encoded_batch, std::int64_t base_offset) {
  SIMRUN_ASSERT(encoded_batch.size() >= kBatchPrefixBytes, "not an encoded record batch");
  const auto v = static_cast<std::uint64_t>(base_offset);
  for (std::size_t i = 0; i < 8; ++i) {
    encoded_batch[i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

}  // namespace simrun::broker
