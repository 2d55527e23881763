// Unit tests of the Raft core, named after the paper section (or thesis
// section) whose rule they check. Multi-node behaviour runs on the in-memory
// network of raft/test_network.h.

#include "raft/raft.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "raft/test_network.h"

namespace simrun::raft {
namespace {

using testing::Network;

Config config_for(NodeId id, std::vector<NodeId> voters, bool pre_vote = false,
                  bool check_quorum = false) {
  Config config = testing::make_config(id, std::move(voters));
  config.pre_vote = pre_vote;
  config.check_quorum = check_quorum;
  return config;
}

// Drains a node's Ready (pretending to persist it) and returns its messages.
std::vector<Message> drain(Raft& raft) {
  if (!raft.has_ready()) return {};
  Ready rd = raft.ready();
  std::vector<Message> messages = rd.messages;
  raft.advance(rd);
  return messages;
}

std::vector<Event> drain_events(Raft& raft) {
  if (!raft.has_ready()) return {};
  Ready rd = raft.ready();
  std::vector<Event> events = rd.events;
  raft.advance(rd);
  return events;
}

bool has_event(const std::vector<Event>& events, EventKind kind, const std::string& reason = "") {
  for (const Event& e : events) {
    if (e.kind == kind && (reason.empty() || e.reason == reason)) return true;
  }
  return false;
}

Message vote_request(NodeId from, NodeId to, Term term, Index last_index, Term last_term,
                     bool pre = false) {
  Message m;
  m.type = pre ? MessageType::pre_vote_request : MessageType::vote_request;
  m.from = from;
  m.to = to;
  m.term = term;
  m.index = last_index;
  m.log_term = last_term;
  return m;
}

Message append(NodeId from, NodeId to, Term term, Index prev_index, Term prev_term,
               std::vector<Entry> entries, Index commit) {
  Message m;
  m.type = MessageType::append;
  m.from = from;
  m.to = to;
  m.term = term;
  m.index = prev_index;
  m.log_term = prev_term;
  m.entries = std::move(entries);
  m.commit = commit;
  return m;
}

Network make_network(std::vector<NodeId> ids, bool pre_vote, bool check_quorum,
                     std::uint64_t seed = 1) {
  return Network(std::move(ids), seed, [pre_vote, check_quorum](Config& c) {
    c.pre_vote = pre_vote;
    c.check_quorum = check_quorum;
  });
}

}  // namespace

TEST_SUITE("5.2 leader election") {
  TEST_CASE("5.2 a follower that times out starts an election") {
    Raft raft(config_for(1, {1, 2, 3}), {});
    for (int i = 0; i < 19 && raft.role() == Role::follower; ++i) raft.tick();
    CHECK(raft.role() == Role::candidate);
    CHECK(raft.term() == 1);
    CHECK(raft.vote() == 1);
    Ready rd = raft.ready();
    CHECK(rd.must_sync);
    CHECK(rd.hard_state == HardState{1, 1, 0});
    CHECK(rd.messages.size() == 2);
    for (const Message& m : rd.messages) {
      CHECK(m.type == MessageType::vote_request);
      CHECK(m.term == 1);
      CHECK(needs_durable_state(m));
    }
    CHECK(has_event(rd.events, EventKind::election_started));
  }

  TEST_CASE("5.2 the election timeout is randomized in [election, 2*election)") {
    std::set<int> seen;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
      Config config = config_for(1, {1, 2, 3});
      config.random_below = testing::make_random_below(seed);
      Raft raft(config, {});
      int ticks = 0;
      while (raft.role() == Role::follower && ticks < 100) {
        raft.tick();
        ++ticks;
      }
      CHECK(ticks >= 10);
      CHECK(ticks < 20);
      seen.insert(ticks);
    }
    CHECK(seen.size() > 3);  // actually random, not a constant
  }

  TEST_CASE("5.2 a candidate with a majority of votes becomes leader and appends a no-op") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    CHECK(net.raft(1).role() == Role::leader);
    CHECK(net.raft(1).term() == 1);
    CHECK(net.raft(2).leader() == 1);
    CHECK(net.raft(3).leader() == 1);
    // The no-op of section 5.4.2 is committed everywhere.
    for (const NodeId id : {1U, 2U, 3U}) {
      CHECK(net.raft(id).commit_index() == 1);
      REQUIRE(net.node(id).applied.size() == 1);
      CHECK(net.node(id).applied[0].data.empty());
      CHECK(net.node(id).applied[0].term == 1);
    }
    CHECK(net.count_events(EventKind::became_leader) == 1);
  }

  TEST_CASE("5.2 a node votes at most once per term") {
    Raft raft(config_for(1, {1, 2, 3}), {});
    raft.step(vote_request(2, 1, 1, 0, 0));
    CHECK(raft.vote() == 2);
    raft.step(vote_request(3, 1, 1, 0, 0));
    CHECK(raft.vote() == 2);
    const std::vector<Event> events = drain_events(raft);
    CHECK(has_event(events, EventKind::vote_granted));
    CHECK(has_event(events, EventKind::vote_rejected, "already voted for 2"));
  }

  TEST_CASE("5.2 a restarted node keeps its vote from the restored HardState") {
    RestoredState restored;
    restored.hard_state = HardState{5, 2, 0};
    Raft raft(config_for(1, {1, 2, 3}), restored);
    CHECK(raft.term() == 5);
    CHECK(raft.vote() == 2);
    raft.step(vote_request(3, 1, 5, 0, 0));
    Ready rd = raft.ready();
    REQUIRE(rd.messages.size() == 1);
    CHECK(rd.messages[0].type == MessageType::vote_response);
    CHECK(rd.messages[0].reject);
    CHECK(has_event(rd.events, EventKind::vote_rejected, "already voted for 2"));
    raft.advance(rd);
    // The same candidate asking again gets the vote again (idempotent).
    raft.step(vote_request(2, 1, 5, 0, 0));
    rd = raft.ready();
    REQUIRE(rd.messages.size() == 1);
    CHECK_FALSE(rd.messages[0].reject);
  }

  TEST_CASE("5.2 a candidate that hears from a leader of its term becomes follower") {
    Raft raft(config_for(1, {1, 2, 3}), {});
    raft.campaign();
    CHECK(raft.role() == Role::candidate);
    drain(raft);
    raft.step(append(2, 1, 1, 0, 0, {}, 0));
    CHECK(raft.role() == Role::follower);
    CHECK(raft.leader() == 2);
    CHECK(has_event(drain_events(raft), EventKind::stepped_down, "leader discovered"));
  }

  TEST_CASE("5.1 a leader that sees a higher term steps down") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    REQUIRE(net.raft(1).role() == Role::leader);
    Message m;
    m.type = MessageType::heartbeat_response;
    m.from = 2;
    m.to = 1;
    m.term = 7;
    net.raft(1).step(m);
    CHECK(net.raft(1).role() == Role::follower);
    CHECK(net.raft(1).term() == 7);
    CHECK(has_event(drain_events(net.raft(1)), EventKind::stepped_down, "higher term seen"));
  }

  TEST_CASE("5.2 split votes are resolved by randomized timeouts") {
    Network net = make_network({1, 2, 3, 4, 5}, false, false, 7);
    for (int i = 0; i < 200 && net.leader() == kNoNode; ++i) net.tick_all();
    const NodeId leader = net.leader();
    REQUIRE(leader != kNoNode);
    for (const NodeId id : net.ids()) CHECK(net.raft(id).leader() == leader);
  }

  TEST_CASE("5.2 a leader sends heartbeats every heartbeat interval") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    net.raft(1).tick();
    const std::vector<Message> messages = drain(net.raft(1));
    std::size_t heartbeats = 0;
    for (const Message& m : messages) {
      if (m.type == MessageType::heartbeat) ++heartbeats;
    }
    CHECK(heartbeats == 2);
  }
}

TEST_SUITE("5.2 persistence of term and vote") {
  TEST_CASE("5.2 a voter that crashes and restarts does not vote twice in a term") {
    Network net = make_network({1, 2, 3}, false, false);
    net.cut(1, 3);  // node 3 never hears of node 1's candidacy
    net.raft(1).campaign();
    net.stabilize();
    REQUIRE(net.raft(1).role() == Role::leader);
    REQUIRE(net.raft(2).vote() == 1);
    net.crash(2);
    net.recover(2);  // restarts from its Storage
    CHECK(net.raft(2).term() == 1);
    CHECK(net.raft(2).vote() == 1);
    // Node 3 asks node 2 for a vote in the same term 1 (as a candidate that
    // timed out at term 0 would) and is refused.
    net.raft(2).step(vote_request(3, 2, 1, 5, 1));
    const std::vector<Event> events = drain_events(net.raft(2));
    CHECK(has_event(events, EventKind::vote_rejected, "already voted for 1"));
    CHECK(net.raft(2).vote() == 1);
  }

  TEST_CASE("5.2 a whole group restarts from its storage and keeps its committed log") {
    Network net = make_network({1, 2, 3}, true, true);
    net.campaign(1);
    for (std::uint8_t i = 0; i < 5; ++i) testing::propose(net, 1, i);
    for (const NodeId id : {1U, 2U, 3U}) net.crash(id);
    for (const NodeId id : {1U, 2U, 3U}) {
      net.node(id).applied.clear();
      net.recover(id);
      CHECK(net.raft(id).last_index() == 6);
      CHECK(net.raft(id).term() == 1);
    }
    for (int i = 0; i < 100 && net.leader() == kNoNode; ++i) net.tick_all();
    const NodeId leader = net.leader();
    REQUIRE(leader != kNoNode);
    CHECK(net.raft(leader).term() == 2);
    testing::propose(net, leader, 77);
    for (const NodeId id : {1U, 2U, 3U}) {
      CHECK(net.raft(id).commit_index() == 8);
      REQUIRE(net.node(id).applied.size() == 8);  // everything re-applied, in order
      CHECK(net.node(id).applied[5].data == Bytes{4});
      CHECK(net.node(id).applied[7].data == Bytes{77});
    }
  }

  TEST_CASE("5.2 a restored log from a later term than the hard state raises the term") {
    RestoredState restored;
    restored.hard_state = HardState{0, 0, 0};  // storage that lost term and vote
    restored.entries = {Entry{3, 1, {}}};
    Raft raft(config_for(1, {1, 2, 3}), restored);
    CHECK(raft.term() == 3);
    CHECK(raft.vote() == kNoNode);
    Ready rd = raft.ready();
    CHECK(rd.hard_state_changed);
    CHECK(rd.must_sync);
  }
}

TEST_SUITE("5.4.1 election restriction") {
  TEST_CASE("5.4.1 a voter rejects a candidate whose log is less up to date") {
    RestoredState restored;
    restored.hard_state = HardState{2, 0, 0};
    restored.entries = {Entry{1, 1, {}}, Entry{2, 2, {}}};
    Raft raft(config_for(1, {1, 2, 3}), restored);
    // Same last term, shorter log.
    raft.step(vote_request(2, 1, 3, 1, 2));
    // Older last term, longer log.
    raft.step(vote_request(3, 1, 3, 5, 1));
    Ready rd = raft.ready();
    REQUIRE(rd.messages.size() == 2);
    CHECK(rd.messages[0].reject);
    CHECK(rd.messages[1].reject);
    CHECK(has_event(rd.events, EventKind::vote_rejected, "log not up to date"));
    CHECK(raft.vote() == kNoNode);
    CHECK(raft.term() == 3);
    raft.advance(rd);
    // Higher last term wins regardless of length.
    raft.step(vote_request(2, 1, 3, 1, 3));
    rd = raft.ready();
    REQUIRE(rd.messages.size() == 1);
    CHECK_FALSE(rd.messages[0].reject);
    CHECK(raft.vote() == 2);
  }

  TEST_CASE("5.4.1 a node with a stale log cannot become leader") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    net.isolate(3);
    testing::propose(net, 1, 7);
    net.heal();
    // Node 3 missed entry 2; it campaigns but nobody votes for it.
    net.raft(3).campaign();
    net.stabilize();
    CHECK(net.raft(3).role() != Role::leader);
    CHECK(net.count_events(EventKind::vote_rejected) >= 2);
  }
}

TEST_SUITE("5.3 log replication") {
  TEST_CASE("5.3 a proposal is replicated and committed on all nodes") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    const ProposeResult result = testing::propose(net, 1, 42);
    CHECK(result.status == ProposeResult::Status::accepted);
    CHECK(result.index == 2);
    for (const NodeId id : {1U, 2U, 3U}) {
      CHECK(net.raft(id).commit_index() == 2);
      REQUIRE(net.node(id).applied.size() == 2);
      CHECK(net.node(id).applied[1].data == Bytes{42});
    }
  }

  TEST_CASE("5.3 a follower rejects a proposal and names the leader") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    const ProposeResult result = net.raft(2).propose(Bytes{1});
    CHECK(result.status == ProposeResult::Status::not_leader);
    CHECK(result.leader_hint == 1);
  }

  TEST_CASE("5.3 the consistency check rejects an append whose previous entry does not match") {
    Raft raft(config_for(1, {1, 2, 3}), {});
    raft.step(append(2, 1, 1, 5, 1, {Entry{1, 6, {}}}, 0));
    Ready rd = raft.ready();
    REQUIRE(rd.messages.size() == 1);
    CHECK(rd.messages[0].type == MessageType::append_response);
    CHECK(rd.messages[0].reject);
    CHECK(rd.messages[0].index == 5);
    CHECK(rd.messages[0].reject_hint == 0);  // our log is empty
    CHECK(raft.last_index() == 0);
  }

  TEST_CASE("5.3 conflicting entries are truncated and replaced") {
    RestoredState restored;
    restored.hard_state = HardState{2, 0, 1};
    restored.entries = {Entry{1, 1, {}}, Entry{1, 2, {1}}, Entry{2, 3, {2}}};
    Raft raft(config_for(1, {1, 2, 3}), restored);
    raft.step(append(2, 1, 3, 1, 1, {Entry{3, 2, {9}}}, 1));
    CHECK(raft.last_index() == 2);
    CHECK(raft.term_at(2) == 3);
    Ready rd = raft.ready();
    REQUIRE(rd.entries.size() == 1);
    CHECK(rd.entries[0] == Entry{3, 2, {9}});
    REQUIRE(rd.messages.size() == 1);
    CHECK_FALSE(rd.messages[0].reject);
    CHECK(rd.messages[0].index == 2);
    bool truncated = false;
    for (const Event& e : rd.events) {
      if (e.kind == EventKind::log_truncated) {
        truncated = true;
        CHECK(e.index == 2);
      }
    }
    CHECK(truncated);
  }

  TEST_CASE("5.3 a lagging follower is brought up to date (fast back-off)") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    net.isolate(3);
    for (std::uint8_t i = 0; i < 50; ++i) testing::propose(net, 1, i);
    net.heal();
    net.tick_all(3);
    CHECK(net.raft(3).last_index() == net.raft(1).last_index());
    CHECK(net.raft(3).commit_index() == net.raft(1).commit_index());
  }

  TEST_CASE("5.3 a divergent follower log converges to the leader's") {
    // Node 1 leads term 1 and writes entries only it holds.
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    net.isolate(1);
    for (std::uint8_t i = 0; i < 5; ++i) testing::propose(net, 1, i);
    CHECK(net.raft(1).last_index() == 6);
    // Node 2 leads term 2 and commits different entries.
    net.campaign(2);
    REQUIRE(net.raft(2).role() == Role::leader);
    for (std::uint8_t i = 0; i < 3; ++i)
      testing::propose(net, 2, static_cast<std::uint8_t>(100 + i));
    net.heal();
    net.tick_all(5);
    CHECK(net.raft(1).role() == Role::follower);
    CHECK(net.raft(1).last_index() == net.raft(2).last_index());
    for (Index i = 1; i <= net.raft(2).last_index(); ++i) {
      CHECK(net.raft(1).term_at(i) == net.raft(2).term_at(i));
    }
    CHECK(net.count_events(EventKind::log_truncated) >= 1);
  }

  TEST_CASE("5.3 the inflight window bounds appends to a silent follower") {
    Network net(std::vector<NodeId>{1, 2, 3}, 1, [](Config& c) {
      c.pre_vote = false;
      c.check_quorum = false;
      c.max_inflight_messages = 4;
    });
    net.campaign(1);
    net.crash(2);
    net.crash(3);
    for (std::uint8_t i = 0; i < 20; ++i) net.raft(1).propose(Bytes{i});
    for (const ProgressView& p : net.raft(1).progress()) {
      if (p.id == 1) continue;
      CHECK(p.state == ProgressState::replicate);
      CHECK(p.inflight <= 4);
    }
  }
}

TEST_SUITE("5.4.2 commitment rules") {
  TEST_CASE("5.4.2 the leader counts itself only after advance()") {
    Raft raft(config_for(1, {1}), {});
    raft.campaign();
    REQUIRE(raft.role() == Role::leader);
    CHECK(raft.commit_index() == 0);  // the no-op is not durable yet
    Ready rd = raft.ready();
    CHECK(rd.entries.size() == 1);
    CHECK(rd.committed_entries.empty());
    raft.advance(rd);
    CHECK(raft.commit_index() == 1);
    rd = raft.ready();
    CHECK(rd.committed_entries.size() == 1);
    raft.advance(rd);
    CHECK(raft.applied_index() == 1);
  }

  TEST_CASE("5.4.2 Figure 8: an entry from an earlier term is not committed by counting replicas") {
    // Node 1 is leader of term 3 and holds an entry of term 2 at index 2
    // (left by a previous leader) that a majority stores.
    RestoredState restored;
    restored.hard_state = HardState{2, 1, 1};
    restored.entries = {Entry{1, 1, {}}, Entry{2, 2, {7}}};
    Raft leader(config_for(1, {1, 2, 3}), restored);
    leader.campaign();
    std::vector<Message> out = drain(leader);
    Message grant;
    grant.type = MessageType::vote_response;
    grant.from = 2;
    grant.to = 1;
    grant.term = 3;
    leader.step(grant);
    REQUIRE(leader.role() == Role::leader);
    REQUIRE(leader.term() == 3);
    REQUIRE(leader.last_index() == 3);  // the no-op of term 3
    Ready rd = leader.ready();          // do NOT advance yet: self is not durable
    // Follower 2 acknowledges index 2 (term 2) only: replicas of index 2 are
    // {1 (restored, durable), 2}, a majority, but index 2 is from term 2.
    Message ack;
    ack.type = MessageType::append_response;
    ack.from = 2;
    ack.to = 1;
    ack.term = 3;
    ack.index = 2;
    leader.step(ack);
    CHECK(leader.commit_index() == 1);
    leader.advance(rd);
    CHECK(leader.commit_index() == 1);
    // Once the term-3 no-op is on a majority, everything up to it commits.
    ack.index = 3;
    leader.step(ack);
    CHECK(leader.commit_index() == 3);
  }

  TEST_CASE("5.4.2 a follower learns the commit index from heartbeats") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    testing::propose(net, 1, 3);
    net.tick_all(2);
    for (const NodeId id : {2U, 3U}) CHECK(net.raft(id).commit_index() == 2);
  }
}

TEST_SUITE("9.6 pre-vote") {
  TEST_CASE("9.6 a pre-candidate does not raise its term") {
    Raft raft(config_for(1, {1, 2, 3}, true, false), {});
    raft.campaign();
    CHECK(raft.role() == Role::pre_candidate);
    CHECK(raft.term() == 0);
    Ready rd = raft.ready();
    CHECK_FALSE(rd.must_sync);
    REQUIRE(rd.messages.size() == 2);
    for (const Message& m : rd.messages) {
      CHECK(m.type == MessageType::pre_vote_request);
      CHECK(m.term == 1);
      CHECK_FALSE(needs_durable_state(m));
    }
    CHECK(has_event(rd.events, EventKind::pre_vote_started));
  }

  TEST_CASE("9.6 a pre-vote win leads to a real election") {
    Network net = make_network({1, 2, 3}, true, false);
    net.campaign(1);
    CHECK(net.raft(1).role() == Role::leader);
    CHECK(net.raft(1).term() == 1);
    CHECK(net.count_events(EventKind::pre_vote_started) == 1);
    CHECK(net.count_events(EventKind::election_started) == 1);
  }

  TEST_CASE("9.6 an isolated node does not raise its term and cannot disrupt the leader") {
    Network net = make_network({1, 2, 3}, true, false);
    net.campaign(1);
    net.isolate(3);
    net.tick_all(100);
    CHECK(net.raft(3).term() == 1);  // pre-votes never succeed, term unchanged
    net.heal();
    net.tick_all(5);
    CHECK(net.raft(1).role() == Role::leader);
    CHECK(net.raft(1).term() == 1);
    CHECK(net.raft(3).leader() == 1);
  }

  TEST_CASE("9.6 without pre-vote an isolated node raises its term and deposes the leader") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    net.isolate(3);
    net.tick_all(100);
    CHECK(net.raft(3).term() > 3);
    net.heal();
    net.tick_all(40);
    CHECK(net.raft(1).term() > 1);  // the leader of term 1 was deposed
  }

  TEST_CASE("9.6 a voter that heard from a leader recently rejects pre-votes (lease)") {
    Network net = make_network({1, 2, 3}, true, false);
    net.campaign(1);
    Raft& voter = net.raft(2);
    voter.step(vote_request(3, 2, 2, 1, 1, true));
    const std::vector<Event> events = drain_events(voter);
    CHECK(has_event(events, EventKind::vote_rejected, "leader lease"));
    CHECK(voter.term() == 1);
  }
}

TEST_SUITE("6.2 check-quorum") {
  TEST_CASE("6.2 a leader without a quorum steps down after an election timeout") {
    Network net = make_network({1, 2, 3}, false, true);
    net.campaign(1);
    net.isolate(1);
    for (int i = 0; i < 25 && net.raft(1).role() == Role::leader; ++i) net.tick(1), net.stabilize();
    CHECK(net.raft(1).role() == Role::follower);
    bool found = false;
    for (const auto& [id, e] : net.events) {
      if (id == 1 && e.kind == EventKind::stepped_down && e.reason == "check-quorum lost") {
        found = true;
      }
    }
    CHECK(found);
  }

  TEST_CASE("6.2 a leader that hears from its followers stays leader") {
    Network net = make_network({1, 2, 3}, false, true);
    net.campaign(1);
    net.tick_all(50);
    CHECK(net.raft(1).role() == Role::leader);
    CHECK(net.raft(1).term() == 1);
  }

  TEST_CASE("6.2 followers in a leader lease ignore vote requests") {
    Network net = make_network({1, 2, 3}, false, true);
    net.campaign(1);
    net.raft(2).step(vote_request(3, 2, 5, 10, 1));
    CHECK(net.raft(2).term() == 1);
    CHECK(has_event(drain_events(net.raft(2)), EventKind::vote_rejected, "leader lease"));
  }
}

TEST_SUITE("7 snapshots and log compaction") {
  TEST_CASE("7 compaction drops the prefix and a lagging follower gets a snapshot") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    net.isolate(3);
    for (std::uint8_t i = 0; i < 10; ++i) testing::propose(net, 1, i);
    Raft& leader = net.raft(1);
    const Index applied = leader.applied_index();
    REQUIRE(applied == 11);
    const Term term = *leader.term_at(applied);
    CHECK(net.node(1).storage.compact(applied, Bytes{0xAA}, {1, 2, 3}).meta.term == term);
    leader.compact(applied);
    CHECK(leader.first_index() == 12);
    CHECK(leader.term_at(5) == std::nullopt);
    CHECK(leader.entry_at(5) == nullptr);
    net.heal();
    net.tick_all(3);
    CHECK(net.node(3).applied_snapshots == 1);
    CHECK(net.node(3).storage.snapshot().data == Bytes{0xAA});  // read from the leader's storage
    CHECK(net.raft(3).commit_index() == 11);
    CHECK(net.raft(3).first_index() == 12);
    CHECK(net.count_events(EventKind::snapshot_installed) == 1);
    testing::propose(net, 1, 99);
    CHECK(net.raft(3).commit_index() == 12);
    REQUIRE(!net.node(3).applied.empty());
    CHECK(net.node(3).applied.back().data == Bytes{99});
  }

  TEST_CASE("7 restarting from a snapshot and entries restores the log") {
    RestoredState restored;
    restored.hard_state = HardState{4, 2, 12};
    restored.snapshot.meta = SnapshotMeta{10, 3, {1, 2, 3}};
    restored.snapshot.data = Bytes{1, 2, 3};
    restored.entries = {Entry{3, 11, {}}, Entry{4, 12, {5}}, Entry{4, 13, {6}}};
    Raft raft(config_for(1, {1, 2, 3}), restored);
    CHECK(raft.first_index() == 11);
    CHECK(raft.last_index() == 13);
    CHECK(raft.term_at(10) == 3);
    CHECK(raft.commit_index() == 12);
    CHECK(raft.applied_index() == 10);
    CHECK(raft.term() == 4);
    CHECK(raft.vote() == 2);
    Ready rd = raft.ready();
    CHECK(rd.entries.empty());  // already durable
    CHECK_FALSE(rd.hard_state_changed);
    REQUIRE(rd.committed_entries.size() == 2);  // re-applied after the image
    CHECK(rd.committed_entries[0].index == 11);
    raft.advance(rd);
    CHECK(raft.applied_index() == 12);
  }

  TEST_CASE("7 memory stays bounded when the application compacts") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    for (int round = 0; round < 200; ++round) {
      for (std::uint8_t i = 0; i < 10; ++i) testing::propose(net, 1, i);
      for (const NodeId id : {1U, 2U, 3U}) {
        Raft& raft = net.raft(id);
        const Index applied = raft.applied_index();
        const Term term = *raft.term_at(applied);
        CHECK(net.node(id).storage.compact(applied, Bytes{}, {1, 2, 3}).meta.term == term);
        raft.compact(applied);
        net.node(id).applied.clear();
      }
    }
    for (const NodeId id : {1U, 2U, 3U}) {
      CHECK(net.raft(id).last_index() - net.raft(id).first_index() + 1 < 16);
      CHECK(net.raft(id).commit_index() == 2001);
    }
  }
}

TEST_SUITE("7 snapshots, lost messages") {
  TEST_CASE("7 a lost snapshot is sent again after an election timeout") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    net.isolate(3);
    for (std::uint8_t i = 0; i < 5; ++i) testing::propose(net, 1, i);
    Raft& leader = net.raft(1);
    const Index applied = leader.applied_index();
    CHECK(net.node(1).storage.compact(applied, Bytes{1}, {1, 2, 3}).meta.term ==
          *leader.term_at(applied));
    leader.compact(applied);
    net.heal();
    int dropped = 0;
    net.drop_if = [&dropped](const Message& m) {
      if (m.type != MessageType::snapshot || dropped > 0) return false;
      ++dropped;
      return true;
    };
    net.tick_all(30);
    CHECK(dropped == 1);
    CHECK(leader.counters().snapshots_sent >= 2);
    CHECK(net.node(3).applied_snapshots == 1);
    CHECK(net.raft(3).commit_index() == leader.commit_index());
  }

  TEST_CASE("5.3 lost appends in replicate mode are recovered through heartbeats") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    net.drop_if = [](const Message& m) { return m.type == MessageType::append && m.to == 3; };
    for (std::uint8_t i = 0; i < 10; ++i) testing::propose(net, 1, i);
    CHECK(net.raft(3).last_index() == 1);
    net.drop_if = {};
    net.tick_all(5);
    CHECK(net.raft(3).last_index() == 11);
    CHECK(net.raft(3).commit_index() == 11);
  }
}

TEST_SUITE("3.10 leader transfer") {
  TEST_CASE("3.10 leadership moves to an up-to-date target") {
    Network net = make_network({1, 2, 3}, true, true);
    net.campaign(1);
    testing::propose(net, 1, 1);
    net.raft(1).transfer_leadership(2);
    CHECK(net.raft(1).transfer_target() == 2);
    net.stabilize();
    CHECK(net.raft(1).transfer_target() == kNoNode);
    CHECK(net.raft(2).role() == Role::leader);
    CHECK(net.raft(1).role() == Role::follower);
    CHECK(net.raft(1).leader() == 2);
    CHECK(net.count_events(EventKind::leader_transfer_started) == 1);
  }
}

TEST_SUITE("robustness") {
  TEST_CASE("malformed and misaddressed messages are ignored and counted") {
    Raft raft(config_for(1, {1, 2, 3}), {});
    Message m = append(2, 1, 1, 0, 0, {Entry{1, 5, {}}}, 0);  // index gap
    raft.step(m);
    m = append(9, 1, 1, 0, 0, {}, 0);  // not a member
    raft.step(m);
    m = append(2, 3, 1, 0, 0, {}, 0);  // not for us
    raft.step(m);
    m = append(2, 1, 1, 0, 0, {Entry{2, 1, {}}}, 0);  // entry from a future term
    raft.step(m);
    m.type = static_cast<MessageType>(200);
    raft.step(m);
    Message snapshot;
    snapshot.type = MessageType::snapshot;
    snapshot.from = 2;
    snapshot.to = 1;
    snapshot.term = 1;  // but no image
    raft.step(snapshot);
    CHECK(raft.counters().malformed_messages == 6);
    CHECK(raft.last_index() == 0);
    CHECK(raft.term() == 0);
  }

  TEST_CASE("stale-term messages are counted and answered so old leaders step down") {
    RestoredState restored;
    restored.hard_state = HardState{5, 0, 0};
    Raft raft(config_for(1, {1, 2, 3}, true, true), restored);
    raft.step(append(2, 1, 3, 0, 0, {}, 0));
    CHECK(raft.counters().stale_term_messages == 1);
    const std::vector<Message> out = drain(raft);
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == MessageType::append_response);
    CHECK(out[0].term == 5);
  }

  TEST_CASE("has_ready is false while a Ready is outstanding") {
    Raft raft(config_for(1, {1, 2, 3}), {});
    raft.campaign();
    REQUIRE(raft.has_ready());
    Ready rd = raft.ready();
    CHECK_FALSE(raft.has_ready());
    raft.advance(rd);
    CHECK_FALSE(raft.has_ready());
  }

  TEST_CASE("random message storms never crash and keep safety") {
    std::uint64_t seed = 99;
    Network net = make_network({1, 2, 3}, true, true);
    net.campaign(1);
    for (int i = 0; i < 20000; ++i) {
      Message m;
      m.type = static_cast<MessageType>(testing::splitmix64(seed) % 11);
      m.from = static_cast<NodeId>(testing::splitmix64(seed) % 5);
      m.to = static_cast<NodeId>(testing::splitmix64(seed) % 4);
      m.term = testing::splitmix64(seed) % 4;
      m.index = testing::splitmix64(seed) % 6;
      m.log_term = testing::splitmix64(seed) % 4;
      m.commit = testing::splitmix64(seed) % 8;
      m.reject = testing::splitmix64(seed) % 2 == 0;
      m.reject_hint = testing::splitmix64(seed) % 6;
      m.hint_term = testing::splitmix64(seed) % 3;
      const std::size_t count = testing::splitmix64(seed) % 3;
      for (std::size_t k = 0; k < count; ++k) {
        m.entries.push_back(Entry{testing::splitmix64(seed) % 4, m.index + 1 + k, {}});
      }
      if (m.type == MessageType::snapshot && testing::splitmix64(seed) % 2 == 0) {
        m.snapshot = Snapshot{SnapshotMeta{testing::splitmix64(seed) % 6, m.term, {1, 2, 3}}, {}};
      }
      const NodeId target = (i % 3) + 1U;
      m.to = testing::splitmix64(seed) % 5 == 0 ? m.to : target;
      net.raft(target).step(m);
      if (i % 7 == 0) net.tick(target);
      net.stabilize(200);
    }
    // Forged messages may build any log, so cross-node safety is not
    // checkable here; what matters is that every step kept each node's own
    // invariants (checked inside step()) and that nothing crashed.
    CHECK(net.raft(1).counters().malformed_messages > 0);
    CHECK(net.raft(1).counters().stale_term_messages + net.raft(2).counters().stale_term_messages >
          0);
  }
}

namespace {

// A cluster whose nodes persist asynchronously, as the broker's pipelined
// driver does: ready() hands the Ready to a "disk" that completes it in some
// later step, and meanwhile the node keeps ticking, stepping, proposing and
// sending what take_early_messages() returns. Messages are delivered in any
// order, dropped, and nodes crash (losing the Ready being persisted) and
// restart from what they made durable. Every choice comes from one seed.
class AsyncCluster {
 public:
  AsyncCluster(std::size_t size, std::uint64_t seed) : rng_(seed), seed_(seed) {
    for (std::size_t i = 1; i <= size; ++i) ids_.push_back(static_cast<NodeId>(i));
    for (const NodeId id : ids_) start(id);
  }

  std::uint64_t below(std::uint64_t bound) { return testing::splitmix64(rng_) % bound; }
  NodeId any_node() { return ids_[below(ids_.size())]; }
  Raft& raft(NodeId id) { return *nodes_.at(id).raft; }
  bool up(NodeId id) const { return nodes_.at(id).up; }
  bool persisting(NodeId id) const { return nodes_.at(id).persisting.has_value(); }
  const std::vector<NodeId>& ids() const { return ids_; }

  void start(NodeId id) {
    Node& n = nodes_[id];
    Config config = testing::make_config(id, ids_, seed_ * 131 + restarts_++);
    config.pre_vote = seed_ % 2 == 0;
    config.check_quorum = seed_ / 2 % 2 == 0;
    n.raft = std::make_unique<Raft>(config, n.storage.restored());
    n.up = true;
    n.persisting.reset();
    n.applied_through = n.storage.snapshot().meta.index;
  }
  void crash(NodeId id) {
    nodes_.at(id).up = false;
    nodes_.at(id).persisting.reset();  // the write in progress is lost
  }

  void send_early(NodeId id) {
    for (Message& m : raft(id).take_early_messages()) {
      REQUIRE_FALSE(needs_durable_state(m));
      ++early_messages;
      in_flight.push_back(std::move(m));
    }
  }
  // ready(): messages that need no durable state leave now (rule 2), the
  // rest wait for finish_ready().
  void begin_ready(NodeId id) {
    Node& n = nodes_.at(id);
    REQUIRE_FALSE(n.persisting.has_value());
    if (!n.raft->has_ready()) return;
    n.persisting = n.raft->ready();
    for (const Event& e : n.persisting->events) {
      if (e.kind != EventKind::became_leader) continue;
      // Election safety (5.2): one leader per term, ever.
      auto [it, inserted] = leader_of_term.emplace(e.term, id);
      CHECK(it->second == id);
    }
    for (const Message& m : n.persisting->messages) {
      if (!needs_durable_state(m)) in_flight.push_back(m);
    }
  }
  // The disk finished: persist, send the rest, apply, advance.
  void finish_ready(NodeId id) {
    Node& n = nodes_.at(id);
    REQUIRE(n.persisting.has_value());
    Ready rd = std::move(*n.persisting);
    n.persisting.reset();
    n.storage.persist(rd);
    for (Message& m : rd.messages) {
      if (needs_durable_state(m)) in_flight.push_back(std::move(m));
    }
    if (rd.snapshot.has_value()) n.applied_through = rd.snapshot->meta.index;
    for (const Entry& e : rd.committed_entries) {
      // Applied in index order, and every node applies the same entry at
      // each index (State Machine Safety, 5.4.3).
      CHECK(e.index == n.applied_through + 1);
      n.applied_through = e.index;
      auto [it, inserted] = committed.emplace(e.index, e);
      CHECK(it->second.term == e.term);
      CHECK(it->second.data == e.data);
    }
    n.raft->advance(rd);
  }

  void deliver(std::size_t at) {
    Message m = std::move(in_flight[at]);
    in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(at));
    if (up(m.to)) raft(m.to).step(m);
  }

  NodeId leader() {
    NodeId found = kNoNode;
    for (const NodeId id : ids_) {
      if (!up(id) || raft(id).role() != Role::leader) continue;
      if (found == kNoNode || raft(id).term() > raft(found).term()) found = id;
    }
    return found;
  }

  std::map<Term, NodeId> leader_of_term;
  std::map<Index, Entry> committed;  // first entry applied at each index
  std::vector<Message> in_flight;
  std::uint64_t early_messages = 0;

 private:
  struct Node {
    std::unique_ptr<Raft> raft;
    MemoryStorage storage;
    std::optional<Ready> persisting;
    Index applied_through = 0;
    bool up = true;
  };
  std::uint64_t rng_;
  std::uint64_t seed_;
  std::uint64_t restarts_ = 0;
  std::vector<NodeId> ids_;
  std::map<NodeId, Node> nodes_;
};

}  // namespace

TEST_SUITE("10.2.1 sending while persisting (take_early_messages)") {
  TEST_CASE("10.2.1 a leader's heartbeats leave while its Ready is outstanding") {
    Network net = make_network({1, 2, 3}, true, true);
    net.campaign(1);
    REQUIRE(net.raft(1).role() == Role::leader);
    Raft& leader = net.raft(1);
    REQUIRE(leader.propose(Bytes{42}).status == ProposeResult::Status::accepted);
    Ready rd = leader.ready();  // being persisted: a slow fsync
    REQUIRE(rd.entries.size() == 1);
    // The leader keeps ticking while its disk is busy.
    leader.tick();
    CHECK_FALSE(leader.has_ready());
    std::vector<Message> early = leader.take_early_messages();
    std::size_t heartbeats = 0;
    for (const Message& m : early) {
      CHECK_FALSE(needs_durable_state(m));
      if (m.type == MessageType::heartbeat) ++heartbeats;
    }
    CHECK(heartbeats == 2);
    CHECK(leader.take_early_messages().empty());  // removed, not copied
    // The followers answer at once (a heartbeat response needs no fsync),
    // and the leader steps the answers while still persisting.
    for (const Message& heartbeat : early) {
      if (heartbeat.type != MessageType::heartbeat) continue;
      Raft& follower = net.raft(heartbeat.to);
      follower.step(heartbeat);
      const std::vector<Message> answers = follower.take_early_messages();
      REQUIRE(answers.size() == 1);
      CHECK(answers[0].type == MessageType::heartbeat_response);
      leader.step(answers[0]);
    }
    CHECK(leader.role() == Role::leader);
    leader.advance(rd);
    net.stabilize();
    CHECK(net.raft(2).commit_index() == leader.last_index());
  }

  TEST_CASE("10.2.1 a follower's append_response is not returned early") {
    Raft follower(config_for(2, {1, 2, 3}), {});
    follower.step(append(1, 2, 1, 0, 0, {Entry{1, 1, {}}}, 0));
    CHECK(follower.take_early_messages().empty());
    Ready rd1 = follower.ready();
    REQUIRE(rd1.entries.size() == 1);
    REQUIRE(rd1.messages.size() == 1);
    CHECK(rd1.messages[0].type == MessageType::append_response);
    // While rd1 is persisted, more entries arrive: their acknowledgement
    // promises entries that only the next Ready persists.
    follower.step(append(1, 2, 1, 1, 1, {Entry{1, 2, {5}}}, 1));
    Message heartbeat;
    heartbeat.type = MessageType::heartbeat;
    heartbeat.from = 1;
    heartbeat.to = 2;
    heartbeat.term = 1;
    heartbeat.commit = 1;
    follower.step(heartbeat);
    const std::vector<Message> early = follower.take_early_messages();
    REQUIRE(early.size() == 1);
    CHECK(early[0].type == MessageType::heartbeat_response);
    // A vote needs durable state too.
    follower.step(vote_request(3, 2, 2, 2, 1));
    CHECK(follower.take_early_messages().empty());
    follower.advance(rd1);
    Ready rd2 = follower.ready();
    CHECK(rd2.entries.size() == 1);
    CHECK(rd2.hard_state.vote == 3);
    std::size_t durable = 0;
    for (const Message& m : rd2.messages) {
      CHECK(needs_durable_state(m));
      ++durable;
    }
    CHECK(durable == 2);  // the append_response and the vote_response, in order
    CHECK(rd2.messages.front().type == MessageType::append_response);
    CHECK(rd2.messages.back().type == MessageType::vote_response);
  }

  TEST_CASE("10.2.1 early appends do not let the leader count its own undurable entry") {
    Network net = make_network({1, 2, 3}, false, false);
    net.campaign(1);
    Raft& leader = net.raft(1);
    const Index before = leader.commit_index();
    REQUIRE(leader.propose(Bytes{7}).status == ProposeResult::Status::accepted);
    const Index index = leader.last_index();
    Ready rd = leader.ready();
    // Only follower 2 gets the append; it persists and acknowledges.
    for (const Message& m : rd.messages) {
      if (m.to != 2 || m.type != MessageType::append) continue;
      net.raft(2).step(m);
      for (const Message& answer : drain(net.raft(2))) leader.step(answer);
    }
    REQUIRE(leader.progress().size() == 3);
    // One replica of three is durable: no quorum yet, the leader's copy is
    // still being written.
    CHECK(leader.commit_index() == before);
    leader.advance(rd);
    CHECK(leader.commit_index() == index);
  }

  TEST_CASE("10.2.1 random interleavings of early sends, slow disks and crashes stay safe") {
    std::uint64_t total_early = 0;
    std::uint64_t total_commits = 0;
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
      CAPTURE(seed);
      AsyncCluster cluster(seed % 3 == 0 ? 5 : 3, seed);
      std::uint8_t next_byte = 1;
      for (int step = 0; step < 1500; ++step) {
        const NodeId id = cluster.any_node();
        const std::uint64_t action = cluster.below(100);
        if (!cluster.up(id)) {
          if (action < 10) cluster.start(id);
          continue;
        }
        if (action < 15) {
          cluster.raft(id).tick();
        } else if (action < 45) {
          if (!cluster.in_flight.empty()) cluster.deliver(cluster.below(cluster.in_flight.size()));
        } else if (action < 50) {
          if (!cluster.in_flight.empty()) {
            cluster.in_flight.erase(
                cluster.in_flight.begin() +
                static_cast<std::ptrdiff_t>(cluster.below(cluster.in_flight.size())));
          }
        } else if (action < 65) {
          cluster.send_early(id);
        } else if (action < 77) {
          if (!cluster.persisting(id)) cluster.begin_ready(id);
        } else if (action < 89) {
          if (cluster.persisting(id)) cluster.finish_ready(id);
        } else if (action < 98) {
          if (cluster.raft(id).role() == Role::leader)
            (void)cluster.raft(id).propose({next_byte++});
        } else {
          cluster.crash(id);
        }
        // Bound the network: the oldest messages are the ones lost.
        if (cluster.in_flight.size() > 256) cluster.in_flight.erase(cluster.in_flight.begin());
      }
      // Liveness phase: everyone up, FIFO delivery, every Ready finished.
      for (const NodeId id : cluster.ids()) {
        if (!cluster.up(id)) cluster.start(id);
      }
      // A proposal to a leader that is then deposed may be lost (Raft
      // promises nothing for it), so the leader of the latest term proposes.
      bool proposed = false;
      Index proposed_index = 0;
      Term proposed_term = 0;
      for (int round = 0; round < 400; ++round) {
        for (const NodeId id : cluster.ids()) {
          cluster.raft(id).tick();
          cluster.send_early(id);
          if (cluster.persisting(id)) cluster.finish_ready(id);
          cluster.begin_ready(id);
        }
        for (std::size_t n = cluster.in_flight.size(); n > 0 && !cluster.in_flight.empty(); --n) {
          cluster.deliver(0);
        }
        const NodeId leader = cluster.leader();
        if (leader != kNoNode && cluster.raft(leader).term() != proposed_term) {
          const ProposeResult result = cluster.raft(leader).propose({0});
          proposed = result.status == ProposeResult::Status::accepted;
          proposed_index = result.index;
          proposed_term = result.term;
        }
      }
      REQUIRE(proposed);
      REQUIRE(cluster.committed.count(proposed_index) == 1);
      CHECK(cluster.committed.at(proposed_index).term == proposed_term);
      for (const NodeId id : cluster.ids()) {
        CAPTURE(id);
        CHECK(cluster.raft(id).applied_index() >= proposed_index);
      }
      total_early += cluster.early_messages;
      total_commits += cluster.committed.size();
    }
    // The runs really exercised the mechanism.
    CHECK(total_early > 10000);
    CHECK(total_commits > 1000);
  }
}

}  // namespace simrun::raft
