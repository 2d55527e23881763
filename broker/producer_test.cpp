#include "broker/producer.h"

#include <doctest/doctest.h>

#include <set>

#include "broker/events.h"
#include "broker/fake_broker_for_tests.h"
#include "sim/world.h"

namespace simrun::broker {
namespace {

using testing::CapturedRecord;
using testing::FakeCluster;
using testing::of_kind;

struct Run {
  std::vector<CapturedRecord> records;
  FakeCluster cluster;
  std::uint64_t trace_hash = 0;
};

// One producer against three fake brokers for `seconds` of simulated time.
void run_producer_scenario(Run& run, const ProducerSpec& spec, std::uint64_t seed = 1,
                           std::function<void(FakeCluster&)> setup = {}) {
  sim::WorldConfig world_config;
  world_config.seed = seed;
  sim::World world(world_config);
  testing::capture_trace(world, run.records);
  run.cluster.topics["orders"].resize(2);
  if (setup) setup(run.cluster);
  ClientConfig client_config;
  client_config.bootstrap = testing::start_fake_brokers(world, run.cluster, 3);
  client_config.produce_timeout_ms = 200;
  client_config.produce_response_margin_ms = 50;
  const sim::ProcessId producer =
      world.add_process("producer-0", producer_process_main(client_config, spec, 0));
  world.start(producer);
  world.run_until(sim::seconds(30));
  run.trace_hash = world.trace().hash();
}

ProducerSpec small_spec() {
  ProducerSpec spec;
  spec.topic = "orders";
  spec.rate_per_second = 50;
  spec.batch_records = 3;
  spec.record_bytes = 20;
  spec.acks = -1;
  spec.max_retries = 3;
  spec.retry_backoff_ms = 20;
  spec.stop_ms = 2000;
  return spec;
}

TEST_CASE("producer batches are deterministic and distinct") {
  const RecordBatch a = make_producer_batch(0, 7, 3, 20, 5);
  CHECK(a == make_producer_batch(0, 7, 3, 20, 5));
  CHECK(a.records.size() == 3);
  CHECK(a.records[0].value.size() == 20);
  CHECK(a.content_hash() != make_producer_batch(0, 8, 3, 20, 5).content_hash());
  CHECK(a.content_hash() != make_producer_batch(1, 7, 3, 20, 5).content_hash());
}

TEST_CASE("producer batch contents are pinned (the trace's produce and consume hashes)") {
  // Values of the first implementation: a faster generator must produce
  // the same bytes, or every scenario's trace hash moves.
  CHECK(make_producer_batch(0, 7, 3, 20, 5).content_hash() == 13573044841046558402ULL);
  CHECK(make_producer_batch(2, 1ULL << 32, 1, 1024, 123456).content_hash() ==
        13236953659589143326ULL);
}

TEST_CASE("every batch is sent, acked once, at the offset and with the hash the broker stored") {
  Run run;
  run_producer_scenario(run, small_spec());
  const auto sent = of_kind(run.records, events::kProduceSent);
  const auto acked = of_kind(run.records, events::kProduceAcked);
  CHECK(of_kind(run.records, events::kProduceFailed).empty());
  // ~50/s for 2 s: Poisson, so a wide band, but far from 0 and from 1000.
  CHECK(sent.size() > 60);
  CHECK(sent.size() < 140);
  REQUIRE(acked.size() == sent.size());
  std::set<std::int64_t> sequences;
  for (const CapturedRecord& record : acked) {
    CHECK(record.text("client") == "producer-0");
    CHECK(record.text("topic") == "orders");
    CHECK(record.number("acks") == -1);
    CHECK(record.number("latency_ns") == sim::millis(2));
    sequences.insert(record.number("sequence"));
    const auto partition = static_cast<std::size_t>(record.number("partition"));
    CHECK(partition == static_cast<std::size_t>(record.number("sequence") % 2));
    // Find the stored batch at that offset: its hash must match.
    const auto& stored = run.cluster.topics["orders"][partition].batches;
    bool found = false;
    for (const auto& batch : stored) {
      auto decoded = decode_record_batch(batch);
      REQUIRE(decoded);
      if (decoded->base_offset == record.number("offset")) {
        found = true;
        CHECK(static_cast<std::int64_t>(decoded->content_hash()) == record.number("hash"));
        CHECK(decoded->records.size() == 3);
      }
    }
    CHECK(found);
  }
  CHECK(sequences.size() == acked.size());
}

TEST_CASE("not_leader with a hint: retried at the hinted leader, no failure") {
  Run run;
  run_producer_scenario(run, small_spec(), 1, [](FakeCluster& cluster) {
    cluster.topics["orders"][0].leader = 3;  // metadata still says node 1
  });
  const auto acked = of_kind(run.records, events::kProduceAcked);
  CHECK(of_kind(run.records, events::kProduceFailed).empty());
  CHECK(acked.size() == of_kind(run.records, events::kProduceSent).size());
  CHECK(run.cluster.topics["orders"][0].batches.size() > 10);
  // Only the first request to partition 0 went to the wrong node.
  CHECK(run.cluster.produce_requests == static_cast<int>(acked.size()) + 1);
}

TEST_CASE("retriable errors are retried max_retries times with back-off, then reported") {
  Run run;
  ProducerSpec spec = small_spec();
  spec.rate_per_second = 5;
  run_producer_scenario(run, spec, 3, [](FakeCluster& cluster) {
    cluster.produce_error = protocol::ErrorCode::request_timed_out;
  });
  const auto failed = of_kind(run.records, events::kProduceFailed);
  REQUIRE_FALSE(failed.empty());
  CHECK(of_kind(run.records, events::kProduceAcked).empty());
  for (const CapturedRecord& record : failed) {
    CHECK(record.text("error") == "request_timed_out");
    // 4 round trips of 2 ms and 3 back-offs of 20 ms, plus rate-limited
    // metadata refreshes (timeouts mark metadata stale): at least 68 ms.
    CHECK(record.number("latency_ns") >= sim::millis(68));
  }
  CHECK(run.cluster.produce_requests == static_cast<int>(failed.size()) * 4);
}

TEST_CASE("a non-retriable error fails at once") {
  Run run;
  ProducerSpec spec = small_spec();
  spec.rate_per_second = 5;
  run_producer_scenario(run, spec, 4, [](FakeCluster& cluster) {
    cluster.produce_error = protocol::ErrorCode::invalid_request;
  });
  const auto failed = of_kind(run.records, events::kProduceFailed);
  REQUIRE_FALSE(failed.empty());
  CHECK(run.cluster.produce_requests == static_cast<int>(failed.size()));
  CHECK(failed[0].text("error") == "invalid_request");
}

TEST_CASE("a dropped request times out on the client and is retried") {
  Run run;
  ProducerSpec spec = small_spec();
  spec.rate_per_second = 5;
  run_producer_scenario(run, spec, 5, [](FakeCluster& cluster) {
    cluster.drop_requests = 2;  // the first metadata and the first produce? any two
  });
  const auto acked = of_kind(run.records, events::kProduceAcked);
  CHECK(of_kind(run.records, events::kProduceFailed).empty());
  REQUIRE_FALSE(acked.empty());
  CHECK(acked.size() == of_kind(run.records, events::kProduceSent).size());
}

TEST_CASE("acks=0 is acknowledged on send with offset -1") {
  Run run;
  ProducerSpec spec = small_spec();
  spec.acks = 0;
  run_producer_scenario(run, spec);
  const auto acked = of_kind(run.records, events::kProduceAcked);
  REQUIRE_FALSE(acked.empty());
  for (const auto& record : acked) {
    CHECK(record.number("offset") == -1);
    CHECK(record.number("acks") == 0);
  }
  std::size_t stored = 0;
  for (const auto& partition : run.cluster.topics["orders"]) stored += partition.batches.size();
  CHECK(stored == acked.size());
}

TEST_CASE("same seed, same trace; another seed, another trace") {
  Run a;
  Run b;
  Run c;
  run_producer_scenario(a, small_spec(), 11);
  run_producer_scenario(b, small_spec(), 11);
  run_producer_scenario(c, small_spec(), 12);
  CHECK(a.trace_hash == b.trace_hash);
  CHECK(a.records.size() == b.records.size());
  CHECK(a.trace_hash != c.trace_hash);
}

}  // namespace
}  // namespace simrun::broker

namespace simrun::broker {
namespace {

TEST_CASE("encode_producer_batch is encode_record_batch of make_producer_batch") {
  for (int record_bytes : {0, 5, 8, 20, 1024}) {
    CHECK(encode_producer_batch(3, 99, 2, record_bytes, 77) ==
          encode_record_batch(make_producer_batch(3, 99, 2, record_bytes, 77)));
  }
}

}  // namespace
}  // namespace simrun::broker
