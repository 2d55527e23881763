#pragma once
// A broker cluster inside a sim::World: N broker node processes plus client
// endpoint processes running workloads. This is what the scenario runner
// (tools/simrun) builds from a scenario; faults are applied by the runner to
// the World and its Network using the process ids exposed here.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/config.h"
#include "sim/world.h"

namespace simrun::broker {

class Node;
struct PartitionReplica;

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

struct ProducerSpec {
  std::string topic;
  double rate_per_second = 100.0;  // batches per second, Poisson arrivals
  int batch_records = 1;
  int record_bytes = 100;
  int acks = -1;  // 0, 1, or -1 (all)
  int max_retries = 5;
  std::int64_t retry_backoff_ms = 100;
  std::int64_t start_ms = 0;  // simulated time the producer starts
  std::int64_t stop_ms = -1;  // -1: until the end of the run
  // Batches in flight at once (each its own fiber); an arrival beyond it
  // waits for a slot. At most kMaxProducerInFlightBatches (producer.h).
  int max_in_flight = 64;
  // How long the producer waits for each produce answer; 0: the broker's
  // produce_timeout_ms + 1000 ms, so the broker's own timeout reaches it.
  std::int64_t request_timeout_ms = 0;
};

struct ConsumerSpec {
  std::string topic;  // reads every partition of it
  std::string group_id = "consumers";
  std::int64_t poll_interval_ms = 50;
  std::int64_t start_ms = 0;
  // How long the consumer waits for each fetch, offset fetch and commit.
  std::int64_t request_timeout_ms = 5000;
  // Partitions fetched at once in a poll round (1: one after the other).
  int max_in_flight = 1;
};

struct ClusterConfig {
  int nodes = 3;
  BrokerConfig broker;
  std::vector<TopicSpec> topics;
  // Mechanism 8: node i starts at startup_delays_ms[i] (missing: 0).
  std::vector<std::int64_t> startup_delays_ms;
};

// A record a producer was told is written with acks=all, for the
// "no acknowledged write lost" checker.
struct AckedRecord {
  std::string topic;
  int partition = 0;
  std::int64_t offset = 0;
  std::uint64_t hash = 0;
};

class Cluster {
 public:
  Cluster(sim::World& world, ClusterConfig config);
  ~Cluster();

  void add_producer(const ProducerSpec& spec);
  void add_consumer(const ConsumerSpec& spec);
  void start();  // schedules node starts (with startup delays) and clients

  int node_count() const;
  // Raft node id of node i is i + 1; its process is node_process(i).
  sim::ProcessId node_process(int node_index) const;
  std::vector<sim::ProcessId> node_processes() const;
  std::vector<std::string> group_names() const;  // "__meta", "topic/0", ...

  // End-of-run view for the acknowledged-write checker: the committed
  // records of a partition as the current leader (or, with none, the most
  // up-to-date live replica) holds them, by offset.
  struct StoredRecord {
    std::int64_t offset = 0;
    std::uint64_t hash = 0;
  };
  std::vector<StoredRecord> committed_records(const std::string& topic, int partition) const;
  // The first offset that replica still holds (records below it were
  // deleted by retention, broker/partition.h); 0 with no live replica.
  std::int64_t log_start_offset(const std::string& topic, int partition) const;

  // The live broker node of index i (its groups, state machines and metadata
  // cache, see broker/node.h), or nullptr while that process is down or not
  // started. Read-only, for checkers and metrics; valid until the World runs
  // again (a crash destroys it).
  const Node* node(int node_index) const;
  // Controlled shutdown of node i (broker/node.h; fault action
  // controlled_shutdown): a fiber of the node hands its leaderships over,
  // waits at most broker.controlled_shutdown_timeout_ms, syncs, and then
  // the process stops (sim::World::stop), restarted restart_after later
  // when that is > 0. Call from the scheduler context. False, and nothing
  // done, when the node is down or already shutting down.
  bool controlled_shutdown(int node_index, sim::duration_ns restart_after);
  // Client processes in creation order (admin first if there are topics).
  std::vector<sim::ProcessId> client_processes() const;

 private:
  const PartitionReplica* checked_replica(const std::string& topic, int partition) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace simrun::broker
