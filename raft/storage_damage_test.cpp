// Storage damage (issue 11): a node whose synced state was damaged comes back
// with RestoredState::needs_repair. Protocol-Aware Recovery (Alagappan et
// al., FAST 2018): it neither votes nor campaigns until a leader has repaired
// it; the leader re-probes a follower whose log went backwards from the
// follower's real last index, at a bounded rate.

#include <doctest/doctest.h>

#include "raft/raft.h"
#include "raft/test_network.h"

namespace simrun::raft {
namespace {

using testing::Network;

Network three_nodes(bool pre_vote = true) {
  return Network({1, 2, 3}, 1, [pre_vote](Config& c) {
    c.pre_vote = pre_vote;
    c.check_quorum = true;
  });
}

std::size_t count_appends_to(const std::deque<Message>& messages, NodeId to) {
  std::size_t count = 0;
  for (const Message& m : messages) count += m.type == MessageType::append && m.to == to ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("issue 11: a follower that lost acknowledged entries is re-probed and catches up") {
  Network net = three_nodes();
  net.campaign(1);
  REQUIRE(net.raft(1).role() == Role::leader);
  for (std::uint8_t i = 0; i < 10; ++i) testing::propose(net, 1, i);
  REQUIRE(net.raft(3).last_index() == 11);
  net.crash(3);
  // Node 3's log is cut at a corrupt record: it keeps 1..4 of the 11 it
  // acknowledged. The leader still believes match = 11.
  net.recover_damaged(3, 4, 11);
  CHECK(net.raft(3).repairing());
  CHECK(net.raft(3).last_index() == 4);
  testing::propose(net, 1, 42);
  net.tick_all(3);
  CHECK(net.count_events(EventKind::follower_log_regressed) == 1);
  CHECK(net.raft(3).last_index() == 12);
  CHECK(net.raft(3).commit_index() == 12);
  CHECK_FALSE(net.raft(3).repairing());
  CHECK(net.count_events(EventKind::storage_repaired) == 1);
  CHECK(net.raft(3).vote() == 1);  // the leader it caught up with
  // The leader's view went down to the real end, then back up.
  for (const ProgressView& view : net.raft(1).progress()) {
    if (view.id == 3) CHECK(view.match == 12);
  }
}

TEST_CASE("issue 11: a rejection that cannot move the probe waits for the heartbeat") {
  Network net = three_nodes();
  net.campaign(1);
  for (std::uint8_t i = 0; i < 5; ++i) testing::propose(net, 1, i);
  // Without the regression rule, a follower below match rejects every
  // append forever; without the bound, each rejection was answered by an
  // immediate resend. Count appends to node 3 per heartbeat round while it
  // rejects: at most a constant number per heartbeat, however long it lasts.
  net.crash(3);
  net.recover_damaged(3, 2, 6);
  std::size_t appends = 0;
  std::size_t rounds = 0;
  for (; rounds < 20 && net.raft(3).repairing(); ++rounds) {
    net.raft(1).tick();
    while (net.raft(1).has_ready()) {
      Ready rd = net.raft(1).ready();
      for (const Message& m : rd.messages) appends += m.type == MessageType::append && m.to == 3;
      net.node(1).storage.persist(rd);
      for (const Message& m : rd.messages) net.in_flight.push_back(m);
      net.raft(1).advance(rd);
    }
    net.stabilize();
  }
  CHECK_FALSE(net.raft(3).repairing());
  CHECK(rounds <= 3);
  CHECK(appends <= 4 * rounds);
  CHECK(count_appends_to(net.in_flight, 3) == 0);
}

TEST_CASE("issue 11: a repairing node neither votes nor campaigns") {
  Network net = three_nodes(/*pre_vote=*/false);
  net.campaign(1);
  for (std::uint8_t i = 0; i < 3; ++i) testing::propose(net, 1, i);
  net.crash(1);  // no leader to repair node 3
  net.crash(3);
  net.recover_damaged(3, 1, 4);
  net.events.clear();
  for (int i = 0; i < 60; ++i) net.tick_all();
  // Node 2 campaigns and cannot win: node 3 abstains, node 1 is down.
  CHECK(net.raft(3).role() == Role::follower);
  CHECK(net.leader() == kNoNode);
  bool abstained = false;
  for (const auto& [id, event] : net.events) {
    if (id == 3 && event.kind == EventKind::election_started) FAIL("node 3 campaigned");
    abstained = abstained || (id == 3 && event.kind == EventKind::vote_rejected &&
                              event.reason == "repairing damaged storage");
    if (id == 3) CHECK(event.kind != EventKind::vote_granted);
  }
  CHECK(abstained);
  // The old leader returns with its intact log; it wins (with node 2) and
  // repairs node 3, which then takes part in elections again.
  net.recover(1);
  for (int i = 0; i < 100 && net.leader() == kNoNode; ++i) net.tick_all();
  REQUIRE(net.leader() != kNoNode);
  net.tick_all(3);
  CHECK_FALSE(net.raft(3).repairing());
  CHECK(net.raft(3).last_index() == net.raft(net.leader()).last_index());
}

}  // namespace simrun::raft
