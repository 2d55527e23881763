#include "broker/metadata.h"

#include <charconv>

#include "sim/assert.h"
#include "sim/hash.h"

namespace simrun::broker {

std::string partition_group_name(std::string_view topic, int partition) {
  SIMRUN_ASSERT(partition >= 0, "partition numbers are non-negative");
  return std::string(topic) + "/" + std::to_string(partition);
}

std::optional<std::pair<std::string, int>> parse_partition_group_name(std::string_view group) {
  const auto slash = group.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == group.size()) {
    return std::nullopt;
  }
  int partition = 0;
  const char* first = group.data() + slash + 1;
  const char* last = group.data() + group.size();
  const auto [end, error] = std::from_chars(first, last, partition);
  if (error != std::errc{} || end != last || partition < 0) return std::nullopt;
  return std::make_pair(std::string(group.substr(0, slash)), partition);
}

std::vector<raft::NodeId> place_replicas(std::string_view topic, int partition, int node_count,
                                         int replication_factor) {
  SIMRUN_ASSERT(node_count > 0, "placement needs at least one node");
  SIMRUN_ASSERT(replication_factor > 0 && replication_factor <= node_count,
                "replication factor must be in [1, node count]");
  SIMRUN_ASSERT(partition >= 0, "partition numbers are non-negative");
  const auto nodes = static_cast<std::uint64_t>(node_count);
  const std::uint64_t start =
      (sim::hash_string(topic) + static_cast<std::uint64_t>(partition)) % nodes;
  std::vector<raft::NodeId> replicas;
  for (int i = 0; i < replication_factor; ++i) {
    replicas.push_back(
        static_cast<raft::NodeId>((start + static_cast<std::uint64_t>(i)) % nodes + 1));
  }
  return replicas;
}

// ---- commands ----

MetaCommand MetaCommand::register_broker(raft::NodeId node, std::uint32_t process) {
  MetaCommand command;
  command.kind = MetaCommandKind::register_broker;
  command.node = node;
  command.process = process;
  return command;
}

MetaCommand MetaCommand::create_topic(std::string topic, int partitions, int replication_factor,
                                      int node_count) {
  SIMRUN_ASSERT(partitions > 0 && static_cast<std::uint32_t>(partitions) <= kMaxMetaPartitions,
                "partition count out of bounds");
  MetaCommand command;
  command.kind = MetaCommandKind::create_topic;
  command.replication_factor = replication_factor;
  for (int p = 0; p < partitions; ++p) {
    command.replicas.push_back(place_replicas(topic, p, node_count, replication_factor));
  }
  command.topic = std::move(topic);
  return command;
}

MetaCommand MetaCommand::set_assignment(std::string topic, int partition, raft::NodeId leader,
                                        std::uint64_t leader_epoch) {
  MetaCommand command;
  command.kind = MetaCommandKind::set_assignment;
  command.topic = std::move(topic);
  command.partition = partition;
  command.node = leader;
  command.leader_epoch = leader_epoch;
  return command;
}

MetaCommand MetaCommand::high_watermark(std::string topic, int partition, std::int64_t offset) {
  MetaCommand command;
  command.kind = MetaCommandKind::high_watermark;
  command.topic = std::move(topic);
  command.partition = partition;
  command.offset = offset;
  return command;
}

MetaCommand MetaCommand::offset_commit(std::string group_id, std::string topic, int partition,
                                       std::int64_t offset) {
  MetaCommand command;
  command.kind = MetaCommandKind::offset_commit;
  command.group_id = std::move(group_id);
  command.topic = std::move(topic);
  command.partition = partition;
  command.offset = offset;
  return command;
}

wire::Bytes encode_meta_command(const MetaCommand& command) {
  wire::Bytes out;
  wire::Writer writer(out);
  writer.u8(static_cast<std::uint8_t>(command.kind));
  switch (command.kind) {
    case MetaCommandKind::register_broker:
      writer.u32(command.node);
      writer.u32(command.process);
      break;
    case MetaCommandKind::create_topic:
      SIMRUN_ASSERT(command.replicas.size() <= kMaxMetaPartitions, "too many partitions");
      writer.string(command.topic);
      writer.i32(command.replication_factor);
      writer.u32(static_cast<std::uint32_t>(command.replicas.size()));
      for (const auto& replicas : command.replicas) {
        SIMRUN_ASSERT(replicas.size() <= kMaxMetaReplicas, "too many replicas");
        writer.u32(static_cast<std::uint32_t>(replicas.size()));
        for (const raft::NodeId node : replicas) writer.u32(node);
      }
      break;
    case MetaCommandKind::set_assignment:
      writer.string(command.topic);
      writer.i32(command.partition);
      writer.u32(command.node);
      writer.u64(command.leader_epoch);
      break;
    case MetaCommandKind::high_watermark:
      writer.string(command.topic);
      writer.i32(command.partition);
      writer.i64(command.offset);
      break;
    case MetaCommandKind::offset_commit:
      writer.string(command.group_id);
      writer.string(command.topic);
      writer.i32(command.partition);
      writer.i64(command.offset);
      break;
  }
  return out;
}

namespace {

std::int32_t read_partition(wire::Reader& reader) {
  const std::int32_t partition = reader.i32("partition");
  if (reader.ok() &&
      (partition < 0 || static_cast<std::uint32_t>(partition) >= kMaxMetaPartitions)) {
    reader.fail("partition " + std::to_string(partition) + " out of range");
  }
  return partition;
}

std::vector<raft::NodeId> read_replicas(wire::Reader& reader) {
  const std::uint32_t count = reader.count("replica_count", kMaxMetaReplicas, 4);
  std::vector<raft::NodeId> replicas;
  for (std::uint32_t i = 0; i < count && reader.ok(); ++i)
    replicas.push_back(reader.u32("replica"));
  return replicas;
}

void write_replicas(wire::Writer& writer, const std::vector<raft::NodeId>& replicas) {
  writer.u32(static_cast<std::uint32_t>(replicas.size()));
  for (const raft::NodeId node : replicas) writer.u32(node);
}

}  // namespace

wire::Decoded<MetaCommand> decode_meta_command(std::span<const std::uint8_t> bytes) {
  wire::Reader reader(bytes);
  MetaCommand command;
  const std::uint8_t kind = reader.u8("meta_command_kind");
  if (reader.ok() && (kind < 1 || kind > 5)) {
    reader.fail("unknown meta command kind " + std::to_string(kind));
  }
  command.kind = static_cast<MetaCommandKind>(kind);
  if (reader.ok()) {
    switch (command.kind) {
      case MetaCommandKind::register_broker:
        command.node = reader.u32("node");
        command.process = reader.u32("process");
        break;
      case MetaCommandKind::create_topic: {
        command.topic = reader.string("topic");
        command.replication_factor = reader.i32("replication_factor");
        const std::uint32_t partitions = reader.count("partition_count", kMaxMetaPartitions, 4);
        for (std::uint32_t p = 0; p < partitions && reader.ok(); ++p) {
          command.replicas.push_back(read_replicas(reader));
        }
        if (reader.ok() && partitions == 0) reader.fail("create_topic with no partitions");
        break;
      }
      case MetaCommandKind::set_assignment:
        command.topic = reader.string("topic");
        command.partition = read_partition(reader);
        command.node = reader.u32("leader");
        command.leader_epoch = reader.u64("leader_epoch");
        break;
      case MetaCommandKind::high_watermark:
        command.topic = reader.string("topic");
        command.partition = read_partition(reader);
        command.offset = reader.i64("offset");
        break;
      case MetaCommandKind::offset_commit:
        command.group_id = reader.string("group_id");
        command.topic = reader.string("topic");
        command.partition = read_partition(reader);
        command.offset = reader.i64("offset");
        break;
    }
  }
  reader.expect_end("meta command");
  if (!reader.ok()) return wire::Decoded<MetaCommand>::fail(reader.error());
  return wire::Decoded<MetaCommand>::ok(std::move(command));
}

// ---- state ----

const TopicInfo* MetadataState::find_topic(std::string_view topic) const {
  const auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : &it->second;
}

const PartitionInfo* MetadataState::find_partition(std::string_view topic, int partition) const {
  const TopicInfo* info = find_topic(topic);
  if (info == nullptr || partition < 0 ||
      static_cast<std::size_t>(partition) >= info->partitions.size()) {
    return nullptr;
  }
  return &info->partitions[static_cast<std::size_t>(partition)];
}

PartitionInfo* MetadataState::mutable_partition(std::string_view topic, int partition) {
  const auto it = topics_.find(topic);
  if (it == topics_.end() || partition < 0 ||
      static_cast<std::size_t>(partition) >= it->second.partitions.size()) {
    return nullptr;
  }
  return &it->second.partitions[static_cast<std::size_t>(partition)];
}

std::optional<std::int64_t> MetadataState::committed_offset(std::string_view group_id,
                                                            std::string_view topic,
                                                            int partition) const {
  const auto it = offsets_.find(OffsetKey{std::string(group_id), std::string(topic), partition});
  if (it == offsets_.end()) return std::nullopt;
  return it->second;
}

MetaApplyResult MetadataState::apply(const MetaCommand& command) {
  switch (command.kind) {
    case MetaCommandKind::register_broker:
      if (brokers_.size() >= kMaxMetaBrokers && !brokers_.contains(command.node)) {
        return MetaApplyResult::ignored_full;
      }
      brokers_[command.node] = command.process;
      return MetaApplyResult::applied;
    case MetaCommandKind::create_topic: {
      if (topics_.contains(command.topic)) return MetaApplyResult::ignored_existing;
      if (topics_.size() >= kMaxMetaTopics) return MetaApplyResult::ignored_full;
      TopicInfo info;
      info.replication_factor = command.replication_factor;
      for (const auto& replicas : command.replicas) {
        PartitionInfo partition;
        partition.replicas = replicas;
        info.partitions.push_back(std::move(partition));
      }
      topics_.emplace(command.topic, std::move(info));
      return MetaApplyResult::applied;
    }
    case MetaCommandKind::set_assignment: {
      PartitionInfo* partition = mutable_partition(command.topic, command.partition);
      if (partition == nullptr) return MetaApplyResult::ignored_unknown;
      // Mechanism 5: with epochs a late write from a deposed leader (lower
      // term) cannot replace the assignment of its successor.
      if (metadata_epochs_ && command.leader_epoch < partition->leader_epoch) {
        ++stale_assignments_ignored_;
        return MetaApplyResult::ignored_stale;
      }
      partition->leader = command.node;
      partition->leader_epoch = command.leader_epoch;
      return MetaApplyResult::applied;
    }
    case MetaCommandKind::high_watermark: {
      PartitionInfo* partition = mutable_partition(command.topic, command.partition);
      if (partition == nullptr) return MetaApplyResult::ignored_unknown;
      // Replicas publish independently and late; the published watermark
      // only moves forward.
      if (command.offset > partition->high_watermark) partition->high_watermark = command.offset;
      return MetaApplyResult::applied;
    }
    case MetaCommandKind::offset_commit: {
      if (find_partition(command.topic, command.partition) == nullptr) {
        return MetaApplyResult::ignored_unknown;
      }
      OffsetKey key{command.group_id, command.topic, command.partition};
      if (offsets_.size() >= kMaxCommittedOffsets && !offsets_.contains(key)) {
        ++dropped_offset_commits_;
        return MetaApplyResult::ignored_full;
      }
      offsets_[std::move(key)] = command.offset;
      return MetaApplyResult::applied;
    }
  }
  SIMRUN_ASSERT(false, "unhandled meta command kind");
  return MetaApplyResult::ignored_unknown;
}

wire::Bytes MetadataState::encode() const {
  wire::Bytes out;
  wire::Writer writer(out);
  writer.u8(1);  // image version
  writer.u32(static_cast<std::uint32_t>(brokers_.size()));
  for (const auto& [node, process] : brokers_) {
    writer.u32(node);
    writer.u32(process);
  }
  writer.u32(static_cast<std::uint32_t>(topics_.size()));
  for (const auto& [name, topic] : topics_) {
    writer.string(name);
    writer.i32(topic.replication_factor);
    writer.u32(static_cast<std::uint32_t>(topic.partitions.size()));
    for (const auto& partition : topic.partitions) {
      write_replicas(writer, partition.replicas);
      writer.u32(partition.leader);
      writer.u64(partition.leader_epoch);
      writer.i64(partition.high_watermark);
    }
  }
  writer.u32(static_cast<std::uint32_t>(offsets_.size()));
  for (const auto& [key, offset] : offsets_) {
    writer.string(std::get<0>(key));
    writer.string(std::get<1>(key));
    writer.i32(std::get<2>(key));
    writer.i64(offset);
  }
  writer.u64(stale_assignments_ignored_);
  writer.u64(dropped_offset_commits_);
  return out;
}

wire::Decoded<MetadataState> MetadataState::decode(std::span<const std::uint8_t> bytes,
                                                   bool metadata_epochs) {
  wire::Reader reader(bytes);
  MetadataState state(metadata_epochs);
  const std::uint8_t version = reader.u8("image_version");
  if (reader.ok() && version != 1) reader.fail("unknown metadata image version");
  const std::uint32_t brokers = reader.count("broker_count", kMaxMetaBrokers, 8);
  for (std::uint32_t i = 0; i < brokers && reader.ok(); ++i) {
    const raft::NodeId node = reader.u32("node");
    state.brokers_[node] = reader.u32("process");
  }
  const std::uint32_t topics = reader.count("topic_count", kMaxMetaTopics, 10);
  for (std::uint32_t i = 0; i < topics && reader.ok(); ++i) {
    std::string name = reader.string("topic");
    TopicInfo topic;
    topic.replication_factor = reader.i32("replication_factor");
    const std::uint32_t partitions = reader.count("partition_count", kMaxMetaPartitions, 24);
    for (std::uint32_t p = 0; p < partitions && reader.ok(); ++p) {
      PartitionInfo partition;
      partition.replicas = read_replicas(reader);
      partition.leader = reader.u32("leader");
      partition.leader_epoch = reader.u64("leader_epoch");
      partition.high_watermark = reader.i64("high_watermark");
      topic.partitions.push_back(std::move(partition));
    }
    state.topics_.emplace(std::move(name), std::move(topic));
  }
  const std::uint32_t offsets =
      reader.count("offset_count", static_cast<std::uint32_t>(kMaxCommittedOffsets), 16);
  for (std::uint32_t i = 0; i < offsets && reader.ok(); ++i) {
    std::string group_id = reader.string("group_id");
    std::string topic = reader.string("topic");
    const std::int32_t partition = reader.i32("partition");
    state.offsets_[OffsetKey{std::move(group_id), std::move(topic), partition}] =
        reader.i64("offset");
  }
  state.stale_assignments_ignored_ = reader.u64("stale_assignments_ignored");
  state.dropped_offset_commits_ = reader.u64("dropped_offset_commits");
  reader.expect_end("metadata image");
  if (!reader.ok()) return wire::Decoded<MetadataState>::fail(reader.error());
  return wire::Decoded<MetadataState>::ok(std::move(state));
}

// ---- state machine ----

bool MetadataStateMachine::apply(const raft::Entry& entry) {
  auto command = decode_meta_command(entry.data);
  if (!command) return false;
  const MetaApplyResult result = state_.apply(*command);
  if (listener_) listener_(&*command, result);
  return true;
}

void MetadataStateMachine::snapshot_into(raft::Bytes& out) const {
  const raft::Bytes image = state_.encode();  // a few hundred bytes
  out.insert(out.end(), image.begin(), image.end());
}

void MetadataStateMachine::restore(const raft::Bytes& image) {
  auto decoded = MetadataState::decode(image, metadata_epochs_);
  // The image was produced by snapshot() and travelled inside a checked
  // Raft snapshot; failing to read it back is a bug, not an input error.
  SIMRUN_ASSERT(decoded.value.has_value(), decoded.error.c_str());
  state_ = std::move(*decoded);
  if (listener_) listener_(nullptr, MetaApplyResult::applied);
}

}  // namespace simrun::broker
