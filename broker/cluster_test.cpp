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
  sim::World world(world_config(7));
  Observed seen;
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
