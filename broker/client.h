#pragma once
// The request/response client a client process uses to talk to the broker
// nodes (producer, consumer and admin workloads share one per process).
//
// It owns the process's inbox: a dispatcher fiber reads every envelope,
// decodes client_response frames and hands each to the fiber waiting on its
// correlation id. A waiting fiber blocks on its own WaitQueue with a
// per-request timeout; a response that arrives after its request timed out
// (or with a mismatched api key, or undecodable) is counted and dropped.
// In-flight requests are bounded: a caller beyond the bound waits for a slot.
// A connection reset from a node (sim::Envelope::reset: the node's process
// crashed) fails every call outstanding there at once with
// leader_not_available (retriable; routed callers refresh metadata), so
// producers and consumers move on without waiting for the timeout.
//
// It also keeps the metadata cache: brokers (node id -> process), the
// __meta leader ("controller") and each partition's leader and epoch. The
// cache is refreshed from any node, rotating on failure, whenever a request
// fails with not_leader (without a usable hint), leader_not_available,
// unknown_topic_or_partition or a timeout. A not_leader with a leader hint
// redirects the partition to the hinted node at once, without a refresh.
//
// Usage: construct on the stack of the process's main fiber (so a crash
// unwinds it with the process) and call start() before any request.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/protocol.h"
#include "sim/env.h"

namespace simrun::broker {

struct ClientConfig {
  // Broker processes to ask for metadata before any metadata is known.
  std::vector<sim::ProcessId> bootstrap;
  std::int64_t metadata_timeout_ms = 500;   // per metadata attempt
  std::int64_t request_timeout_ms = 5000;   // fetch, offsets, create_topic
  std::int64_t produce_timeout_ms = 30000;  // sent to the broker as timeout_ms
  // The client waits this much longer than produce_timeout_ms for a produce
  // answer, so the broker's own request_timed_out can reach it.
  std::int64_t produce_response_margin_ms = 1000;
  std::size_t max_in_flight = 64;
  // A metadata refresh is skipped if the previous one finished this recently
  // (many fibers failing at once trigger one refresh, not many).
  std::int64_t metadata_min_refresh_interval_ms = 50;
};

// What a request came to: a response (maybe carrying an error code), or no
// response at all (timed out, no route, or no slot within the timeout).
struct CallResult {
  std::optional<protocol::Response> response;
  // none when a response arrived; otherwise request_timed_out (nothing
  // came back in time) or leader_not_available (no known leader to ask, or
  // the node's connection was reset: it crashed).
  protocol::ErrorCode error = protocol::ErrorCode::none;

  protocol::ErrorCode effective_error() const { return response ? response->error() : error; }
};

struct PartitionRoute {
  protocol::NodeId leader = 0;     // 0: none known
  std::int64_t leader_epoch = -1;  // -1: unknown (e.g. only a hint)
  std::vector<protocol::NodeId> replicas;
};

struct ClientStats {
  std::uint64_t requests_sent = 0;
  std::uint64_t responses_matched = 0;
  std::uint64_t responses_unmatched = 0;  // late, duplicate or wrong api key
  std::uint64_t undecodable = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t metadata_refreshes = 0;
  std::uint64_t connection_resets = 0;  // reset envelopes received
  std::uint64_t calls_reset = 0;        // calls failed by a reset
};

class Client {
 public:
  Client(sim::Env& env, ClientConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Spawns the dispatcher fiber. Call once, from a fiber of this process.
  void start();

  sim::Env& env() { return env_; }
  const std::string& name() const;  // the process name, used as `client` in traces
  const ClientConfig& config() const { return config_; }
  const ClientStats& stats() const { return stats_; }
  std::size_t in_flight() const { return pending_.size(); }

  // Sends one request to a process and waits for its response (same
  // correlation id and api key) or the timeout.
  CallResult call(sim::ProcessId to, const protocol::RequestBody& body, sim::duration_ns timeout);
  // Sends without waiting for any answer (produce with acks=0).
  void send_oneway(sim::ProcessId to, const protocol::RequestBody& body);

  // Routed calls: to the partition's leader / to the __meta leader as the
  // cache knows them, refreshing the cache first if it has no leader. The
  // cache is updated from the outcome (hint, refresh mark); retries and
  // back-off are the caller's.
  CallResult call_partition_leader(const std::string& topic, std::int32_t partition,
                                   const protocol::RequestBody& body, sim::duration_ns timeout);
  CallResult call_controller(const protocol::RequestBody& body, sim::duration_ns timeout);
  // The process a partition request would go to now, if any.
  std::optional<sim::ProcessId> leader_process(const std::string& topic, std::int32_t partition);

  // Asks nodes for metadata (all topics), rotating through the known brokers
  // until one answers or `attempts` nodes were tried. True if one answered.
  bool refresh_metadata(int attempts = 3);
  // Refreshes (rate-limited) if the cache was marked stale.
  void refresh_if_stale();
  // Partition count of a topic as the cache knows it (0: unknown topic).
  int partition_count(const std::string& topic) const;
  std::optional<PartitionRoute> route(const std::string& topic, std::int32_t partition) const;
  protocol::NodeId controller() const { return controller_; }

  // Updates the cache from an outcome of a request about (topic, partition);
  // call_partition_leader does this itself.
  void observe_partition_outcome(const std::string& topic, std::int32_t partition,
                                 const CallResult& result);

 private:
  struct Pending;
  void handle_envelope(const sim::Envelope& envelope);
  void handle_reset(sim::ProcessId from);
  void apply_metadata(const protocol::MetadataResponse& metadata);
  std::optional<sim::ProcessId> process_of(protocol::NodeId node) const;
  // The cached route, in place (nullptr: unknown); route() copies it.
  const PartitionRoute* find_route(const std::string& topic, std::int32_t partition) const;
  std::uint32_t next_correlation_id();

  sim::Env& env_;
  ClientConfig config_;
  ClientStats stats_;
  bool started_ = false;
  // Cleared by the destructor; the dispatcher fiber checks it before it
  // touches the client again (it may outlive the client, blocked on the inbox).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::uint32_t last_correlation_id_ = 0;
  std::map<std::uint32_t, Pending*> pending_;  // correlation id -> the waiting call
  std::unique_ptr<sim::WaitQueue> slot_free_;

  // Metadata cache.
  std::map<protocol::NodeId, sim::ProcessId> brokers_;
  std::map<std::string, std::vector<PartitionRoute>> topics_;
  protocol::NodeId controller_ = 0;
  bool metadata_stale_ = true;
  sim::time_ns last_refresh_at_ = 0;
  bool refresh_in_progress_ = false;
  std::size_t next_metadata_node_ = 0;  // rotation over metadata_candidates()
  // The node whose last partition request failed as not the leader: skipped
  // by refresh_metadata while another node can be asked.
  std::optional<sim::ProcessId> metadata_avoid_;
  std::vector<sim::ProcessId> metadata_candidates() const;
};

}  // namespace simrun::broker
