#pragma once
// A broker node: the main function of a node process. It hosts the __meta
// group (every node is a voter) and one replica group per partition placed
// on it, routes peer Raft traffic to them, serves client requests, and keeps
// __meta's partition assignments and high watermarks up to date.
//
// Fibers of one node:
//  - dispatcher (the main fiber): reads env.inbox(); raft frames go through
//    the Transport to the group; client requests get a handler fiber each
//    (at most kMaxRequestHandlers at once, beyond that they are dropped and
//    the client times out); meta_forward frames go to the MetaWriter;
//  - metadata handler: creates partition replicas as their topics appear in
//    the applied __meta state, and runs assignment syncs (mechanism 5):
//    with metadata_handler_serial one fiber does all of it in order, so a
//    slow sync delays every later event; otherwise each sync has its own
//    fiber. The job queue holds broker.metadata_queue_jobs; a leader sync
//    that finds it full is owed and re-issued as it frees (owed_syncs_);
//  - high-watermark publisher (batched_high_watermarks): every
//    high_watermark_publish_interval_ms, each partition this node leads
//    publishes its watermark if it moved. Legacy (mechanism 10): every
//    replica proposes one per applied batch, and every produce first waits
//    for a __meta write.
//
// Startup race (mechanism 8): a peer may send traffic for a partition group
// before this node has learned of the partition. With
// buffer_unknown_group_messages the messages wait (bounded) and are
// delivered when the replica is created; otherwise each is dropped with a
// trace record  broker.unknown_group_drop {node, group}.
//
// Controlled shutdown (Kafka's controlled.shutdown, Redpanda's graceful
// stop and leadership drain): before the process stops, each group this
// node leads hands leadership to its most caught-up follower (Raft thesis
// 3.10), so clients move to a leader that is already there instead of
// waiting out an election timeout. The node waits for the transfers at most
// controlled_shutdown_timeout_ms, asking again when the core abandons one
// (after an election timeout), syncs its disk and returns; the caller
// (Cluster::controlled_shutdown) then stops the process. Meanwhile it keeps
// serving: a group under transfer refuses proposals (clients retry).
//
// Crash safety: the Node lives on the main fiber's stack; a crash unwinds
// every other fiber of the process first (reverse spawn order), so fibers
// may keep `this`.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker/config.h"
#include "broker/events.h"
#include "broker/group.h"
#include "broker/metadata.h"
#include "broker/metadata_sync.h"
#include "broker/partition.h"
#include "broker/protocol.h"
#include "broker/transport.h"
#include "sim/env.h"
#include "sim/sync.h"

namespace simrun::broker {

inline constexpr std::string_view kUnknownGroupDrop = events::kUnknownGroupDrop;
inline constexpr std::size_t kMaxRequestHandlers = 512;
inline constexpr std::size_t kMaxBufferedGroups = 256;
// The per-group buffer of unknown-group messages and the metadata job queue
// are bounded by knobs: broker.unknown_group_buffer_messages and
// broker.metadata_queue_jobs (BrokerConfig).

struct NodeOptions {
  raft::NodeId self = raft::kNoNode;
  // node_processes[i] is the process of Raft node id i + 1.
  std::vector<sim::ProcessId> node_processes;
  BrokerConfig config;
};

struct NodeStats {
  std::uint64_t requests = 0;
  std::uint64_t requests_dropped = 0;  // over kMaxRequestHandlers or undecodable header
  std::uint64_t unknown_group_buffered = 0;
  std::uint64_t unknown_group_dropped = 0;
  std::uint64_t replicas_created = 0;
  std::uint64_t syncs_started = 0;
  std::uint64_t sync_jobs_deferred = 0;  // found the job queue full (owed_syncs_)
  std::uint64_t high_watermark_writes = 0;
};

// One partition replica on this node.
struct PartitionReplica {
  std::string topic;
  int partition = 0;
  std::unique_ptr<PartitionStateMachine> log;
  std::unique_ptr<RaftGroup> group;
  std::int64_t published_high_watermark = -1;
};

class Node {
 public:
  Node(sim::Env& env, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Boots and serves until the process dies; never returns.
  [[noreturn]] void run();

  raft::NodeId id() const { return options_.self; }
  const BrokerConfig& config() const { return options_.config; }
  const MetadataState& metadata() const { return meta_state_.state(); }
  const RaftGroup& meta_group() const { return *meta_group_; }
  // nullptr when this node hosts no such group (yet).
  const RaftGroup* group(std::string_view name) const;
  const PartitionReplica* replica(std::string_view topic, int partition) const;
  std::vector<std::string> group_names() const;  // "__meta" first, then partitions
  const NodeStats& stats() const { return stats_; }
  const Transport& transport() const { return transport_; }
  const MetaWriter& meta_writer() const { return *writer_; }

  // Starts the controlled shutdown above on a fiber of its own (call from
  // the scheduler context); `then` runs on that fiber once the transfers
  // are over (or the bound passed) and the durable state is synced. False,
  // and nothing done, when one is under way already. Traces
  // node.shutdown_started, one node.leader_transfer per request and
  // node.shutdown_done.
  bool start_controlled_shutdown(std::function<void()> then);
  bool shutting_down() const { return shutting_down_; }

 private:
  struct MetadataJob {
    enum class Kind : std::uint8_t { ensure_replicas, sync_assignment };
    Kind kind = Kind::ensure_replicas;
    MetaCommand assignment;
  };

  void boot();
  void dispatch(sim::Envelope envelope);
  // The inbox's direct consumer (sim::Mailbox::set_direct_consumer).
  static bool dispatch_on_arrival(void* node, sim::Envelope& envelope);
  void route_raft(IncomingRaftMessage incoming);
  void on_meta_applied(const MetaCommand* command);
  void enqueue_job(MetadataJob job);
  void run_metadata_handler();
  void run_job(const MetadataJob& job);
  // Moves owed syncs into jobs_ while it has room.
  void reissue_owed_syncs();
  // The job that publishes this node as the partition's leader in __meta,
  // with its term as the epoch (mechanism 5).
  MetadataJob leader_sync(const std::string& topic, int partition, raft::Term term) const;
  void ensure_replicas();
  void create_replica(const std::string& topic, int partition,
                      const std::vector<raft::NodeId>& replicas);
  void on_partition_role(const std::string& topic, int partition, raft::Role role, raft::Term term);
  void run_high_watermark_publisher();
  void run_registration();
  void shut_down_gracefully();
  // The groups this node leads that a follower could take over: __meta
  // first, then partitions by name.
  std::vector<RaftGroup*> transferable_groups();
  // One round of the controlled shutdown: asks each of them that has no
  // transfer under way to hand over; returns how many there are.
  std::size_t request_transfers();
  void request_transfer(RaftGroup& group);

  void handle_request(const sim::Envelope& envelope);
  protocol::ResponseBody handle(const protocol::CreateTopicRequest& request);
  protocol::ResponseBody handle(const protocol::MetadataRequest& request);
  // Takes the request's batch into the Raft proposal (no copy: the bytes
  // read from the connection become the entry, as a broker appends what it
  // read from the socket).
  std::optional<protocol::ResponseBody> handle(protocol::ProduceRequest& request);
  protocol::ResponseBody handle(const protocol::FetchRequest& request);
  protocol::ResponseBody handle(const protocol::OffsetCommitRequest& request);
  protocol::ResponseBody handle(const protocol::OffsetFetchRequest& request);
  PartitionReplica* find_replica(std::string_view topic, int partition);
  // The replica of a partition this node leads, or nullptr with `response`'s
  // error and leader hint set for the client (produce and fetch).
  template <typename Response>
  PartitionReplica* leader_replica(std::string_view topic, int partition, Response& response);
  // True when this node leads __meta and the partition exists; otherwise
  // sets `response`'s error and leader hint (offset commit and fetch).
  template <typename Response>
  bool serves_offsets_of(std::string_view topic, int partition, Response& response);
  sim::duration_ns meta_timeout() const;

  sim::Env& env_;
  NodeOptions options_;
  Transport transport_;
  MetadataStateMachine meta_state_;
  std::unique_ptr<RaftGroup> meta_group_;
  std::unique_ptr<MetaWriter> writer_;
  std::map<std::string, PartitionReplica, std::less<>> replicas_;
  std::map<std::string, std::deque<raft::Message>, std::less<>> unknown_buffer_;
  std::deque<MetadataJob> jobs_;
  // Partition groups whose leader sync found jobs_ full (at most one entry
  // per partition hosted here): re-issued as room frees, or the assignment
  // in __meta would name the previous leader for good.
  std::set<std::string, std::less<>> owed_syncs_;
  sim::WaitQueue jobs_ready_;
  std::size_t handlers_in_flight_ = 0;
  bool shutting_down_ = false;
  // Notified whenever one of this node's groups changes role or term: a
  // controlled shutdown wakes when a transfer completes, not at its next
  // check.
  sim::WaitQueue role_changed_;
  NodeStats stats_;
};

// A node process's main function. While the node is up `*live` points at
// it (for the cluster's end-of-run views); it is reset when a crash unwinds
// the node. Emits node.started at boot and node.crashed when unwound by a
// crash.
std::function<void(sim::Env&)> node_process_main(NodeOptions options, std::shared_ptr<Node*> live);

}  // namespace simrun::broker
