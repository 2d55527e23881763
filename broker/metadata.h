#pragma once
// The __meta state machine: brokers, topics with their replica placement,
// partition leader assignments, high watermarks and consumer-group offsets.
// Every node applies the same __meta log, so every node's MetadataState is a
// (possibly lagging) copy of the same value: the node's metadata cache.
//
// Commands are byte strings (one per Raft entry):
//   u8 kind | fields of that kind (see encode_meta_command)
//
// Assignments and epochs (field report mechanism 5). A partition leader
// writes set_assignment(topic, partition, leader, leader_epoch) where the
// epoch is its term in the partition's Raft group. With epochs (the fix) an
// assignment whose epoch is below the stored one is stale and ignored, so a
// deposed leader's late write cannot undo a newer one. Without epochs
// (legacy) the last write applied wins, whatever its epoch.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "broker/group.h"
#include "broker/wire.h"
#include "raft/types.h"

namespace simrun::broker {

inline constexpr std::string_view kMetaGroupName = "__meta";

// Bounds on the metadata a cluster can hold (decode rejects more).
inline constexpr std::uint32_t kMaxMetaTopics = 1024;
inline constexpr std::uint32_t kMaxMetaPartitions = 1024;
inline constexpr std::uint32_t kMaxMetaReplicas = 16;
inline constexpr std::uint32_t kMaxMetaBrokers = 64;
// Committed consumer offsets kept; commits for new keys beyond this are
// ignored (counted in MetadataState::dropped_offset_commits).
inline constexpr std::size_t kMaxCommittedOffsets = 1u << 16;

// "<topic>/<partition>": the Raft group name of a partition.
std::string partition_group_name(std::string_view topic, int partition);
// Inverse of partition_group_name; nullopt for "__meta" or a malformed name.
std::optional<std::pair<std::string, int>> parse_partition_group_name(std::string_view group);

// Deterministic placement: partition p of `topic` lives on `replication_factor`
// consecutive nodes starting at (hash_string(topic) + p) % node_count
// (node ids are 1-based, so that start index s means node s + 1).
std::vector<raft::NodeId> place_replicas(std::string_view topic, int partition, int node_count,
                                         int replication_factor);

enum class MetaCommandKind : std::uint8_t {
  register_broker = 1,
  create_topic = 2,
  set_assignment = 3,
  high_watermark = 4,
  offset_commit = 5,
};

struct MetaCommand {
  MetaCommandKind kind = MetaCommandKind::register_broker;
  raft::NodeId node = raft::kNoNode;    // register_broker: the broker; set_assignment: the leader
  std::uint32_t process = 0;            // register_broker: its sim::ProcessId
  std::string topic;                    // all but register_broker
  std::int32_t partition = 0;           // set_assignment, high_watermark, offset_commit
  std::int32_t replication_factor = 0;  // create_topic
  std::vector<std::vector<raft::NodeId>> replicas;  // create_topic: one list per partition
  std::uint64_t leader_epoch = 0;  // set_assignment: leader's term in the partition group
  std::int64_t offset = 0;         // high_watermark, offset_commit
  std::string group_id;            // offset_commit

  static MetaCommand register_broker(raft::NodeId node, std::uint32_t process);
  static MetaCommand create_topic(std::string topic, int partitions, int replication_factor,
                                  int node_count);
  static MetaCommand set_assignment(std::string topic, int partition, raft::NodeId leader,
                                    std::uint64_t leader_epoch);
  static MetaCommand high_watermark(std::string topic, int partition, std::int64_t offset);
  static MetaCommand offset_commit(std::string group_id, std::string topic, int partition,
                                   std::int64_t offset);
  bool operator==(const MetaCommand&) const = default;
};

wire::Bytes encode_meta_command(const MetaCommand& command);
wire::Decoded<MetaCommand> decode_meta_command(std::span<const std::uint8_t> bytes);

struct PartitionInfo {
  std::vector<raft::NodeId> replicas;
  raft::NodeId leader = raft::kNoNode;  // as last written by set_assignment
  std::uint64_t leader_epoch = 0;
  std::int64_t high_watermark = 0;  // highest published; never decreases
  bool operator==(const PartitionInfo&) const = default;
};

struct TopicInfo {
  std::int32_t replication_factor = 0;
  std::vector<PartitionInfo> partitions;
  bool operator==(const TopicInfo&) const = default;
};

enum class MetaApplyResult : std::uint8_t {
  applied,
  ignored_stale,     // set_assignment with an epoch below the stored one (epochs on)
  ignored_existing,  // create_topic of a topic that exists (first creation wins)
  ignored_unknown,   // refers to a topic or partition that does not exist
  ignored_full,      // a bound above is reached
};

// The value of __meta. Plain data plus the apply rules; no I/O.
class MetadataState {
 public:
  explicit MetadataState(bool metadata_epochs = true) : metadata_epochs_(metadata_epochs) {}

  MetaApplyResult apply(const MetaCommand& command);

  const std::map<raft::NodeId, std::uint32_t>& brokers() const { return brokers_; }
  const std::map<std::string, TopicInfo, std::less<>>& topics() const { return topics_; }
  const TopicInfo* find_topic(std::string_view topic) const;
  const PartitionInfo* find_partition(std::string_view topic, int partition) const;
  std::optional<std::int64_t> committed_offset(std::string_view group_id, std::string_view topic,
                                               int partition) const;
  std::uint64_t stale_assignments_ignored() const { return stale_assignments_ignored_; }
  std::uint64_t dropped_offset_commits() const { return dropped_offset_commits_; }

  // The image for a Raft snapshot; decode_snapshot is its inverse.
  wire::Bytes encode() const;
  static wire::Decoded<MetadataState> decode(std::span<const std::uint8_t> bytes,
                                             bool metadata_epochs);
  bool operator==(const MetadataState&) const = default;

 private:
  using OffsetKey = std::tuple<std::string, std::string, std::int32_t>;
  PartitionInfo* mutable_partition(std::string_view topic, int partition);
  bool metadata_epochs_ = true;
  std::map<raft::NodeId, std::uint32_t> brokers_;
  std::map<std::string, TopicInfo, std::less<>> topics_;
  std::map<OffsetKey, std::int64_t> offsets_;
  std::uint64_t stale_assignments_ignored_ = 0;
  std::uint64_t dropped_offset_commits_ = 0;
};

// The StateMachine adapter the __meta RaftGroup drives. A listener hears of
// every applied command (and of a restore, with command == nullptr) so the
// node runtime can create partition replicas and wake waiters. The listener
// runs on the group's apply path: it must not block.
class MetadataStateMachine final : public StateMachine {
 public:
  using Listener = std::function<void(const MetaCommand* command, MetaApplyResult result)>;

  explicit MetadataStateMachine(bool metadata_epochs)
      : state_(metadata_epochs), metadata_epochs_(metadata_epochs) {}

  bool apply(const raft::Entry& entry) override;
  void snapshot_into(raft::Bytes& out) const override;
  void restore(const raft::Bytes& image) override;

  const MetadataState& state() const { return state_; }
  void set_listener(Listener listener) { listener_ = std::move(listener); }

 private:
  MetadataState state_;
  bool metadata_epochs_;
  Listener listener_;
};

}  // namespace simrun::broker
