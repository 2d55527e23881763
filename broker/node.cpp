#include "broker/node.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "broker/events.h"
#include "broker/frame.h"
#include "broker/probe.h"
#include "broker/record_batch.h"
#include "broker/timing.h"
#include "sim/assert.h"
#include "sim/world.h"

namespace simrun::broker {

namespace {

using protocol::ErrorCode;

std::int64_t as_int(std::uint64_t value) { return static_cast<std::int64_t>(value); }

// How a failed proposal looks to a client.
ErrorCode client_error(ProposeError error) {
  switch (error) {
    case ProposeError::none:
      return ErrorCode::none;
    case ProposeError::not_leader:
    case ProposeError::leader_changed:
      return ErrorCode::not_leader;
    case ProposeError::timeout:
    case ProposeError::stopped:
      return ErrorCode::request_timed_out;
  }
  return ErrorCode::request_timed_out;
}

}  // namespace

Node::Node(sim::Env& env, NodeOptions options)
    : env_(env),
      options_(std::move(options)),
      transport_(env, options_.self, options_.node_processes, options_.config),
      meta_state_(options_.config.metadata_epochs),
      jobs_ready_(env.scheduler()),
      role_changed_(env.scheduler()) {
  SIMRUN_ASSERT(options_.self >= 1 && options_.self <= options_.node_processes.size(),
                "a node's id must name one of the cluster's nodes");
}

Node::~Node() {
  // The inbox outlives the node (it belongs to the process): a crash
  // unwinds the node, a restart builds a new one.
  env_.inbox().set_direct_consumer(nullptr, nullptr);
}

void Node::run() {
  boot();
  env_.inbox().set_direct_consumer(&Node::dispatch_on_arrival, this);
  for (;;) dispatch(env_.inbox().receive());
}

void Node::boot() {
  GroupSpec spec;
  spec.name = std::string(kMetaGroupName);
  for (std::size_t i = 0; i < options_.node_processes.size(); ++i) {
    spec.voters.push_back(static_cast<raft::NodeId>(i + 1));
  }
  meta_state_.set_listener(
      [this](const MetaCommand* command, MetaApplyResult) { on_meta_applied(command); });
  meta_group_ = std::make_unique<RaftGroup>(env_, options_.self, std::move(spec), options_.config,
                                            meta_state_, transport_);
  writer_ =
      std::make_unique<MetaWriter>(env_, options_.self, options_.node_processes, *meta_group_);
  meta_group_->on_role_change([this](raft::Role, raft::Term) { role_changed_.notify_all(); });
  env_.trace().record(events::kNodeStarted, {{"node", as_int(options_.self)}});
  // Replays the durable __meta log; its applies re-create the partition
  // replicas through on_meta_applied.
  meta_group_->start();
  env_.spawn("metadata-handler", [this] { run_metadata_handler(); });
  if (options_.config.batched_high_watermarks) {
    env_.spawn("hw-publisher", [this] { run_high_watermark_publisher(); });
  }
  env_.spawn("register", [this] { run_registration(); });
}

// ---------------------------------------------------------------- routing

void Node::dispatch(sim::Envelope envelope) {
  // A connection reset (the peer crashed, or a connect or user timeout)
  // fails the calls outstanding on it at once, as gRPC does: the legacy
  // blocking RPCs (Transport::send_blocking) and forwarded __meta writes.
  // Raft itself treats it as lost messages.
  if (envelope.reset) {
    transport_.receive_reset(envelope);
    writer_->on_reset(envelope.from);
    return;
  }
  if (envelope.payload.empty()) return;
  switch (static_cast<FrameKind>(envelope.payload[0])) {
    case FrameKind::raft_message: {
      auto incoming = transport_.receive_message(envelope);
      if (incoming) route_raft(std::move(*incoming));
      return;
    }
    case FrameKind::raft_ack:
      transport_.receive_ack(envelope);
      return;
    case FrameKind::client_request: {
      if (handlers_in_flight_ >= kMaxRequestHandlers) {
        ++stats_.requests_dropped;  // overload: the client times out and retries
        return;
      }
      ++handlers_in_flight_;
      ++stats_.requests;
      env_.spawn("request", [this, request = std::move(envelope)] {
        struct Release {
          std::size_t& count;
          ~Release() { --count; }
        } release{handlers_in_flight_};
        handle_request(request);
      });
      return;
    }
    case FrameKind::meta_forward:
      writer_->serve(envelope);
      return;
    case FrameKind::meta_forward_reply:
      writer_->on_reply(envelope);
      return;
    case FrameKind::client_response:
      return;  // not for a node
  }
  // An unknown frame kind: garbage on the wire, ignored.
}

// Peer Raft traffic is dispatched as it arrives, from the network's delivery
// event, instead of from the dispatcher fiber woken for it: the inbox asks
// only while that fiber is idle waiting on it and would run now (not
// paused), so the frame is the next one it would have dispatched, at the
// same simulated instant; only the order among events of that instant
// changes. The legacy blocking RPCs (a frame that wants an ack, and the
// ack) and every other kind still go through the fiber: answering would
// send from inside the network's own delivery, a request spawns a fiber,
// and the inline profiles' seed-pinned scenarios keep their exact runs.
bool Node::dispatch_on_arrival(void* node, sim::Envelope& envelope) {
  if (envelope.reset || envelope.payload.empty()) return false;
  bool direct = false;  // an unknown frame kind: the fiber ignores it as garbage
  switch (static_cast<FrameKind>(envelope.payload[0])) {
    case FrameKind::raft_message:
      direct = Transport::message_frame_sequence(envelope.payload) == std::uint64_t{0};
      break;
    case FrameKind::raft_ack:
    case FrameKind::client_request:
    case FrameKind::meta_forward:
    case FrameKind::meta_forward_reply:
    case FrameKind::client_response:
      break;
  }
  if (!direct) return false;
  static_cast<Node*>(node)->dispatch(std::move(envelope));
  return true;
}

void Node::route_raft(IncomingRaftMessage incoming) {
  if (incoming.group == kMetaGroupName) {
    meta_group_->deliver(std::move(incoming.message));
    return;
  }
  const auto it = replicas_.find(incoming.group);
  if (it != replicas_.end()) {
    it->second.group->deliver(std::move(incoming.message));
    return;
  }
  // Mechanism 8: a group this node has not created (yet).
  if (options_.config.buffer_unknown_group_messages) {
    auto buffer = unknown_buffer_.find(incoming.group);
    if (buffer == unknown_buffer_.end() && unknown_buffer_.size() < kMaxBufferedGroups) {
      buffer = unknown_buffer_.emplace(incoming.group, std::deque<raft::Message>{}).first;
    }
    if (buffer != unknown_buffer_.end()) {
      if (buffer->second.size() >=
          static_cast<std::size_t>(options_.config.unknown_group_buffer_messages)) {
        // Oldest first: Raft resends what matters, the newest is most useful.
        buffer->second.pop_front();
        ++stats_.unknown_group_dropped;
        hit(env_, Probe::unknown_group_dropped);
        env_.trace().record(kUnknownGroupDrop, {{"node", as_int(options_.self)},
                                                {"group", incoming.group},
                                                {"reason", "buffer full"}});
      }
      buffer->second.push_back(std::move(incoming.message));
      ++stats_.unknown_group_buffered;
      hit(env_, Probe::unknown_group_buffered);
      return;
    }
  }
  ++stats_.unknown_group_dropped;
  hit(env_, Probe::unknown_group_dropped);
  env_.trace().record(kUnknownGroupDrop, {{"node", as_int(options_.self)},
                                          {"group", incoming.group},
                                          {"reason", "replica not found"}});
}

// ---------------------------------------------------------------- metadata events

void Node::on_meta_applied(const MetaCommand* command) {
  if (command == nullptr || command->kind == MetaCommandKind::create_topic) {
    enqueue_job(MetadataJob{MetadataJob::Kind::ensure_replicas, {}});
  }
}

void Node::enqueue_job(MetadataJob job) {
  if (job.kind == MetadataJob::Kind::ensure_replicas) {
    const bool queued = std::any_of(jobs_.begin(), jobs_.end(), [](const MetadataJob& other) {
      return other.kind == MetadataJob::Kind::ensure_replicas;
    });
    if (queued) return;  // one pending scan covers every new topic
  } else {
    std::string group = partition_group_name(job.assignment.topic, job.assignment.partition);
    if (jobs_.size() >= static_cast<std::size_t>(options_.config.metadata_queue_jobs)) {
      // Dropping it would leave __meta naming the previous leader until the
      // next leader change; owe it instead, and publish whoever leads then.
      ++stats_.sync_jobs_deferred;
      hit(env_, Probe::metadata_queue_full);
      env_.trace().record(events::kMetaSyncDeferred,
                          {{"node", as_int(options_.self)}, {"group", group}});
      owed_syncs_.insert(std::move(group));
      return;
    }
    owed_syncs_.erase(group);  // this newer sync covers the owed one
  }
  jobs_.push_back(std::move(job));
  jobs_ready_.notify_one();
}

void Node::reissue_owed_syncs() {
  const auto capacity = static_cast<std::size_t>(options_.config.metadata_queue_jobs);
  while (!owed_syncs_.empty() && jobs_.size() < capacity) {
    const auto first = owed_syncs_.begin();
    const auto replica = replicas_.find(*first);
    SIMRUN_ASSERT(replica != replicas_.end(), "a sync is owed only for a replica hosted here");
    owed_syncs_.erase(first);
    const RaftGroup& group = *replica->second.group;
    // No longer leader: its successor publishes itself (and this node again
    // if it wins again, from on_partition_role).
    if (!group.is_leader()) continue;
    jobs_.push_back(leader_sync(replica->second.topic, replica->second.partition, group.term()));
  }
}

void Node::run_metadata_handler() {
  for (;;) {
    while (jobs_.empty()) jobs_ready_.wait();
    MetadataJob job = std::move(jobs_.front());
    jobs_.pop_front();
    reissue_owed_syncs();
    if (options_.config.metadata_handler_serial || job.kind == MetadataJob::Kind::ensure_replicas) {
      // Legacy: everything in this one fiber, in order (mechanism 5).
      run_job(job);
    } else {
      env_.spawn("meta-sync", [this, job = std::move(job)] { run_job(job); });
    }
  }
}

void Node::run_job(const MetadataJob& job) {
  switch (job.kind) {
    case MetadataJob::Kind::ensure_replicas:
      ensure_replicas();
      return;
    case MetadataJob::Kind::sync_assignment:
      ++stats_.syncs_started;
      (void)run_assignment_sync(env_, *writer_, options_.config.metadata_retry, options_.self,
                                job.assignment);
      return;
  }
}

void Node::ensure_replicas() {
  for (const auto& [topic, info] : metadata().topics()) {
    for (std::size_t p = 0; p < info.partitions.size(); ++p) {
      const auto& replicas = info.partitions[p].replicas;
      const int partition = static_cast<int>(p);
      if (std::find(replicas.begin(), replicas.end(), options_.self) == replicas.end()) continue;
      if (replicas_.contains(partition_group_name(topic, partition))) continue;
      create_replica(topic, partition, replicas);
    }
  }
}

void Node::create_replica(const std::string& topic, int partition,
                          const std::vector<raft::NodeId>& replicas) {
  const std::string name = partition_group_name(topic, partition);
  PartitionReplica replica;
  replica.topic = topic;
  replica.partition = partition;
  replica.log = std::make_unique<PartitionStateMachine>(Retention{options_.config.segment_bytes,
                                                                  options_.config.retention_bytes,
                                                                  options_.config.retention_ms});
  if (!options_.config.batched_high_watermarks) {
    // Mechanism 10 (legacy): every replica proposes a watermark to __meta
    // for every batch it applies.
    replica.log->set_on_applied([this, topic, partition](const StoredBatch& batch) {
      ++stats_.high_watermark_writes;
      (void)writer_->write_async(MetaCommand::high_watermark(
          topic, partition, batch.base_offset + static_cast<std::int64_t>(batch.record_count)));
    });
  }
  replica.group = std::make_unique<RaftGroup>(env_, options_.self, GroupSpec{name, replicas},
                                              options_.config, *replica.log, transport_);
  replica.group->on_role_change([this, topic, partition](raft::Role role, raft::Term term) {
    on_partition_role(topic, partition, role, term);
  });
  RaftGroup& group = *replica.group;
  replicas_.emplace(name, std::move(replica));
  ++stats_.replicas_created;
  group.start();
  const auto buffered = unknown_buffer_.find(name);
  if (buffered != unknown_buffer_.end()) {
    std::deque<raft::Message> messages = std::move(buffered->second);
    unknown_buffer_.erase(buffered);
    for (auto& message : messages) group.deliver(std::move(message));
  }
}

void Node::on_partition_role(const std::string& topic, int partition, raft::Role role,
                             raft::Term term) {
  role_changed_.notify_all();
  if (role != raft::Role::leader) return;
  // Mechanism 5: the new leader publishes itself, with its term as epoch.
  enqueue_job(leader_sync(topic, partition, term));
}

Node::MetadataJob Node::leader_sync(const std::string& topic, int partition,
                                    raft::Term term) const {
  return MetadataJob{MetadataJob::Kind::sync_assignment,
                     MetaCommand::set_assignment(topic, partition, options_.self, term)};
}

void Node::run_high_watermark_publisher() {
  const sim::duration_ns interval =
      sim::millis(std::max<std::int64_t>(1, options_.config.high_watermark_publish_interval_ms));
  for (;;) {
    env_.sleep(interval);
    for (auto& [name, replica] : replicas_) {
      if (!replica.group->is_leader()) continue;
      const std::int64_t watermark = replica.log->high_watermark();
      if (watermark <= replica.published_high_watermark) continue;
      if (writer_->write_async(
              MetaCommand::high_watermark(replica.topic, replica.partition, watermark))) {
        replica.published_high_watermark = watermark;
        ++stats_.high_watermark_writes;
      }
    }
  }
}

void Node::run_registration() {
  const auto process = options_.node_processes[options_.self - 1];
  constexpr int kMaxRegistrationAttempts = 1000;
  for (int attempt = 0; attempt < kMaxRegistrationAttempts; ++attempt) {
    const auto& brokers = metadata().brokers();
    const auto it = brokers.find(options_.self);
    if (it != brokers.end() && it->second == process) return;
    (void)writer_->write(MetaCommand::register_broker(options_.self, process), meta_timeout());
    env_.sleep(sim::millis(500));
  }
}

// ---------------------------------------------------------------- controlled shutdown

bool Node::start_controlled_shutdown(std::function<void()> then) {
  if (shutting_down_) return false;
  shutting_down_ = true;
  // The fiber may keep `this`: a crash meanwhile unwinds it first.
  env_.world().spawn(env_.id(), "controlled-shutdown", [this, then = std::move(then)] {
    shut_down_gracefully();
    then();
  });
  return true;
}

void Node::shut_down_gracefully() {
  SIMRUN_ASSERT(shutting_down_, "started by start_controlled_shutdown");
  const sim::time_ns began = env_.now();
  const sim::time_ns deadline = began + sim::millis(std::max<std::int64_t>(
                                            1, options_.config.controlled_shutdown_timeout_ms));
  // Checked at every role change of a group here (a transfer completed) and
  // at least once per tick: the core abandons a transfer only at a tick
  // (after an election timeout), and then it is asked again.
  const sim::duration_ns poll = std::max<sim::duration_ns>(1, tick_interval_ns(options_.config));
  const auto groups_led = static_cast<std::int64_t>(transferable_groups().size());
  env_.trace().record(events::kShutdownStarted,
                      {{"node", as_int(options_.self)}, {"groups_led", groups_led}});
  std::size_t still_leading = request_transfers();
  // Bounded by the deadline: each round sleeps at least one nanosecond.
  while (still_leading > 0 && env_.now() < deadline) {
    (void)role_changed_.wait_for(std::min(poll, deadline - env_.now()));
    still_leading = request_transfers();
  }
  // What the node must keep is durable before it exits (a crash would lose
  // the unsynced tail; a clean stop does not).
  env_.disk().fsync();
  env_.trace().record(events::kShutdownDone, {{"node", as_int(options_.self)},
                                              {"groups_led", groups_led},
                                              {"still_leading", as_int(still_leading)},
                                              {"timed_out", still_leading > 0 ? 1 : 0},
                                              {"waited_ns", env_.now() - began}});
}

std::vector<RaftGroup*> Node::transferable_groups() {
  std::vector<RaftGroup*> groups;
  // A group alone on this node (replication factor 1) has nobody to hand
  // over to: the shutdown does not wait for it.
  if (meta_group_->transfer_candidate()) groups.push_back(meta_group_.get());
  for (auto& [name, replica] : replicas_) {
    if (replica.group->transfer_candidate()) groups.push_back(replica.group.get());
  }
  return groups;
}

std::size_t Node::request_transfers() {
  const std::vector<RaftGroup*> groups = transferable_groups();
  for (RaftGroup* group : groups) request_transfer(*group);
  return groups.size();
}

void Node::request_transfer(RaftGroup& group) {
  // Under way: the core sends TimeoutNow once the target has caught up, and
  // drops the transfer after an election timeout; only then ask again.
  if (group.raft().transfer_target() != raft::kNoNode) return;
  const std::optional<raft::ProgressView> target = group.transfer_candidate();
  SIMRUN_ASSERT(target.has_value(), "a transfer is requested only of a group with a follower");
  env_.trace().record(events::kLeaderTransfer, {{"node", as_int(options_.self)},
                                                {"group", group.name()},
                                                {"to", as_int(target->id)},
                                                {"match", as_int(target->match)},
                                                {"last_index", as_int(group.raft().last_index())}});
  group.transfer_leadership(target->id);
}

sim::duration_ns Node::meta_timeout() const {
  return sim::millis(std::max<std::int64_t>(1, options_.config.metadata_retry.per_try_timeout_ms));
}

// ---------------------------------------------------------------- requests

void Node::handle_request(const sim::Envelope& envelope) {
  auto request = protocol::decode_request(envelope.payload);
  if (!request) {
    const auto header = protocol::peek_request_header(envelope.payload);
    if (!header) return;
    env_.reply(envelope, protocol::encode_response(protocol::error_response(
                             *header, header->api_key == protocol::ApiKey::produce
                                          ? ErrorCode::corrupt_message
                                          : ErrorCode::invalid_request)));
    return;
  }
  std::optional<protocol::ResponseBody> body = std::visit(
      [this](auto& typed) -> std::optional<protocol::ResponseBody> { return handle(typed); },
      request->body);
  if (!body) return;  // acks=0
  protocol::Response response;
  response.correlation_id = request->correlation_id;
  response.body = std::move(*body);
  SIMRUN_ASSERT(response.api_key() == request->api_key(), "a response answers its request");
  // On the request's own connection: a client restarted meanwhile (a new
  // connection, correlation ids from 1 again) must not take this answer
  // for one of its own requests (chaos_process seed 18).
  env_.reply(envelope, protocol::encode_response(response));
}

PartitionReplica* Node::find_replica(std::string_view topic, int partition) {
  const auto it = replicas_.find(partition_group_name(topic, partition));
  return it == replicas_.end() ? nullptr : &it->second;
}

template <typename Response>
bool Node::serves_offsets_of(std::string_view topic, int partition, Response& response) {
  // Consumer-group offsets live in __meta: only its leader can commit or
  // read them consistently, and only for partitions that exist.
  if (!meta_group_->is_leader()) {
    response.error = ErrorCode::not_leader;
    response.leader_hint = meta_group_->leader();
    return false;
  }
  if (metadata().find_partition(topic, partition) == nullptr) {
    response.error = ErrorCode::unknown_topic_or_partition;
    return false;
  }
  return true;
}

template <typename Response>
PartitionReplica* Node::leader_replica(std::string_view topic, int partition, Response& response) {
  PartitionReplica* replica = find_replica(topic, partition);
  if (replica == nullptr) {
    // No replica here: the client's metadata is stale (or the topic is
    // unknown); point it at the leader our metadata cache knows, if any.
    const PartitionInfo* info = metadata().find_partition(topic, partition);
    response.error =
        info == nullptr ? ErrorCode::unknown_topic_or_partition : ErrorCode::not_leader;
    if (info != nullptr && info->leader != options_.self) response.leader_hint = info->leader;
    return nullptr;
  }
  if (!replica->group->is_leader()) {
    response.error = ErrorCode::not_leader;
    response.leader_hint = replica->group->leader();
    return nullptr;
  }
  return replica;
}

protocol::ResponseBody Node::handle(const protocol::CreateTopicRequest& request) {
  protocol::CreateTopicResponse response;
  if (!meta_group_->is_leader()) {
    response.error = ErrorCode::not_leader;
    response.leader_hint = meta_group_->leader();
    return response;
  }
  if (metadata().find_topic(request.name) != nullptr) {
    response.error = ErrorCode::topic_already_exists;
    return response;
  }
  const int nodes = static_cast<int>(options_.node_processes.size());
  const int replication_factor = request.replication_factor > 0
                                     ? request.replication_factor
                                     : options_.config.replication_factor;
  if (request.name.empty() || request.name.size() > 200 ||
      request.name.find('/') != std::string::npos || request.partitions < 1 ||
      static_cast<std::uint32_t>(request.partitions) > kMaxMetaPartitions ||
      replication_factor > nodes || replication_factor > static_cast<int>(kMaxMetaReplicas)) {
    response.error = ErrorCode::invalid_request;
    return response;
  }
  const ProposeOutcome outcome = meta_group_->propose_and_wait(
      encode_meta_command(
          MetaCommand::create_topic(request.name, request.partitions, replication_factor, nodes)),
      meta_timeout());
  response.error = client_error(outcome.error);
  if (response.error == ErrorCode::not_leader) response.leader_hint = meta_group_->leader();
  return response;
}

protocol::ResponseBody Node::handle(const protocol::MetadataRequest& request) {
  protocol::MetadataResponse response;
  response.controller_id = meta_group_->leader();
  for (std::size_t i = 0; i < options_.node_processes.size(); ++i) {
    response.brokers.push_back(
        protocol::BrokerInfo{static_cast<protocol::NodeId>(i + 1), options_.node_processes[i]});
  }
  auto describe = [&](const std::string& name, const TopicInfo& info) {
    protocol::TopicMetadata topic;
    topic.name = name;
    for (std::size_t p = 0; p < info.partitions.size(); ++p) {
      const PartitionInfo& partition = info.partitions[p];
      protocol::PartitionMetadata described;
      described.partition = static_cast<std::int32_t>(p);
      described.leader = partition.leader;
      described.leader_epoch = as_int(partition.leader_epoch);
      described.replicas = partition.replicas;
      described.error =
          partition.leader == raft::kNoNode ? ErrorCode::leader_not_available : ErrorCode::none;
      topic.partitions.push_back(std::move(described));
    }
    return topic;
  };
  if (request.topics.empty()) {
    for (const auto& [name, info] : metadata().topics()) {
      if (response.topics.size() >= protocol::kMaxTopics) break;
      response.topics.push_back(describe(name, info));
    }
  } else {
    for (const auto& name : request.topics) {
      if (response.topics.size() >= protocol::kMaxTopics) break;
      const TopicInfo* info = metadata().find_topic(name);
      if (info == nullptr) {
        protocol::TopicMetadata missing;
        missing.name = name;
        missing.error = ErrorCode::unknown_topic_or_partition;
        response.topics.push_back(std::move(missing));
      } else {
        response.topics.push_back(describe(name, *info));
      }
    }
  }
  return response;
}

std::optional<protocol::ResponseBody> Node::handle(protocol::ProduceRequest& request) {
  protocol::ProduceResponse response;
  PartitionReplica* replica = leader_replica(request.topic, request.partition, response);
  if (replica == nullptr) return response;
  // Framing and CRC, as Kafka's broker checks a produced batch (the content
  // hash is the partition's business at apply).
  if (check_record_batch(request.record_batch)) {
    response.error = ErrorCode::corrupt_message;
    return response;
  }
  if (!options_.config.batched_high_watermarks) {
    // Mechanism 10 (legacy): each produce first waits for one __meta write.
    ++stats_.high_watermark_writes;
    (void)writer_->write(MetaCommand::high_watermark(request.topic, request.partition,
                                                     replica->log->high_watermark()),
                         meta_timeout());
  }
  RaftGroup& group = *replica->group;
  PartitionStateMachine& log = *replica->log;
  if (request.acks == 0) {
    (void)group.propose(std::move(request.record_batch));
    return std::nullopt;
  }
  if (request.acks == 1) {
    const ProposeOutcome outcome = group.propose(std::move(request.record_batch));
    response.error = client_error(outcome.error);
    if (response.error == ErrorCode::not_leader) response.leader_hint = outcome.leader_hint;
    response.high_watermark = log.high_watermark();
    return response;  // base_offset -1: assigned only when committed
  }
  std::int64_t timeout_ms = options_.config.produce_timeout_ms;
  if (request.timeout_ms > 0) timeout_ms = std::min(timeout_ms, request.timeout_ms);
  const ProposeOutcome outcome =
      group.propose_and_wait(std::move(request.record_batch), sim::millis(timeout_ms));
  response.error = client_error(outcome.error);
  if (response.error == ErrorCode::none) {
    // The batch at the completed index. With proposals keyed by index only
    // (mechanism 6) that may be another leader's entry - or a no-op, where
    // the high watermark is reported: either way the client is told
    // "written" at an offset that does not hold its batch, which is the
    // legacy bug the lost-write checker must see.
    const StoredBatch* batch = log.find_by_raft_index(outcome.index);
    response.base_offset = batch != nullptr ? batch->base_offset : log.high_watermark();
  } else if (response.error == ErrorCode::not_leader) {
    response.leader_hint = group.leader() == options_.self ? raft::kNoNode : group.leader();
  }
  response.high_watermark = log.high_watermark();
  return response;
}

protocol::ResponseBody Node::handle(const protocol::FetchRequest& request) {
  protocol::FetchResponse response;
  PartitionReplica* replica = leader_replica(request.topic, request.partition, response);
  if (replica == nullptr) return response;
  const auto max_bytes = static_cast<std::size_t>(std::clamp<std::int64_t>(
      request.max_bytes, 1, static_cast<std::int64_t>(protocol::kMaxRecordBytes)));
  // A new leader may not have applied everything its predecessor committed
  // (Raft section 8: it learns what is committed only by committing an
  // entry of its own term). Serving before that shows a consumer a high
  // watermark below one it already saw (checker high_watermark, found by
  // chaos_network): until the leader has applied an entry of its own term,
  // the partition has no leader able to answer reads yet.
  if (!replica->group->serves_reads()) {
    response.error = ErrorCode::leader_not_available;
    return response;
  }
  response.high_watermark = replica->log->high_watermark();
  if (request.offset >= 0 && request.offset < response.high_watermark) {
    response.records = replica->log->read(request.offset, max_bytes);
  }
  return response;
}

protocol::ResponseBody Node::handle(const protocol::OffsetCommitRequest& request) {
  protocol::OffsetCommitResponse response;
  if (!serves_offsets_of(request.topic, request.partition, response)) return response;
  const ProposeOutcome outcome = meta_group_->propose_and_wait(
      encode_meta_command(MetaCommand::offset_commit(request.group_id, request.topic,
                                                     request.partition, request.offset)),
      meta_timeout());
  response.error = client_error(outcome.error);
  if (response.error == ErrorCode::not_leader) response.leader_hint = meta_group_->leader();
  return response;
}

protocol::ResponseBody Node::handle(const protocol::OffsetFetchRequest& request) {
  protocol::OffsetFetchResponse response;
  if (!serves_offsets_of(request.topic, request.partition, response)) return response;
  // The same rule for the offsets in __meta: a new leader may not have
  // applied its predecessor's last offset commits yet, and a restarted
  // consumer told an older offset than it committed reads records again
  // and commits that older offset (checker consumer_offsets, found by
  // chaos_process seed 74). Until the leader has applied an entry of its
  // own term, offsets have no coordinator able to answer.
  if (!meta_group_->serves_reads()) {
    response.error = ErrorCode::leader_not_available;
    return response;
  }
  response.offset =
      metadata().committed_offset(request.group_id, request.topic, request.partition).value_or(-1);
  return response;
}

// ---------------------------------------------------------------- views

const RaftGroup* Node::group(std::string_view name) const {
  if (name == kMetaGroupName) return meta_group_.get();
  const auto it = replicas_.find(name);
  return it == replicas_.end() ? nullptr : it->second.group.get();
}

const PartitionReplica* Node::replica(std::string_view topic, int partition) const {
  const auto it = replicas_.find(partition_group_name(topic, partition));
  return it == replicas_.end() ? nullptr : &it->second;
}

std::vector<std::string> Node::group_names() const {
  std::vector<std::string> names{std::string(kMetaGroupName)};
  for (const auto& [name, replica] : replicas_) names.push_back(name);
  return names;
}

std::function<void(sim::Env&)> node_process_main(NodeOptions options, std::shared_ptr<Node*> live) {
  SIMRUN_ASSERT(live != nullptr, "the live-node slot must exist");
  return [options = std::move(options), live = std::move(live)](sim::Env& env) {
    Node node(env, options);
    // Destroyed before `node` when a crash unwinds this fiber.
    struct Unpublish {
      std::shared_ptr<Node*> live;
      sim::Env& env;
      raft::NodeId self;
      ~Unpublish() {
        *live = nullptr;
        if (env.world().state(env.id()) == sim::ProcessState::crashed) {
          env.trace().record(events::kNodeCrashed, {{"node", static_cast<std::int64_t>(self)}});
        }
      }
    } unpublish{live, env, options.self};
    *live = &node;
    node.run();
  };
}

}  // namespace simrun::broker
