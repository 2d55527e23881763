#include "broker/partition.h"

#include <algorithm>

#include "broker/record_batch.h"
#include "sim/assert.h"

namespace simrun::broker {

namespace {
// The first record's timestamp (a validated batch holds at least one record;
// it starts right after the fixed header): the batch's time for retention.
std::int64_t first_record_timestamp_ms(const wire::Bytes& batch) {
  SIMRUN_ASSERT(batch.size() >= kBatchHeaderBytes + 8, "a validated batch holds a record");
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    value |= std::uint64_t{batch[kBatchHeaderBytes + i]} << (8 * i);
  }
  return static_cast<std::int64_t>(value);
}
}  // namespace

PartitionStateMachine::PartitionStateMachine(Retention retention) : retention_(retention) {
  SIMRUN_ASSERT(retention_.segment_bytes > 0, "a segment holds at least one byte");
}

bool PartitionStateMachine::apply(const raft::Entry& entry) {
  const auto summary = summarize_record_batch(entry.data);
  if (!summary) return false;
  SIMRUN_ASSERT(summary->record_count > 0, "a valid batch holds at least one record");
  if (offset_by_raft_index_.contains(entry.index)) return true;  // re-applied: already here
  StoredBatch batch;
  batch.base_offset = next_offset_;
  batch.record_count = summary->record_count;
  batch.content_hash = summary->content_hash;
  batch.raft_index = entry.index;
  batch.raft_term = entry.term;
  batch.bytes = entry.data;
  // The leader's base offset in the client's bytes is meaningless; the
  // offset is decided here, identically on every replica.
  stamp_base_offset(batch.bytes, next_offset_);
  retained_bytes_ += batch.bytes.size();
  next_offset_ += summary->record_count;
  ++batches_applied_;
  offset_by_raft_index_[entry.index] = batch.base_offset;
  append_to_segment(batch.bytes.size(), first_record_timestamp_ms(batch.bytes));
  batches_.push_back(std::move(batch));
  evict();
  if (on_applied_) on_applied_(batches_.back());
  return true;
}

void PartitionStateMachine::append_to_segment(std::size_t bytes, std::int64_t timestamp_ms) {
  if (segments_.empty() ||
      segments_.back().bytes >= static_cast<std::size_t>(retention_.segment_bytes)) {
    segments_.emplace_back();  // roll: the previous active segment is closed
  }
  Segment& active = segments_.back();
  ++active.batches;
  active.bytes += bytes;
  active.newest_timestamp_ms = std::max(active.newest_timestamp_ms, timestamp_ms);
  newest_timestamp_ms_ = std::max(newest_timestamp_ms_, timestamp_ms);
}

void PartitionStateMachine::evict() {
  std::size_t held_batches = 0;
  for (const Segment& segment : segments_) held_batches += segment.batches;
  // The index bound: the oldest entries go, with their bytes if still held.
  while (batches_.size() > kMaxIndexedBatches) {
    if (held_batches == batches_.size()) {
      Segment& oldest = segments_.front();
      oldest.bytes -= batches_.front().bytes.size();
      --oldest.batches;
      --held_batches;
      if (oldest.batches == 0) segments_.pop_front();
      retained_bytes_ -= batches_.front().bytes.size();
    }
    offset_by_raft_index_.erase(batches_.front().raft_index);
    batches_.pop_front();
  }
  // Retention deletes whole closed segments, oldest first (Kafka: a segment
  // goes when the log without it still holds retention.bytes, or when its
  // newest record is older than retention.ms).
  const auto expired = [&](const Segment& segment) {
    const bool by_size =
        retention_.retention_bytes >= 0 &&
        retained_bytes_ - segment.bytes >= static_cast<std::size_t>(retention_.retention_bytes);
    const bool by_time =
        retention_.retention_ms >= 0 &&
        segment.newest_timestamp_ms < newest_timestamp_ms_ - retention_.retention_ms;
    return by_size || by_time;
  };
  while (segments_.size() > 1 && expired(segments_.front())) {
    const Segment oldest = segments_.front();
    SIMRUN_ASSERT(held_batches <= batches_.size(), "segments cover a suffix of the batches");
    // Index entries without bytes (an image from before retention) go
    // first, then the segment's own batches.
    while (batches_.size() > held_batches) {
      offset_by_raft_index_.erase(batches_.front().raft_index);
      batches_.pop_front();
    }
    for (std::size_t i = 0; i < oldest.batches; ++i) {
      SIMRUN_ASSERT(!batches_.front().bytes.empty(), "a held batch has bytes");
      offset_by_raft_index_.erase(batches_.front().raft_index);
      batches_.pop_front();
    }
    held_batches -= oldest.batches;
    retained_bytes_ -= oldest.bytes;
    segments_.pop_front();
    ++segments_deleted_;
  }
}

void PartitionStateMachine::rebuild_segments() {
  segments_.clear();
  newest_timestamp_ms_ = INT64_MIN;
  for (const StoredBatch& batch : batches_) {
    if (batch.bytes.empty()) {
      // Deleted by retention: only batches after it hold bytes.
      segments_.clear();
      continue;
    }
    append_to_segment(batch.bytes.size(), first_record_timestamp_ms(batch.bytes));
  }
}

const StoredBatch* PartitionStateMachine::find_by_raft_index(raft::Index index) const {
  const auto found = offset_by_raft_index_.find(index);
  if (found == offset_by_raft_index_.end()) return nullptr;
  const auto it = std::lower_bound(
      batches_.begin(), batches_.end(), found->second,
      [](const StoredBatch& batch, std::int64_t wanted) { return batch.base_offset < wanted; });
  SIMRUN_ASSERT(it != batches_.end() && it->raft_index == index,
                "the raft index map and the batches agree");
  return &*it;
}

wire::Bytes PartitionStateMachine::read(std::int64_t offset, std::size_t max_bytes) const {
  wire::Bytes out;
  // First batch whose last offset is >= offset.
  auto it = std::lower_bound(batches_.begin(), batches_.end(), offset,
                             [](const StoredBatch& batch, std::int64_t wanted) {
                               return batch.base_offset + batch.record_count <= wanted;
                             });
  // Skip batches whose bytes were evicted (older than the retained range).
  while (it != batches_.end() && it->bytes.empty()) ++it;
  for (; it != batches_.end(); ++it) {
    if (!out.empty() && out.size() + it->bytes.size() > max_bytes) break;
    out.insert(out.end(), it->bytes.begin(), it->bytes.end());
  }
  return out;
}

// Sized once: the image is most of the partition's memory, and growing the
// buffer as it is written copied it about once more.
void PartitionStateMachine::snapshot_into(raft::Bytes& out) const {
  constexpr std::size_t kFixedBytes = 1 + 8 + 8 + 4;
  constexpr std::size_t kPerBatchBytes = 8 + 4 + 8 + 8 + 8 + 4;
  std::size_t image_bytes = kFixedBytes;
  for (const auto& batch : batches_) image_bytes += kPerBatchBytes + batch.bytes.size();
  const std::size_t start = out.size();
  out.reserve(start + image_bytes);
  wire::Writer writer(out);
  writer.u8(1);  // image version
  writer.i64(next_offset_);
  writer.u64(batches_applied_);
  writer.u32(static_cast<std::uint32_t>(batches_.size()));
  for (const auto& batch : batches_) {
    writer.i64(batch.base_offset);
    writer.u32(batch.record_count);
    writer.u64(batch.content_hash);
    writer.u64(batch.raft_index);
    writer.u64(batch.raft_term);
    writer.bytes(batch.bytes);
  }
  SIMRUN_ASSERT(out.size() - start == image_bytes, "the image's size was computed exactly");
}

void PartitionStateMachine::restore(const raft::Bytes& image) {
  wire::Reader reader(image);
  const std::uint8_t version = reader.u8("image_version");
  SIMRUN_ASSERT(version == 1, "unknown partition image version");
  std::deque<StoredBatch> batches;
  std::map<raft::Index, std::int64_t> by_index;
  const std::int64_t next_offset = reader.i64("next_offset");
  const std::uint64_t applied = reader.u64("batches_applied");
  const std::uint32_t count =
      reader.count("batch_count", static_cast<std::uint32_t>(kMaxIndexedBatches), 36);
  std::size_t retained = 0;
  for (std::uint32_t i = 0; i < count && reader.ok(); ++i) {
    StoredBatch batch;
    batch.base_offset = reader.i64("base_offset");
    batch.record_count = reader.u32("record_count");
    batch.content_hash = reader.u64("content_hash");
    batch.raft_index = reader.u64("raft_index");
    batch.raft_term = reader.u64("raft_term");
    batch.bytes = reader.bytes("batch_bytes", kMaxBatchBytes);
    retained += batch.bytes.size();
    by_index[batch.raft_index] = batch.base_offset;
    batches.push_back(std::move(batch));
  }
  reader.expect_end("partition image");
  // The image came from snapshot() through a checked Raft snapshot.
  SIMRUN_ASSERT(reader.ok(), reader.error().c_str());
  batches_ = std::move(batches);
  offset_by_raft_index_ = std::move(by_index);
  next_offset_ = next_offset;
  batches_applied_ = applied;
  retained_bytes_ = retained;
  rebuild_segments();
}

}  // namespace simrun::broker
