#pragma once
// A partition's replicated log as a state machine: every committed Raft entry
// of the partition group is one record batch (broker/record_batch.h). Offsets
// are assigned at apply, in commit order, so every replica stamps the same
// offsets: a batch's base offset is the number of records applied before it
// (Kafka semantics: record i of a batch has offset base + i). The high
// watermark is the offset after the last applied record.
//
// Apply order is whatever the driver delivers: in the v2.0.0 mode apply
// fibers may run out of index order, and then offsets follow that order
// (which is that mode's bug, reproduced rather than hidden). An entry whose
// Raft index was already applied is skipped (a re-apply after a restart).
//
// Memory bound: the index (one small StoredBatch per batch: offsets, hash,
// Raft position) is kept for every batch up to kMaxIndexedBatches, then the
// oldest index entries are forgotten. The batch bytes (for fetch) are kept
// by retention, as a Kafka log keeps them (log.segment.bytes,
// retention.bytes, retention.ms): batches are appended to the active
// segment, which is rolled once it holds segment_bytes; a whole closed
// segment loses its bytes once the log without it still holds
// retention_bytes, or once its newest batch is more than retention_ms older
// than the newest batch of the log (record timestamps, from the producers'
// clocks, as Kafka's time index). A deleted segment takes its index entries
// with it (as Kafka deletes a segment's index files), so memory follows the
// retention, not the run's length; log_start_offset() is then the first
// offset still held, and a fetch below it starts there, as a Kafka consumer
// is reset to the log start offset.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "broker/group.h"
#include "broker/wire.h"
#include "raft/types.h"

namespace simrun::broker {

inline constexpr std::size_t kMaxIndexedBatches = 1u << 20;

// The partition log's retention (BrokerConfig's segment_bytes,
// retention_bytes, retention_ms). -1: no limit of that kind.
struct Retention {
  std::int64_t segment_bytes = 1 << 20;
  std::int64_t retention_bytes = 64 << 20;
  std::int64_t retention_ms = -1;
};

struct StoredBatch {
  std::int64_t base_offset = 0;
  std::uint32_t record_count = 0;
  std::uint64_t content_hash = 0;  // record_batch.h content hash
  raft::Index raft_index = 0;      // the entry that carried it
  raft::Term raft_term = 0;
  wire::Bytes bytes;  // encoded, base offset stamped; empty once evicted
  bool operator==(const StoredBatch&) const = default;
};

class PartitionStateMachine final : public StateMachine {
 public:
  PartitionStateMachine() = default;
  explicit PartitionStateMachine(Retention retention);

  // Decodes (framing + CRC) and appends the batch; false (nothing applied)
  // when the entry is not a valid batch, e.g. the empty entry of a new term.
  bool apply(const raft::Entry& entry) override;
  void snapshot_into(raft::Bytes& out) const override;
  void restore(const raft::Bytes& image) override;

  // Called after each batch is appended (on the apply path: must not block).
  void set_on_applied(std::function<void(const StoredBatch&)> hook) {
    on_applied_ = std::move(hook);
  }

  // Offset after the last applied record (0 when empty).
  std::int64_t high_watermark() const { return next_offset_; }
  // First offset still held (the high watermark when nothing is).
  std::int64_t log_start_offset() const {
    return batches_.empty() ? next_offset_ : batches_.front().base_offset;
  }
  std::uint64_t batches_applied() const { return batches_applied_; }
  // Bytes of the batches still held (not yet deleted by retention).
  std::size_t retained_bytes() const { return retained_bytes_; }
  std::uint64_t segments_deleted() const { return segments_deleted_; }
  const std::deque<StoredBatch>& batches() const { return batches_; }
  // The batch a committed Raft entry carried, if still indexed.
  const StoredBatch* find_by_raft_index(raft::Index index) const;
  // Concatenated encoded batches starting with the one that holds `offset`
  // (or the oldest retained one if `offset` is older), then later ones while
  // the total stays within max_bytes (the first batch is always included).
  wire::Bytes read(std::int64_t offset, std::size_t max_bytes) const;

 private:
  // A run of consecutive batches (by position in batches_) whose bytes are
  // deleted together.
  struct Segment {
    std::size_t batches = 0;
    std::size_t bytes = 0;
    std::int64_t newest_timestamp_ms = INT64_MIN;
  };
  void append_to_segment(std::size_t bytes, std::int64_t timestamp_ms);
  void evict();
  void rebuild_segments();
  Retention retention_;
  std::deque<StoredBatch> batches_;  // sorted by base_offset (apply order)
  // Segments holding bytes, oldest first, covering the last
  // sum(batches) entries of batches_; the back one is active.
  std::deque<Segment> segments_;
  std::int64_t newest_timestamp_ms_ = INT64_MIN;
  std::uint64_t segments_deleted_ = 0;
  // Raft index -> base offset. Separate from batches_ because the v2.0.0
  // spawned apply may apply entries out of index order.
  std::map<raft::Index, std::int64_t> offset_by_raft_index_;
  std::int64_t next_offset_ = 0;
  std::uint64_t batches_applied_ = 0;
  std::size_t retained_bytes_ = 0;
  std::function<void(const StoredBatch&)> on_applied_;
};

}  // namespace simrun::broker
