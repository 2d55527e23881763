#include "broker/partition.h"

#include <algorithm>

#include "broker/record_batch.h"
#include "sim/assert.h"

namespace simrun::broker {

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
  batches_.push_back(std::move(batch));
  evict();
  if (on_applied_) on_applied_(batches_.back());
  return true;
}

void PartitionStateMachine::evict() {
  while (batches_.size() > kMaxIndexedBatches) {
    retained_bytes_ -= batches_.front().bytes.size();
    offset_by_raft_index_.erase(batches_.front().raft_index);
    batches_.pop_front();
  }
  // Drop bytes oldest first, but never the newest batch's.
  for (std::size_t i = 0; retained_bytes_ > kMaxRetainedBytes && i + 1 < batches_.size(); ++i) {
    retained_bytes_ -= batches_[i].bytes.size();
    batches_[i].bytes.clear();
    batches_[i].bytes.shrink_to_fit();
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

raft::Bytes PartitionStateMachine::snapshot() const {
  wire::Bytes out;
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
  return out;
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
}

}  // namespace simrun::broker
