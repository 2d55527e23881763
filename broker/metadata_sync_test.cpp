#include "broker/metadata_sync.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "broker/events.h"
#include "broker/frame.h"
#include "broker/node.h"
#include "sim/world.h"

namespace simrun::broker {
namespace {

TEST_CASE("retry delays: listed delays, the last repeating, jitter within bounds") {
  sim::Rng rng(1);
  RetryPolicy policy{8, {100, 200, 400}, 1000, 0.0};
  CHECK(retry_delay(policy, 1, rng) == sim::millis(100));
  CHECK(retry_delay(policy, 3, rng) == sim::millis(400));
  CHECK(retry_delay(policy, 7, rng) == sim::millis(400));
  policy.delays_ms.clear();
  CHECK(retry_delay(policy, 1, rng) == 0);
  policy = RetryPolicy{8, {1000}, 1000, 0.2};
  for (int i = 0; i < 100; ++i) {
    const auto delay = retry_delay(policy, 1, rng);
    CHECK(delay >= sim::millis(800));
    CHECK(delay <= sim::millis(1200));
  }
}

TEST_CASE("forward frames round-trip; garbage is refused") {
  const MetaWriter::Forward forward{42, sim::millis(5), {1, 2, 3}};
  const auto decoded = MetaWriter::decode_forward(MetaWriter::encode_forward(forward));
  REQUIRE(decoded.has_value());
  CHECK(decoded->request_id == 42);
  CHECK(decoded->timeout_ns == sim::millis(5));
  CHECK(decoded->command == wire::Bytes{1, 2, 3});
  const MetaWriter::Reply reply{7, 2, 3, "nope"};
  const auto back = MetaWriter::decode_reply(MetaWriter::encode_reply(reply));
  REQUIRE(back.has_value());
  CHECK(back->error == "nope");
  CHECK(back->leader_hint == 3);
  auto bytes = MetaWriter::encode_reply(reply);
  bytes.pop_back();
  CHECK_FALSE(MetaWriter::decode_reply(bytes).has_value());
  CHECK_FALSE(MetaWriter::decode_forward(MetaWriter::encode_reply(reply)).has_value());
}

struct SyncCounts {
  int attempts = 0;
  int retries = 0;
  int succeeded = 0;
  int failed = 0;
  std::string error;
};

// __meta has no leader when the sync starts: node 1 runs the sync at once,
// nodes 2 and 3 (real broker nodes) start 500 ms later and elect one.
SyncCounts sync_without_meta_leader(const RetryPolicy& policy) {
  // Declared before the World: its teardown unwinds fibers that use them.
  SyncCounts counts;
  BrokerConfig config = profile("recommended");
  config.election_timeout_ms = 300;
  config.heartbeat_interval_ms = 50;
  config.metadata_retry = policy;
  const std::vector<sim::ProcessId> processes{0, 1, 2};
  sim::WorldConfig world_config;
  world_config.seed = 3;
  sim::World world(world_config);
  world.trace().add_observer([&counts](const sim::TraceRecord& record) {
    if (record.kind == events::kMetaSyncAttempt) ++counts.attempts;
    if (record.kind == events::kMetaSyncRetry) ++counts.retries;
    if (record.kind == events::kMetaSyncSucceeded) ++counts.succeeded;
    if (record.kind == events::kMetaSyncFailed) {
      ++counts.failed;
      counts.error = std::string(record.text("error"));
    }
  });
  // Node 1: a bare __meta replica with a MetaWriter, running one sync.
  const sim::ProcessId first = world.add_process("n1", [&](sim::Env& env) {
    Transport transport(env, 1, processes, config);
    MetadataStateMachine state(true);
    RaftGroup meta(env, 1, GroupSpec{"__meta", {1, 2, 3}}, config, state, transport);
    MetaWriter writer(env, 1, processes, meta);
    meta.start();
    env.spawn("dispatcher", [&] {
      for (;;) {
        const sim::Envelope envelope = env.inbox().receive();
        if (envelope.reset) {
          transport.receive_reset(envelope);
          writer.on_reset(envelope.from);
          continue;
        }
        if (envelope.payload.empty()) continue;
        const auto kind = static_cast<FrameKind>(envelope.payload[0]);
        if (kind == FrameKind::raft_message) {
          auto incoming = transport.receive_message(envelope);
          if (incoming && incoming->group == "__meta") meta.deliver(std::move(incoming->message));
        } else if (kind == FrameKind::raft_ack) {
          transport.receive_ack(envelope);
        } else if (kind == FrameKind::meta_forward_reply) {
          writer.on_reply(envelope);
        } else if (kind == FrameKind::meta_forward) {
          writer.serve(envelope);
        }
      }
    });
    (void)run_assignment_sync(env, writer, config.metadata_retry, 1,
                              MetaCommand::set_assignment("orders", 0, 1, 1));
    for (;;) env.sleep(sim::seconds(1));  // keep the node's objects alive
  });
  REQUIRE(first == 0);
  for (raft::NodeId id = 2; id <= 3; ++id) {
    std::string name = "n";
    name += std::to_string(id);
    world.add_process(name, node_process_main(NodeOptions{id, processes, config},
                                              std::make_shared<Node*>(nullptr)));
  }
  world.start(0);
  world.loop().schedule_at(sim::millis(500), [&world] {
    world.start(1);
    world.start(2);
  });
  world.run_until(sim::seconds(10));
  return counts;
}

TEST_CASE("metadata sync with no __meta leader: one attempt fails, the retry policy succeeds") {
  // v1.3.67: a single attempt, "No leader elected yet".
  const SyncCounts legacy = sync_without_meta_leader(profile("v1.3.67").metadata_retry);
  CHECK(legacy.attempts == 1);
  CHECK(legacy.retries == 0);
  CHECK(legacy.succeeded == 0);
  CHECK(legacy.failed == 1);
  CHECK(legacy.error == kNoLeaderError);

  // Recommended: retried with back-off until __meta has a leader.
  const SyncCounts recommended = sync_without_meta_leader(RetryPolicy{});
  CHECK(recommended.failed == 0);
  CHECK(recommended.succeeded == 1);
  CHECK(recommended.attempts > 1);
  CHECK(recommended.retries == recommended.attempts - 1);
}

}  // namespace
}  // namespace simrun::broker
