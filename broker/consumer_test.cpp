#include "broker/consumer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "broker/events.h"
#include "broker/fake_broker_for_tests.h"
#include "broker/producer.h"
#include "sim/world.h"

namespace simrun::broker {
namespace {

using testing::CapturedRecord;
using testing::FakeCluster;
using testing::of_kind;

struct Run {
  std::vector<CapturedRecord> records;
  FakeCluster cluster;
};

// Fills both partitions of "orders" with `batches` batches each, then runs a
// consumer for 3 s while a producer keeps appending for the first second.
void run_consumer_scenario(Run& run, int batches, std::function<void(FakeCluster&)> setup = {},
                           std::function<void(FakeCluster&)> at_1500ms = {},
                           int max_in_flight = 1) {
  sim::time_ns consumer_stop = sim::seconds(3);  // not const: captured below
  sim::World world(sim::WorldConfig{});
  testing::capture_trace(world, run.records);
  run.cluster.topics["orders"].resize(2);
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < batches; ++i) {
      (void)run.cluster.append(
          "orders", p,
          encode_record_batch(make_producer_batch(9, static_cast<std::uint64_t>(i), 2, 8, 0)));
    }
  }
  if (setup) setup(run.cluster);
  ClientConfig client_config;
  client_config.bootstrap = testing::start_fake_brokers(world, run.cluster, 3);
  // Designated initializers: assigning literals to the strings trips gcc 12's
  // false -Wrestrict at -O3.
  const ConsumerSpec spec{
      .topic = "orders", .group_id = "g", .poll_interval_ms = 20, .max_in_flight = max_in_flight};
  const sim::ProcessId consumer =
      world.add_process("consumer-0", [client_config, spec, consumer_stop](sim::Env& env) {
        Client client(env, client_config);
        client.start();
        run_consumer(env, client, spec, 0, consumer_stop);
      });
  ProducerSpec producer_spec;
  producer_spec.topic = "orders";
  producer_spec.rate_per_second = 40;
  producer_spec.batch_records = 2;
  producer_spec.stop_ms = 1000;
  const sim::ProcessId producer =
      world.add_process("producer-0", producer_process_main(client_config, producer_spec, 0));
  world.start(consumer);
  world.start(producer);
  if (at_1500ms) {
    world.loop().schedule_at(sim::millis(1500), [&run, at_1500ms] { at_1500ms(run.cluster); });
  }
  world.run_until(sim::seconds(5));
}

TEST_CASE("the consumer reads every batch once, from the committed offset, in order") {
  Run run;
  run_consumer_scenario(run, 5, [](FakeCluster& cluster) {
    cluster.committed[{"g", "orders", 1}] = 4;  // batches 0 and 1 already read
  });
  CHECK(of_kind(run.records, kConsumeOffsetRegression).empty());
  std::map<std::int64_t, std::int64_t> acked_hash_by_key;  // partition*1e9 + offset
  for (const auto& record : of_kind(run.records, events::kProduceAcked)) {
    acked_hash_by_key[record.number("partition") * 1'000'000'000 + record.number("offset")] =
        record.number("hash");
  }
  REQUIRE(acked_hash_by_key.size() > 20);
  std::map<std::int64_t, std::vector<std::int64_t>> offsets;  // by partition
  for (const auto& record : of_kind(run.records, events::kConsumeRecord)) {
    CHECK(record.text("client") == "consumer-0");
    const std::int64_t partition = record.number("partition");
    const std::int64_t offset = record.number("offset");
    offsets[partition].push_back(offset);
    auto it = acked_hash_by_key.find(partition * 1'000'000'000 + offset);
    if (it != acked_hash_by_key.end()) CHECK(it->second == record.number("hash"));
  }
  // Every stored batch of each partition, from the start position, in order.
  for (std::int64_t p = 0; p < 2; ++p) {
    const auto& stored = run.cluster.topics["orders"][static_cast<std::size_t>(p)];
    std::vector<std::int64_t> expected;
    for (const auto& batch : stored.batches) {
      const std::int64_t base = decode_record_batch(batch)->base_offset;
      if (p == 1 && base < 4) continue;
      expected.push_back(base);
    }
    CHECK(offsets[p] == expected);
    CHECK(stored.next_offset > 10);
  }
  // Commits only move forward and end at the high watermark.
  std::map<std::int64_t, std::int64_t> last_commit;
  for (const auto& record : of_kind(run.records, events::kOffsetCommit)) {
    CHECK(record.text("group_id") == "g");
    const std::int64_t p = record.number("partition");
    CHECK(record.number("offset") > last_commit[p]);
    last_commit[p] = record.number("offset");
  }
  for (std::int64_t p = 0; p < 2; ++p) {
    const auto& stored = run.cluster.topics["orders"][static_cast<std::size_t>(p)];
    CHECK(last_commit[p] == stored.next_offset);
    CHECK(run.cluster.committed[{"g", "orders", static_cast<std::int32_t>(p)}] ==
          stored.next_offset);
  }
}

TEST_CASE("max_in_flight fetches partitions at once, each read once and in order") {
  Run sequential;
  run_consumer_scenario(sequential, 5, {}, {}, 1);
  Run parallel;
  run_consumer_scenario(parallel, 5, {}, {}, 2);
  auto offsets_by_partition = [](const Run& run) {
    std::map<std::int64_t, std::vector<std::int64_t>> offsets;
    for (const auto& record : of_kind(run.records, events::kConsumeRecord)) {
      offsets[record.number("partition")].push_back(record.number("offset"));
    }
    return offsets;
  };
  const auto read = offsets_by_partition(parallel);
  REQUIRE(read.size() == 2);
  for (const auto& [partition, offsets] : read) {
    CHECK(std::is_sorted(offsets.begin(), offsets.end()));
    CHECK(std::adjacent_find(offsets.begin(), offsets.end()) == offsets.end());
    const auto& stored = parallel.cluster.topics["orders"][static_cast<std::size_t>(partition)];
    CHECK(offsets.size() == stored.batches.size());
  }
  CHECK(of_kind(parallel.records, kConsumeOffsetRegression).empty());
  // Partition 1's first read no longer waits for partition 0's fetch.
  auto first_read_ns = [](const Run& run, std::int64_t partition) {
    for (const auto& record : of_kind(run.records, events::kConsumeRecord)) {
      if (record.number("partition") == partition) return record.time;
    }
    return sim::kTimeMax;
  };
  CHECK(first_read_ns(parallel, 1) < first_read_ns(sequential, 1));
}

TEST_CASE("a lost offset commit is traced as an offset regression, not an abort") {
  Run run;
  run_consumer_scenario(run, 3, [](FakeCluster& cluster) { cluster.lose_commits = true; });
  const auto regressions = of_kind(run.records, kConsumeOffsetRegression);
  REQUIRE_FALSE(regressions.empty());
  for (const auto& record : regressions) {
    CHECK(record.text("kind") == "committed");
    CHECK(record.number("offset") == -1);
    CHECK(record.number("previous") > 0);
    CHECK(record.text("group_id") == "g");
  }
  // Consumption itself still went forward.
  CHECK_FALSE(of_kind(run.records, events::kConsumeRecord).empty());
}

TEST_CASE("every fetch is traced with the high watermark seen before: a shrinking one shows") {
  Run run;
  run_consumer_scenario(run, 4, {}, [](FakeCluster& cluster) {
    auto& partition = cluster.topics["orders"][0];
    partition.batches.resize(2);  // the log loses everything after offset 3
    partition.next_offset = 4;
  });
  const auto fetches = of_kind(run.records, events::kConsumeFetch);
  REQUIRE_FALSE(fetches.empty());
  std::vector<testing::CapturedRecord> shrinking;
  for (const auto& record : fetches) {
    CHECK(record.number("previous") >= -1);
    if (record.number("high_watermark") < record.number("previous")) shrinking.push_back(record);
  }
  REQUIRE_FALSE(shrinking.empty());
  CHECK(shrinking[0].number("partition") == 0);
  CHECK(shrinking[0].number("high_watermark") == 4);
  CHECK(shrinking[0].number("previous") > 4);
  // The comparison is the checker's (tools/simrun/data_checker.h), not a
  // regression record of the consumer's.
  CHECK(of_kind(run.records, kConsumeOffsetRegression).empty());
}

}  // namespace
}  // namespace simrun::broker
