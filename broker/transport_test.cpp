#include "broker/transport.h"

#include <doctest/doctest.h>

#include "broker/group_testing.h"

namespace simrun::broker {
namespace {

raft::Message heartbeat(raft::NodeId from, raft::NodeId to) {
  raft::Message message;
  message.type = raft::MessageType::heartbeat;
  message.from = from;
  message.to = to;
  message.term = 4;
  message.commit = 9;
  return message;
}

TEST_CASE("frames round-trip; malformed frames are refused, not trusted") {
  const raft::Message message = heartbeat(1, 2);
  const sim::Bytes frame = Transport::encode_message_frame("orders/3", 77, message);
  CHECK(frame[0] == static_cast<std::uint8_t>(FrameKind::raft_message));
  const auto decoded = Transport::decode_message_frame(frame);
  REQUIRE(decoded.has_value());
  CHECK(decoded->group == "orders/3");
  CHECK(decoded->sequence == 77);
  CHECK(decoded->message == message);
  for (std::size_t cut = 0; cut < frame.size(); ++cut) {
    CHECK_FALSE(Transport::decode_message_frame(
                    sim::Bytes(frame.begin(), frame.begin() + static_cast<long>(cut)))
                    .has_value());
  }
  CHECK(Transport::decode_ack_frame(Transport::encode_ack_frame(5)) == 5u);
  CHECK_FALSE(Transport::decode_ack_frame(sim::Bytes{2, 1}).has_value());
}

// Three scripted nodes (no RaftGroup): node 1 makes blocking RPCs over
// connections (sim/connection.h).
TEST_CASE("blocking RPC: a crashed peer's reset fails it at once, as gRPC does") {
  BrokerConfig config;  // connect 5 s, request 30 s
  testing::GroupCluster cluster(config, 3, {}, {true, true, true});
  std::vector<std::pair<bool, sim::duration_ns>> calls;
  auto call = [&](raft::NodeId to) {
    Transport& transport = *cluster.transport(1);
    const sim::time_ns start = cluster.world().local_now(cluster.process(1));
    const bool acked = transport.send_blocking(testing::GroupCluster::kGroup, heartbeat(1, to));
    calls.emplace_back(acked, cluster.world().local_now(cluster.process(1)) - start);
  };
  cluster.spawn_on(1, [&] {
    call(2);
    call(2);
  });
  cluster.run_for(sim::seconds(1));
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].first);
  CHECK(calls[0].second == sim::millis(4));  // handshake 2 ms, then 1 ms there, 1 ms back
  CHECK(calls[1].first);
  CHECK(calls[1].second == sim::millis(2));  // on the open connection
  CHECK_FALSE(cluster.transport(1)->peer_disconnected(2));

  cluster.world().crash(cluster.process(3));
  cluster.spawn_on(1, [&] {
    call(3);
    call(3);
    call(2);
  });
  cluster.run_for(sim::seconds(60));
  REQUIRE(calls.size() == 5);
  // The crashed process's host answers the SYN with a reset: one round trip,
  // not the legacy 30 s request timeout.
  CHECK_FALSE(calls[2].first);
  CHECK(calls[2].second == sim::millis(2));
  CHECK_FALSE(calls[3].first);
  CHECK(calls[3].second == sim::millis(2));
  CHECK(calls[4].first);
  CHECK(cluster.transport(1)->peer_disconnected(3));
  CHECK(cluster.transport(1)->stats().rpc_resets == 2);
  CHECK(cluster.transport(1)->stats().rpc_timeouts == 0);
}

TEST_CASE("blocking RPC: unreachable costs the connect timeout; a partition holds an open call") {
  BrokerConfig config;  // connect 5 s, request 30 s
  testing::GroupCluster cluster(config, 3, {}, {true, true, true});
  std::vector<std::pair<bool, sim::duration_ns>> calls;
  auto call = [&](raft::NodeId to) {
    Transport& transport = *cluster.transport(1);
    const sim::time_ns start = cluster.world().local_now(cluster.process(1));
    const bool acked = transport.send_blocking(testing::GroupCluster::kGroup, heartbeat(1, to));
    calls.emplace_back(acked, cluster.world().local_now(cluster.process(1)) - start);
  };
  cluster.spawn_on(1, [&] { call(2); });
  cluster.run_for(sim::seconds(1));
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].first);
  // 1 is cut from 2 and 3 for 40 s: to 3 (no connection yet) the connect
  // times out after 5 s; to 2 (connection open) the call waits its 30 s
  // request timeout while TCP retransmits.
  cluster.world().network().partition(
      {{cluster.process(1)}, {cluster.process(2), cluster.process(3)}});
  cluster.spawn_on(1, [&] {
    call(3);
    call(2);
  });
  cluster.run_for(sim::seconds(40));
  REQUIRE(calls.size() == 3);
  CHECK_FALSE(calls[1].first);
  CHECK(calls[1].second == sim::seconds(5));
  CHECK_FALSE(calls[2].first);
  CHECK(calls[2].second == sim::seconds(30));
  CHECK(cluster.transport(1)->stats().rpc_resets == 1);
  CHECK(cluster.transport(1)->stats().rpc_timeouts == 1);
  // After the heal the held heartbeat is retransmitted and delivered: data
  // on a connection is delayed, never lost.
  cluster.world().network().heal();
  cluster.run_for(sim::seconds(130));
  CHECK(cluster.scripted_inbox.size() == 2);
}

TEST_CASE("async sends ask for no ack") {
  testing::GroupCluster cluster(BrokerConfig{}, 2, {}, {true, true});
  cluster.spawn_on(1, [&] { cluster.transport(1)->send_async("g", heartbeat(1, 2)); });
  cluster.run_for(sim::seconds(1));
  REQUIRE(cluster.scripted_inbox.size() == 1);
  CHECK(cluster.transport(2)->stats().acks_sent == 0);
  CHECK(cluster.transport(1)->stats().sent_async == 1);
}

}  // namespace
}  // namespace simrun::broker
