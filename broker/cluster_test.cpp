#include "broker/cluster.h"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "broker/events.h"
#include "broker/node.h"

namespace simrun::broker {
namespace {

// Everything the tests read back from the trace.
struct Observed {
  struct Ack {
    std::string topic;
    int partition = 0;
    std::int64_t offset = 0;
    std::uint64_t hash = 0;
  };
  std::vector<Ack> acks;  // acks=all only
  std::map<std::tuple<std::string, int>, std::vector<std::int64_t>> consumed_offsets;
  std::map<std::tuple<std::string, int, std::int64_t>, std::uint64_t> consumed_hash;
  std::uint64_t unknown_group_drops = 0;
  std::uint64_t sync_succeeded = 0;
  std::uint64_t sync_failed = 0;
  std::uint64_t sync_attempts = 0;
  std::uint64_t offset_regressions = 0;
  std::uint64_t produce_failed = 0;
  std::uint64_t node_started = 0;
  std::uint64_t node_crashed = 0;
};

void observe(sim::World& world, Observed& seen) {
  world.trace().add_observer([&seen](const sim::TraceRecord& record) {
    if (record.kind == events::kProduceAcked && record.number("acks") == -1) {
      seen.acks.push_back({std::string(record.text("topic")),
                           static_cast<int>(record.number("partition")), record.number("offset"),
                           static_cast<std::uint64_t>(record.number("hash"))});
    } else if (record.kind == events::kConsumeRecord) {
      const auto key = std::make_tuple(std::string(record.text("topic")),
                                       static_cast<int>(record.number("partition")));
      seen.consumed_offsets[key].push_back(record.number("offset"));
      seen.consumed_hash[std::tuple_cat(key, std::make_tuple(record.number("offset")))] =
          static_cast<std::uint64_t>(record.number("hash"));
    } else if (record.kind == kUnknownGroupDrop) {
      ++seen.unknown_group_drops;
    } else if (record.kind == events::kMetaSyncSucceeded) {
      ++seen.sync_succeeded;
    } else if (record.kind == events::kMetaSyncFailed) {
      ++seen.sync_failed;
    } else if (record.kind == events::kMetaSyncAttempt) {
      ++seen.sync_attempts;
    } else if (record.kind == "consume.offset_regression") {
      ++seen.offset_regressions;
    } else if (record.kind == events::kProduceFailed) {
      ++seen.produce_failed;
      MESSAGE("produce failed at " << record.time << ": " << record.text("error") << " "
                                   << record.text("topic") << "/" << record.number("partition"));
    } else if (record.kind == events::kNodeStarted) {
      ++seen.node_started;
    } else if (record.kind == events::kNodeCrashed) {
      ++seen.node_crashed;
    }
  });
}

sim::WorldConfig world_config(std::uint64_t seed) {
  sim::WorldConfig config;
  config.seed = seed;
  config.default_link.latency =
      sim::DurationDistribution::uniform(sim::micros(500), sim::millis(2));
  return config;
}

ProducerSpec producer(const std::string& topic, int max_retries) {
  ProducerSpec spec;
  spec.topic = topic;
  spec.rate_per_second = 50;
  spec.batch_records = 2;
  spec.record_bytes = 32;
  spec.acks = -1;
  spec.max_retries = max_retries;
  spec.start_ms = 5000;
  return spec;
}

// Every acknowledged (acks=all) batch is stored at its offset with its hash;
// stored offsets strictly grow; consumers saw offsets only grow and read
// what is stored.
void check_integrity(const Cluster& cluster, const Observed& seen,
                     const std::vector<TopicSpec>& topics, bool expect_no_duplicates) {
  std::map<std::tuple<std::string, int>, std::map<std::int64_t, std::uint64_t>> stored;
  for (const auto& topic : topics) {
    for (int p = 0; p < topic.partitions; ++p) {
      auto& by_offset = stored[{topic.name, p}];
      std::int64_t previous = -1;
      std::set<std::uint64_t> hashes;
      for (const auto& record : cluster.committed_records(topic.name, p)) {
        CHECK(record.offset > previous);
        previous = record.offset;
        by_offset[record.offset] = record.hash;
        if (expect_no_duplicates) CHECK(hashes.insert(record.hash).second);
      }
    }
  }
  REQUIRE(!seen.acks.empty());
  for (const auto& ack : seen.acks) {
    CAPTURE(ack.topic);
    CAPTURE(ack.partition);
    CAPTURE(ack.offset);
    const auto& by_offset = stored[{ack.topic, ack.partition}];
    const auto it = by_offset.find(ack.offset);
    REQUIRE(it != by_offset.end());
    CHECK(it->second == ack.hash);
  }
  for (const auto& [key, offsets] : seen.consumed_offsets) {
    for (std::size_t i = 1; i < offsets.size(); ++i) CHECK(offsets[i] > offsets[i - 1]);
  }
  for (const auto& [key, hash] : seen.consumed_hash) {
    const auto& by_offset = stored[{std::get<0>(key), std::get<1>(key)}];
    const auto it = by_offset.find(std::get<2>(key));
    REQUIRE(it != by_offset.end());
    CHECK(it->second == hash);
  }
  CHECK(seen.offset_regressions == 0);
}

TEST_CASE("3 nodes: acks=all producers and a consumer, every acknowledged batch read back") {
  Observed seen;  // before the World: its teardown may still trace
  sim::World world(world_config(7));
  observe(world, seen);
  ClusterConfig config;
  config.nodes = 3;
  config.topics = {{"orders", 2}};
  Cluster cluster(world, config);
  cluster.add_producer(producer("orders", 0));
  ConsumerSpec consumer;
  consumer.topic = "orders";
  consumer.start_ms = 5000;
  cluster.add_consumer(consumer);
  cluster.start();
  world.run_until(sim::seconds(12));

  CHECK(seen.node_started == 3);
  CHECK(seen.sync_failed == 0);
  CHECK(seen.sync_succeeded >= 2);  // one leader per partition at least
  CHECK(seen.acks.size() > 100);
  CHECK(seen.produce_failed == 0);
  check_integrity(cluster, seen, config.topics, /*expect_no_duplicates=*/true);
  // Every node hosts __meta; the metadata caches agree on the topic.
  for (int i = 0; i < 3; ++i) {
    const Node* node = cluster.node(i);
    REQUIRE(node != nullptr);
    REQUIRE(node->metadata().find_topic("orders") != nullptr);
    CHECK(node->metadata().find_topic("orders")->partitions.size() == 2);
  }
  std::size_t consumed = 0;
  for (const auto& [key, offsets] : seen.consumed_offsets) consumed += offsets.size();
  CHECK(consumed > 50);
}

}  // namespace
}  // namespace simrun::broker

namespace simrun::broker {
namespace {

BrokerConfig fast_elections(BrokerConfig config) {
  // A 50 ms heartbeat needs a tick finer than the recommended 100 ms; these
  // tests were tuned on the 10 ms tick (the startup race depends on it).
  config.tick_interval_ms = 10;
  config.election_timeout_ms = 300;
  config.heartbeat_interval_ms = 50;
  return config;
}

TEST_CASE("5 nodes with a crash/restart and a partition: no acknowledged batch lost") {
  Observed seen;  // before the World: its teardown may still trace
  sim::World world(world_config(11));
  observe(world, seen);
  ClusterConfig config;
  config.nodes = 5;
  config.broker = fast_elections(profile("recommended"));
  config.topics = {{"orders", 3}};
  Cluster cluster(world, config);
  ProducerSpec spec = producer("orders", 10);
  spec.start_ms = 2000;
  spec.stop_ms = 12000;
  cluster.add_producer(spec);
  ConsumerSpec consumer;
  consumer.topic = "orders";
  consumer.start_ms = 2000;
  cluster.add_consumer(consumer);
  cluster.start();
  world.run_until(sim::seconds(4));
  world.crash(cluster.node_process(0));
  world.run_until(sim::seconds(6));
  world.restart(cluster.node_process(0));
  world.network().isolate(cluster.node_process(1));
  world.run_until(sim::seconds(8));
  world.network().heal();
  world.run_until(sim::seconds(16));

  CHECK(seen.node_started == 6);  // five boots and one restart
  CHECK(seen.node_crashed == 1);
  CHECK(seen.acks.size() > 200);
  // Retries may store a batch twice (no idempotent producer), so duplicates
  // are allowed here; losses and offset reversals are not.
  check_integrity(cluster, seen, config.topics, /*expect_no_duplicates=*/false);
  // The restarted node rebuilt its replicas from its disk and caught up.
  const Node* restarted = cluster.node(0);
  REQUIRE(restarted != nullptr);
  for (int p = 0; p < 3; ++p) {
    const PartitionReplica* replica = restarted->replica("orders", p);
    if (replica == nullptr) continue;  // node 1 hosts only some partitions
    const auto records = cluster.committed_records("orders", p);
    REQUIRE(!records.empty());
    CHECK(replica->log->high_watermark() > 0);
  }
}

// Mechanism 8: node 3 starts 2 s late, after the partitions elected leaders
// among nodes 1 and 2, so their traffic reaches it before it has learned of
// the partitions from __meta.
void startup_race(bool buffer, Observed& seen, std::vector<std::int64_t>& node3_lag) {
  sim::World world(world_config(5));
  observe(world, seen);
  ClusterConfig config;
  config.nodes = 3;
  config.broker = fast_elections(profile("recommended"));
  config.broker.buffer_unknown_group_messages = buffer;
  config.topics = {{"events", 4}};
  config.startup_delays_ms = {0, 0, 2000};
  Cluster cluster(world, config);
  ProducerSpec spec = producer("events", 10);
  spec.start_ms = 1000;
  spec.stop_ms = 6000;
  cluster.add_producer(spec);
  cluster.start();
  world.run_until(sim::seconds(8));
  const Node* late = cluster.node(2);
  REQUIRE(late != nullptr);
  for (int p = 0; p < 4; ++p) {
    const auto records = cluster.committed_records("events", p);
    const PartitionReplica* replica = late->replica("events", p);
    REQUIRE(replica != nullptr);  // rf 3 on 3 nodes: node 3 hosts every partition
    const std::int64_t leader_watermark =
        records.empty() ? 0 : records.back().offset + 2;  // batches of 2 records
    node3_lag.push_back(leader_watermark - replica->log->high_watermark());
  }
}

TEST_CASE("startup race: buffering catches up without drops, legacy drop logs them") {
  Observed buffered;
  std::vector<std::int64_t> buffered_lag;
  startup_race(true, buffered, buffered_lag);
  CHECK(buffered.unknown_group_drops == 0);
  for (const std::int64_t lag : buffered_lag) CHECK(lag == 0);
  CHECK(!buffered.acks.empty());

  Observed dropped;
  std::vector<std::int64_t> dropped_lag;
  startup_race(false, dropped, dropped_lag);
  CHECK(dropped.unknown_group_drops > 0);
  // Raft resends, so the late node still converges after the drops.
  for (const std::int64_t lag : dropped_lag) CHECK(lag == 0);
}

}  // namespace
}  // namespace simrun::broker
