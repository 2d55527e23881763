#include "broker/client.h"

#include <algorithm>
#include <utility>

#include "broker/frame.h"
#include "broker/probe.h"
#include "sim/assert.h"

namespace simrun::broker {

using protocol::ErrorCode;

// One waiting call: the dispatcher fills `response` (or sets
// `connection_reset`) and notifies.
struct Client::Pending {
  Pending(sim::Scheduler& scheduler, protocol::ApiKey key, sim::ProcessId destination)
      : api_key(key), to(destination), done(scheduler) {}
  protocol::ApiKey api_key;
  sim::ProcessId to;
  std::optional<protocol::Response> response;
  bool connection_reset = false;
  sim::WaitQueue done;
};

Client::Client(sim::Env& env, ClientConfig config)
    : env_(env),
      config_(std::move(config)),
      slot_free_(std::make_unique<sim::WaitQueue>(env.scheduler())) {
  SIMRUN_ASSERT(config_.max_in_flight > 0, "a client needs at least one in-flight slot");
  SIMRUN_ASSERT(!config_.bootstrap.empty(), "a client needs a bootstrap node to ask");
}

Client::~Client() {
  *alive_ = false;
  SIMRUN_ASSERT(pending_.empty(), "client destroyed with calls still waiting");
}

const std::string& Client::name() const { return env_.name(); }

void Client::start() {
  SIMRUN_ASSERT(!started_, "Client::start called twice");
  started_ = true;
  sim::Env& env = env_;
  std::shared_ptr<bool> alive = alive_;
  env.spawn("client-dispatcher", [this, &env, alive] {
    // One iteration per delivered envelope; the inbox is bounded, so is the
    // work per iteration.
    while (true) {
      const sim::Envelope envelope = env.inbox().receive();
      if (!*alive) return;  // the client is gone; nobody waits any more
      handle_envelope(envelope);
    }
  });
}

void Client::handle_envelope(const sim::Envelope& envelope) {
  if (envelope.reset) {
    handle_reset(envelope.from);
    return;
  }
  if (envelope.payload.empty() ||
      envelope.payload[0] != static_cast<std::uint8_t>(FrameKind::client_response)) {
    ++stats_.undecodable;
    return;
  }
  auto decoded = protocol::decode_response(envelope.payload);
  if (!decoded) {
    ++stats_.undecodable;
    return;
  }
  auto it = pending_.find(decoded->correlation_id);
  if (it == pending_.end() || it->second->response || it->second->api_key != decoded->api_key()) {
    // Late (its call timed out), duplicated by the network, or not ours.
    ++stats_.responses_unmatched;
    return;
  }
  ++stats_.responses_matched;
  it->second->response = std::move(*decoded);
  it->second->done.notify_one();
}

// The node crashed (sim::Network::reset_connections): no answer will come
// to any call outstanding there, so every one fails now instead of at its
// timeout (up to 31 s for a produce), like a Kafka client whose connection
// is closed under in-flight requests.
void Client::handle_reset(sim::ProcessId from) {
  ++stats_.connection_resets;
  for (auto& [correlation_id, pending] : pending_) {
    if (pending->to != from || pending->response || pending->connection_reset) continue;
    pending->connection_reset = true;
    pending->done.notify_one();
  }
}

std::uint32_t Client::next_correlation_id() {
  // Skips ids still pending after a wrap-around (bounded: at most
  // max_in_flight ids are pending).
  do {
    ++last_correlation_id_;
  } while (last_correlation_id_ == 0 || pending_.count(last_correlation_id_) != 0);
  return last_correlation_id_;
}

CallResult Client::call(sim::ProcessId to, const protocol::RequestBody& body,
                        sim::duration_ns timeout) {
  SIMRUN_ASSERT(started_, "Client::call before start()");
  SIMRUN_ASSERT(timeout >= 0, "a call needs a finite timeout");
  const sim::time_ns deadline = env_.now() + timeout;
  while (pending_.size() >= config_.max_in_flight) {
    const sim::duration_ns left = deadline - env_.now();
    if (left <= 0 || !slot_free_->wait_for(left)) {
      if (pending_.size() >= config_.max_in_flight) {
        ++stats_.timeouts;
        return CallResult{std::nullopt, ErrorCode::request_timed_out};
      }
    }
  }
  // The body is encoded where it is: no Request holding a copy of it (a
  // produce's batch is copied once, into the frame, as a socket write).
  const std::uint32_t correlation_id = next_correlation_id();
  Pending pending(env_.scheduler(), protocol::api_key_of(body), to);
  pending_.emplace(correlation_id, &pending);
  // A crash (or the World's teardown) unwinds this fiber out of wait_for:
  // the entry must leave pending_ then too, not only on the normal path.
  struct Unregister {
    std::map<std::uint32_t, Pending*>& pending;
    std::uint32_t id;
    ~Unregister() { pending.erase(id); }
  } unregister{pending_, correlation_id};
  ++stats_.requests_sent;
  env_.send_stream(to, protocol::encode_request_with_id(correlation_id, body));
  // Loop because a wake-up may come from notify_one racing a timeout.
  while (!pending.response && !pending.connection_reset) {
    const sim::duration_ns left = deadline - env_.now();
    if (left <= 0) break;
    (void)pending.done.wait_for(left);
  }
  pending_.erase(correlation_id);
  slot_free_->notify_one();
  if (!pending.response && pending.connection_reset) {
    ++stats_.calls_reset;
    hit(env_, Probe::call_reset_in_flight);
    // Retriable, and it makes the routed callers forget this node as the
    // leader and refresh metadata (observe_partition_outcome).
    return CallResult{std::nullopt, ErrorCode::leader_not_available};
  }
  if (!pending.response) {
    ++stats_.timeouts;
    return CallResult{std::nullopt, ErrorCode::request_timed_out};
  }
  return CallResult{std::move(pending.response), ErrorCode::none};
}

void Client::send_oneway(sim::ProcessId to, const protocol::RequestBody& body) {
  const std::uint32_t correlation_id = next_correlation_id();
  ++stats_.requests_sent;
  env_.send_stream(to, protocol::encode_request_with_id(correlation_id, body));
}

// ---- metadata ----

std::vector<sim::ProcessId> Client::metadata_candidates() const {
  // Known brokers in node id order, then bootstrap processes not among them.
  std::vector<sim::ProcessId> candidates;
  for (const auto& [node, process] : brokers_) candidates.push_back(process);
  for (sim::ProcessId process : config_.bootstrap) {
    if (std::find(candidates.begin(), candidates.end(), process) == candidates.end()) {
      candidates.push_back(process);
    }
  }
  return candidates;
}

bool Client::refresh_metadata(int attempts) {
  SIMRUN_ASSERT(attempts > 0, "refresh_metadata needs at least one attempt");
  if (refresh_in_progress_) return false;  // another fiber is refreshing
  refresh_in_progress_ = true;
  ++stats_.metadata_refreshes;
  bool answered = false;
  for (int attempt = 0; attempt < attempts && !answered; ++attempt) {
    const std::vector<sim::ProcessId> candidates = metadata_candidates();
    // Not the node that just failed a partition request as not the leader:
    // cut off from __meta (a deposed leader in a minority), it answers with
    // its stale view, naming itself, and the client would go round between
    // its produce and its metadata for the whole partition.
    if (candidates.size() > 1 && metadata_avoid_ &&
        candidates[next_metadata_node_ % candidates.size()] == *metadata_avoid_) {
      ++next_metadata_node_;
    }
    const sim::ProcessId to = candidates[next_metadata_node_ % candidates.size()];
    CallResult result =
        call(to, protocol::MetadataRequest{}, sim::millis(config_.metadata_timeout_ms));
    if (result.response && result.response->error() == ErrorCode::none) {
      apply_metadata(std::get<protocol::MetadataResponse>(result.response->body));
      answered = true;
    } else {
      ++next_metadata_node_;  // rotate away from a node that did not answer
    }
  }
  last_refresh_at_ = env_.now();
  if (answered) metadata_stale_ = false;
  refresh_in_progress_ = false;
  return answered;
}

void Client::refresh_if_stale() {
  if (!metadata_stale_) return;
  if (env_.now() - last_refresh_at_ < sim::millis(config_.metadata_min_refresh_interval_ms) &&
      last_refresh_at_ != 0) {
    return;
  }
  (void)refresh_metadata();
}

void Client::apply_metadata(const protocol::MetadataResponse& metadata) {
  for (const auto& broker : metadata.brokers) brokers_[broker.node_id] = broker.process_id;
  controller_ = metadata.controller_id;
  for (const auto& topic : metadata.topics) {
    if (topic.error != ErrorCode::none) continue;
    std::vector<PartitionRoute>& routes = topics_[topic.name];
    for (const auto& partition : topic.partitions) {
      if (partition.partition < 0 ||
          partition.partition >= static_cast<std::int32_t>(protocol::kMaxPartitions)) {
        continue;  // not a partition number a broker should send
      }
      const auto index = static_cast<std::size_t>(partition.partition);
      if (routes.size() <= index) routes.resize(index + 1);
      PartitionRoute& route = routes[index];
      // Leader epochs only go forward: a node with a stale view must not
      // move us back to a deposed leader.
      if (partition.leader_epoch < route.leader_epoch) continue;
      route.leader = partition.leader;
      route.leader_epoch = partition.leader_epoch;
      route.replicas = partition.replicas;
    }
  }
}

std::optional<sim::ProcessId> Client::process_of(protocol::NodeId node) const {
  if (node == 0) return std::nullopt;
  auto it = brokers_.find(node);
  if (it == brokers_.end()) return std::nullopt;
  return it->second;
}

int Client::partition_count(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : static_cast<int>(it->second.size());
}

const PartitionRoute* Client::find_route(const std::string& topic, std::int32_t partition) const {
  auto it = topics_.find(topic);
  if (it == topics_.end() || partition < 0 ||
      static_cast<std::size_t>(partition) >= it->second.size()) {
    return nullptr;
  }
  return &it->second[static_cast<std::size_t>(partition)];
}

std::optional<PartitionRoute> Client::route(const std::string& topic,
                                            std::int32_t partition) const {
  const PartitionRoute* found = find_route(topic, partition);
  if (found == nullptr) return std::nullopt;
  return *found;
}

std::optional<sim::ProcessId> Client::leader_process(const std::string& topic,
                                                     std::int32_t partition) {
  // In place, not through route(): every produce and fetch asks this, and a
  // copy of the route copied its replica list (issue 12).
  const PartitionRoute* current = find_route(topic, partition);
  if (current == nullptr || current->leader == 0 || !process_of(current->leader)) {
    metadata_stale_ = true;
    refresh_if_stale();
    current = find_route(topic, partition);  // the refresh may have moved the routes
  }
  if (current == nullptr) return std::nullopt;
  return process_of(current->leader);
}

void Client::observe_partition_outcome(const std::string& topic, std::int32_t partition,
                                       const CallResult& result) {
  const ErrorCode error = result.effective_error();
  if (error == ErrorCode::none) return;
  auto it = topics_.find(topic);
  PartitionRoute* cached = nullptr;
  if (it != topics_.end() && partition >= 0 &&
      static_cast<std::size_t>(partition) < it->second.size()) {
    cached = &it->second[static_cast<std::size_t>(partition)];
  }
  if (error == ErrorCode::not_leader && result.response) {
    const protocol::NodeId hint = result.response->leader_hint();
    if (cached != nullptr && hint != 0 && process_of(hint) && hint != cached->leader) {
      // Redirect at once; epoch unknown until the next refresh confirms it.
      cached->leader = hint;
      return;
    }
  }
  if (cached != nullptr &&
      (error == ErrorCode::not_leader || error == ErrorCode::leader_not_available)) {
    cached->leader = 0;  // do not ask the same node again before a refresh
  }
  if (error == ErrorCode::not_leader || error == ErrorCode::leader_not_available ||
      error == ErrorCode::unknown_topic_or_partition || error == ErrorCode::request_timed_out) {
    metadata_stale_ = true;
  }
}

CallResult Client::call_partition_leader(const std::string& topic, std::int32_t partition,
                                         const protocol::RequestBody& body,
                                         sim::duration_ns timeout) {
  auto to = leader_process(topic, partition);
  CallResult result;
  if (!to) {
    result.error = partition_count(topic) == 0 ? ErrorCode::unknown_topic_or_partition
                                               : ErrorCode::leader_not_available;
  } else {
    result = call(*to, body, timeout);
    const ErrorCode error = result.effective_error();
    if (error == ErrorCode::none) {
      if (metadata_avoid_ == *to) metadata_avoid_.reset();
    } else if (error == ErrorCode::not_leader || error == ErrorCode::leader_not_available) {
      metadata_avoid_ = *to;
    }
  }
  observe_partition_outcome(topic, partition, result);
  return result;
}

CallResult Client::call_controller(const protocol::RequestBody& body, sim::duration_ns timeout) {
  auto to = process_of(controller_);
  if (!to) {
    metadata_stale_ = true;
    refresh_if_stale();
    to = process_of(controller_);
  }
  if (!to) {
    // No __meta leader known: ask any node; a follower answers not_leader
    // with a hint.
    const std::vector<sim::ProcessId> candidates = metadata_candidates();
    to = candidates[next_metadata_node_++ % candidates.size()];
  }
  CallResult result = call(*to, body, timeout);
  const ErrorCode error = result.effective_error();
  if (error == ErrorCode::not_leader && result.response && result.response->leader_hint() != 0 &&
      process_of(result.response->leader_hint())) {
    controller_ = result.response->leader_hint();
  } else if (error == ErrorCode::not_leader || error == ErrorCode::leader_not_available ||
             error == ErrorCode::request_timed_out) {
    controller_ = 0;
    metadata_stale_ = true;
  }
  return result;
}

}  // namespace simrun::broker
