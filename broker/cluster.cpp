#include "broker/cluster.h"

#include <algorithm>
#include <utility>

#include "broker/admin.h"
#include "broker/consumer.h"
#include "broker/metadata.h"
#include "broker/node.h"
#include "broker/producer.h"
#include "sim/assert.h"
#include "sim/fault_actions.h"

namespace simrun::broker {

namespace {
// Built by appending: `"n" + std::to_string(i)` trips a gcc 12 -Wrestrict
// false positive at -O3.
std::string numbered(std::string_view prefix, int number) {
  std::string name(prefix);
  name += std::to_string(number);
  return name;
}
}  // namespace

struct Cluster::Impl {
  sim::World& world;
  ClusterConfig config;
  // Shared with the node mains: filled once every node process exists.
  std::shared_ptr<std::vector<sim::ProcessId>> node_processes =
      std::make_shared<std::vector<sim::ProcessId>>();
  std::vector<std::shared_ptr<Node*>> live;  // per node index
  struct ClientProcess {
    sim::ProcessId process = 0;
    std::int64_t start_ms = 0;
  };
  std::vector<ClientProcess> clients;
  int client_count = 0;
  bool started = false;

  Impl(sim::World& w, ClusterConfig c) : world(w), config(std::move(c)) {}

  ClientConfig client_config() const {
    ClientConfig client;
    client.bootstrap = *node_processes;
    client.produce_timeout_ms = config.broker.produce_timeout_ms;
    return client;
  }
};

Cluster::Cluster(sim::World& world, ClusterConfig config)
    : impl_(std::make_unique<Impl>(world, std::move(config))) {
  Impl& impl = *impl_;
  SIMRUN_ASSERT(
      impl.config.nodes >= 1 && static_cast<std::uint32_t>(impl.config.nodes) <= kMaxMetaBrokers,
      "node count out of bounds");
  SIMRUN_ASSERT(impl.config.startup_delays_ms.size() <= static_cast<std::size_t>(impl.config.nodes),
                "more startup delays than nodes");
  // Nodes first, so node index i is the i-th process (process id i in a
  // fresh World).
  for (int i = 0; i < impl.config.nodes; ++i) {
    auto live = std::make_shared<Node*>(nullptr);
    impl.live.push_back(live);
    const auto self = static_cast<raft::NodeId>(i + 1);
    impl.node_processes->push_back(world.add_process(
        numbered("n", i + 1),
        [processes = impl.node_processes, self, broker = impl.config.broker, live](sim::Env& env) {
          node_process_main(NodeOptions{self, *processes, broker}, live)(env);
        }));
  }
  if (!impl.config.topics.empty()) {
    AdminOptions admin;
    admin.replication_factor = std::min(impl.config.broker.replication_factor, impl.config.nodes);
    const sim::ProcessId process = world.add_process(
        "admin", admin_process_main(impl.client_config(), impl.config.topics, admin));
    impl.clients.push_back({process, 0});
  }
}

Cluster::~Cluster() = default;

void Cluster::add_producer(const ProducerSpec& spec) {
  Impl& impl = *impl_;
  SIMRUN_ASSERT(!impl.started, "add clients before start()");
  const int index = impl.client_count++;
  const sim::ProcessId process = impl.world.add_process(
      numbered("producer", index + 1), producer_process_main(impl.client_config(), spec, index));
  impl.clients.push_back({process, spec.start_ms});
}

void Cluster::add_consumer(const ConsumerSpec& spec) {
  Impl& impl = *impl_;
  SIMRUN_ASSERT(!impl.started, "add clients before start()");
  const int index = impl.client_count++;
  ClientConfig client = impl.client_config();
  client.request_timeout_ms = spec.request_timeout_ms;
  const sim::ProcessId process = impl.world.add_process(
      numbered("consumer", index + 1), consumer_process_main(std::move(client), spec, index));
  impl.clients.push_back({process, spec.start_ms});
}

void Cluster::start() {
  Impl& impl = *impl_;
  SIMRUN_ASSERT(!impl.started, "a cluster starts once");
  impl.started = true;
  sim::World& world = impl.world;
  auto start_at = [&world](sim::ProcessId process, std::int64_t at_ms) {
    const sim::time_ns at = std::max(world.now(), sim::millis(std::max<std::int64_t>(0, at_ms)));
    if (at == world.now()) {
      world.start(process);
    } else {
      world.loop().schedule_at(at, [&world, process] { world.start(process); });
    }
  };
  for (std::size_t i = 0; i < impl.node_processes->size(); ++i) {
    const std::int64_t delay_ms =
        i < impl.config.startup_delays_ms.size() ? impl.config.startup_delays_ms[i] : 0;
    start_at((*impl.node_processes)[i], delay_ms);
  }
  // The workloads wait for their own start times on their local clocks;
  // starting their processes then too keeps idle clients out of the trace.
  for (const auto& client : impl.clients) start_at(client.process, client.start_ms);
}

int Cluster::node_count() const { return impl_->config.nodes; }

sim::ProcessId Cluster::node_process(int node_index) const {
  SIMRUN_ASSERT(node_index >= 0 && node_index < node_count(), "node index out of range");
  return (*impl_->node_processes)[static_cast<std::size_t>(node_index)];
}

std::vector<sim::ProcessId> Cluster::node_processes() const { return *impl_->node_processes; }

std::vector<sim::ProcessId> Cluster::client_processes() const {
  std::vector<sim::ProcessId> processes;
  for (const auto& client : impl_->clients) processes.push_back(client.process);
  return processes;
}

std::vector<std::string> Cluster::group_names() const {
  std::vector<std::string> names{std::string(kMetaGroupName)};
  for (const auto& topic : impl_->config.topics) {
    for (int p = 0; p < topic.partitions; ++p) names.push_back(partition_group_name(topic.name, p));
  }
  return names;
}

const Node* Cluster::node(int node_index) const {
  SIMRUN_ASSERT(node_index >= 0 && node_index < node_count(), "node index out of range");
  return *impl_->live[static_cast<std::size_t>(node_index)];
}

bool Cluster::controlled_shutdown(int node_index, sim::duration_ns restart_after) {
  SIMRUN_ASSERT(node_index >= 0 && node_index < node_count(), "node index out of range");
  SIMRUN_ASSERT(restart_after >= 0, "a restart is never scheduled in the past");
  sim::World& world = impl_->world;
  const sim::ProcessId process = node_process(node_index);
  Node* node = *impl_->live[static_cast<std::size_t>(node_index)];
  const sim::ProcessState state = world.state(process);
  if (node == nullptr || node->shutting_down() ||
      (state != sim::ProcessState::running && state != sim::ProcessState::paused)) {
    return false;
  }
  const std::uint64_t incarnation = world.incarnation(process);
  return node->start_controlled_shutdown([&world, process, incarnation, restart_after] {
    // A fiber cannot take its own process down: the stop is an event, at
    // this instant, for this incarnation only.
    world.loop().schedule_after(0, [&world, process, incarnation, restart_after] {
      if (world.incarnation(process) != incarnation) return;
      sim::fault_actions::stop_for(world, process, restart_after);
    });
  });
}

// The replica whose log the end-of-run checks read: the current leader's
// (highest term if several believe they lead); with no leader, the live
// replica that applied the most.
const PartitionReplica* Cluster::checked_replica(const std::string& topic, int partition) const {
  const PartitionReplica* best = nullptr;
  bool best_leads = false;
  for (int i = 0; i < node_count(); ++i) {
    const Node* live = node(i);
    if (live == nullptr) continue;
    const PartitionReplica* replica = live->replica(topic, partition);
    if (replica == nullptr) continue;
    const bool leads = replica->group->is_leader();
    bool better = false;
    if (best == nullptr) {
      better = true;
    } else if (leads != best_leads) {
      better = leads;
    } else if (leads) {
      better = replica->group->term() > best->group->term();
    } else {
      better = replica->log->high_watermark() > best->log->high_watermark();
    }
    if (better) {
      best = replica;
      best_leads = leads;
    }
  }
  return best;
}

std::vector<Cluster::StoredRecord> Cluster::committed_records(const std::string& topic,
                                                              int partition) const {
  const PartitionReplica* best = checked_replica(topic, partition);
  std::vector<StoredRecord> records;
  if (best == nullptr) return records;
  for (const StoredBatch& batch : best->log->batches()) {
    records.push_back(StoredRecord{batch.base_offset, batch.content_hash});
  }
  return records;
}

std::int64_t Cluster::log_start_offset(const std::string& topic, int partition) const {
  const PartitionReplica* best = checked_replica(topic, partition);
  return best == nullptr ? 0 : best->log->log_start_offset();
}

}  // namespace simrun::broker
