#pragma once
// The checkers that always run, fed from trace records (broker/events.h):
//  - Raft safety through sim::SafetyChecker: at most one leader per term per
//    group (raft.role_changed), no two nodes apply or commit different
//    entries at one index (raft.applied, raft.committed), every node applies
//    in order; and, on every log mirrored from the log records
//    (log_mirror.h): log matching and each node's committed prefix, at every
//    new leader and at the end, leader completeness for every new leader,
//    and a leader's commit only onto an entry of its own term
//    (raft.commit_advanced);
//  - every record acknowledged with acks=all (produce.acked) is present
//    unchanged at its offset at the end (Cluster::committed_records; records
//    below the log start offset were deleted by retention and are not
//    looked for) and was
//    read by a consumer (consume.record), unless it was acknowledged within
//    the consume grace period before the end;
//  - committed consumer offsets never go backwards (consume.offset_commit),
//    and no consumer saw its committed or consumed offsets move backwards
//    (consume.offset_regression);
//  - no fetch showed a consumer a partition's high watermark below one it
//    saw before (consume.fetch: every fetch is one check).
// A violation fails the run; it carries its simulated time, group and nodes.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "broker/cluster.h"
#include "sim/name_index.h"
#include "sim/safety_checker.h"
#include "sim/trace.h"
#include "tools/simrun/log_mirror.h"
#include "tools/simrun/record_kind.h"

namespace simrun::cli {

struct Violation {
  std::string checker;
  std::int64_t time_ms = 0;
  std::string group;
  std::vector<std::uint32_t> nodes;
  std::string detail;
};

class RaftSafetyFeed {
 public:
  RaftSafetyFeed();
  void observe(const sim::TraceRecord& record) { observe(record, record_kind(record.kind)); }
  // `kind` is record_kind(record.kind), resolved once by the caller.
  void observe(const sim::TraceRecord& record, RecordKind kind);
  // The end-of-run checks: log matching and committed prefixes of every
  // group's mirrored logs.
  void finish(sim::time_ns end);
  std::vector<Violation> violations() const;
  std::uint64_t violation_count() const { return checker_.violation_count(); }
  // Committed entries below `index` of `group` are no longer compared: no
  // node can apply them again (tools/simrun/restart_floor.h).
  void forget_below(std::string_view group, std::uint64_t index) {
    checker_.forget_below(group, index);
  }
  const sim::SafetyChecker& checker() const { return checker_; }
  // Checks made per checker name.
  std::map<std::string, std::uint64_t> checks() const { return checker_.checks(); }

 private:
  void observe_log_record(RecordKind kind, const sim::TraceRecord& record);
  void check_group_logs(std::string_view group);

  sim::SafetyChecker checker_;
  LogMirror mirror_;
  // Per group (by id, sim/name_index.h) and node: the last applied index,
  // to recognise restarts and snapshot installs, after which applies resume
  // at another index; and whether the node applied in the group since its
  // last restart.
  struct NodeFeed {
    std::uint64_t last_applied = 0;
    bool resumed = false;
  };
  struct FeedGroup {
    std::map<std::uint32_t, NodeFeed> nodes;
  };
  sim::NameIndex group_ids_;
  std::deque<FeedGroup> groups_;
  std::set<std::uint32_t> restarted_nodes_;  // nodes that started again
};

class DataChecker {
 public:
  using CommittedRecords = std::function<std::vector<broker::Cluster::StoredRecord>(
      const std::string& topic, int partition)>;
  // The first offset the checked replica still holds
  // (Cluster::log_start_offset): acknowledged records below it were deleted
  // by retention, so only their consumption can be checked.
  using LogStartOffset = std::function<std::int64_t(const std::string& topic, int partition)>;

  void observe(const sim::TraceRecord& record) { observe(record, record_kind(record.kind)); }
  // `kind` is record_kind(record.kind), resolved once by the caller.
  void observe(const sim::TraceRecord& record, RecordKind kind);
  // Checks every acknowledged record against the committed records at `end`.
  // Returns lost acknowledged records per group ("topic/partition").
  // `consumer_topics`: topics some consumer reads (only those are checked
  // for "read by a consumer").
  std::map<std::string, std::int64_t> finish(sim::time_ns end, std::int64_t consume_grace_ms,
                                             const std::set<std::string>& consumer_topics,
                                             const CommittedRecords& committed,
                                             const LogStartOffset& log_start = {});
  // Acknowledged records below the log start offset at the end (not checked
  // for presence).
  std::uint64_t deleted_by_retention() const { return deleted_by_retention_; }
  // Records kept in the settled form (acknowledged and read back), for tests.
  std::size_t settled_records() const;
  const std::vector<Violation>& violations() const { return violations_; }
  std::uint64_t violation_count() const { return violation_count_; }
  // Checks made per checker name.
  std::map<std::string, std::uint64_t> checks() const;

 private:
  // What was seen at one offset of one partition, packed (32 bytes): runs
  // at production load see hundreds of thousands of records, and this is
  // all the checker keeps of each (digests and offsets, no payload).
  struct OffsetState {
    std::uint64_t acked_hash = 0;
    std::uint64_t consumed_hash = 0;  // the first hash read there
    sim::time_ns acked_at = 0;
    std::int32_t client = 0;
    // Acknowledgements of acked_hash here (a retried produce can be
    // acknowledged twice): each one is a promise, each is lost if it fails.
    std::uint32_t acks = 0;
    bool acked = false;
    bool consumed = false;
  };
  // Issue 12: a record acknowledged and read back unchanged is settled:
  // what the end still checks of it (presence at its offset, and later
  // reads or acknowledgements of other records there) needs only its hash,
  // acknowledgement time in ms (the messages' unit), client and count, in
  // 16 bytes instead of 32. Reconstructed exactly by to_offset_state().
  struct SettledState {
    std::uint64_t acked_hash = 0;  // also the hash read there first
    std::uint32_t acked_at_ms = 0;
    std::uint16_t acks = 0;
    std::int16_t client = 0;
  };
  static_assert(sizeof(SettledState) == 16);
  static std::optional<SettledState> settle(const OffsetState& state);
  static OffsetState to_offset_state(const SettledState& settled);
  // Offsets of one partition: [0, settled.size()) settled in order from 0
  // (offsets are assigned consecutively and read in order), the rest dense
  // from there, with a map for anything outside that range.
  struct PartitionState {
    std::deque<SettledState> settled;
    std::deque<OffsetState> dense;  // dense[k] is offset settled.size() + k
    std::map<std::int64_t, OffsetState> sparse;
    OffsetState& at(std::int64_t offset);
    const OffsetState* find(std::int64_t offset) const;
    std::int64_t dense_base() const { return static_cast<std::int64_t>(settled.size()); }
    // Moves settled records from the front of `dense` into `settled`.
    void settle_front();
  };
  using PartitionKey = std::pair<std::string, int>;  // topic, partition
  void add(Violation violation);
  PartitionState& partition(std::string_view topic, int partition);

  // Orders by (topic, partition) and finds a (string_view, int) key
  // without building the string.
  struct PartitionKeyLess {
    using is_transparent = void;
    template <typename Left, typename Right>
    bool operator()(const Left& left, const Right& right) const {
      const std::string_view left_topic = left.first;
      const std::string_view right_topic = right.first;
      if (left_topic != right_topic) return left_topic < right_topic;
      return left.second < right.second;
    }
  };
  std::map<PartitionKey, PartitionState, PartitionKeyLess> partitions_;
  // Hashes read at an offset other than the first one read there (rare: a
  // replica that disagreed), per (topic, partition, offset).
  std::map<std::tuple<std::string, int, std::int64_t>, std::set<std::uint64_t>> other_consumed_;
  // Acknowledgements of a different record at an offset already acked
  // (mechanism 6): every one counts, and whichever record the offset holds
  // at the end, the others were promised and lost.
  struct OtherAck {
    std::uint64_t hash = 0;
    sim::time_ns acked_at = 0;
    std::int32_t client = 0;
  };
  std::map<std::tuple<std::string, int, std::int64_t>, std::vector<OtherAck>> other_acked_;
  void add_other_ack(std::string_view topic, int partition_index, std::int64_t offset, OtherAck ack,
                     std::int32_t first_client);
  std::uint64_t deleted_by_retention_ = 0;
  std::map<std::tuple<std::string, std::string, int>, std::int64_t> committed_offsets_;
  std::vector<Violation> violations_;
  std::uint64_t violation_count_ = 0;
  std::uint64_t acked_checks_ = 0;
  std::uint64_t offset_checks_ = 0;
  std::uint64_t watermark_checks_ = 0;
};

}  // namespace simrun::cli
