#include "broker/node.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/cluster.h"
#include "broker/protocol.h"
#include "broker/trace_capture_for_tests.h"
#include "sim/connection.h"
#include "sim/world.h"

namespace simrun::broker {
namespace {

sim::WorldConfig world_config() {
  sim::WorldConfig config;
  config.seed = 11;
  config.default_link.latency =
      sim::DurationDistribution::uniform(sim::micros(500), sim::millis(2));
  return config;
}

ClusterConfig three_nodes() {
  ClusterConfig config;
  config.nodes = 3;
  config.topics.push_back(TopicSpec{"orders", 2});
  return config;
}

// How many live nodes believe they lead `group`.
int leaders_of(const Cluster& cluster, std::string_view group) {
  int leaders = 0;
  for (int i = 0; i < cluster.node_count(); ++i) {
    const Node* node = cluster.node(i);
    if (node == nullptr) continue;
    const RaftGroup* replica = node->group(group);
    if (replica != nullptr && replica->is_leader()) ++leaders;
  }
  return leaders;
}

// The node index (0-based) whose live node leads `group`, or -1.
int leader_index(const Cluster& cluster, std::string_view group) {
  for (int i = 0; i < cluster.node_count(); ++i) {
    const Node* node = cluster.node(i);
    if (node != nullptr && node->group(group) != nullptr && node->group(group)->is_leader()) {
      return i;
    }
  }
  return -1;
}

std::vector<testing::CapturedRecord> records_of(const std::vector<testing::CapturedRecord>& all,
                                                std::string_view kind, sim::time_ns from = 0) {
  std::vector<testing::CapturedRecord> found;
  for (const auto& record : all) {
    if (record.kind == kind && record.time >= from) found.push_back(record);
  }
  return found;
}

}  // namespace

TEST_CASE("a controlled shutdown hands each led group to its most caught-up follower, then stops") {
  sim::World world(world_config());
  std::vector<testing::CapturedRecord> trace;
  testing::capture_trace(world, trace);
  Cluster cluster(world, three_nodes());
  cluster.start();
  world.run_until(sim::seconds(8));
  const int leader = leader_index(cluster, kMetaGroupName);
  REQUIRE(leader >= 0);
  const Node* stopping = cluster.node(leader);
  const auto chosen = stopping->meta_group().transfer_candidate();
  REQUIRE(chosen.has_value());
  const raft::Term term_before = stopping->meta_group().term();
  // The choice: highest match, ties to the lowest id, never this node.
  for (const raft::ProgressView& view : stopping->meta_group().raft().progress()) {
    if (view.id == stopping->id()) continue;
    CHECK(view.match <= chosen->match);
    if (view.match == chosen->match) CHECK(view.id >= chosen->id);
  }
  const sim::time_ns began = world.now();
  const sim::ProcessId process = cluster.node_process(leader);
  REQUIRE(cluster.controlled_shutdown(leader, 0));
  CHECK_FALSE(cluster.controlled_shutdown(leader, 0));  // one at a time
  world.run_until(began + sim::seconds(3));

  CHECK(world.state(process) == sim::ProcessState::crashed);
  CHECK(cluster.node(leader) == nullptr);
  CHECK(world.fault_counts().at("stop") == 1);
  CHECK(world.fault_counts().count("crash") == 0);
  const auto transfers = records_of(trace, events::kLeaderTransfer, began);
  REQUIRE_FALSE(transfers.empty());
  CHECK(transfers.front().text("group") == kMetaGroupName);
  CHECK(transfers.front().number("to") == static_cast<std::int64_t>(chosen->id));
  const auto done = records_of(trace, events::kShutdownDone, began);
  REQUIRE(done.size() == 1);
  CHECK(done.front().number("timed_out") == 0);
  CHECK(done.front().number("still_leading") == 0);
  CHECK(done.front().number("groups_led") == static_cast<std::int64_t>(transfers.size()));
  // Handed over, not lost: well within an election timeout, and only the
  // target campaigned, once, one term up.
  CHECK(done.front().number("waited_ns") < sim::millis(1000));
  // Every group still has exactly one leader, on another node.
  for (const std::string& group : cluster.group_names()) {
    CAPTURE(group);
    CHECK(leaders_of(cluster, group) == 1);
    CHECK(leader_index(cluster, group) != leader);
  }
  const int new_leader = leader_index(cluster, kMetaGroupName);
  REQUIRE(new_leader >= 0);
  CHECK(static_cast<raft::NodeId>(new_leader + 1) == chosen->id);
  CHECK(cluster.node(new_leader)->meta_group().term() == term_before + 1);
  int meta_elections = 0;
  for (const auto& record : records_of(trace, events::kElectionStarted, began)) {
    if (record.text("group") != kMetaGroupName) continue;
    ++meta_elections;
    CHECK(record.number("node") == static_cast<std::int64_t>(chosen->id));
  }
  CHECK(meta_elections == 1);
  // A restart brings it back over what it synced.
  world.restart(process);
  world.run_until(began + sim::seconds(8));
  REQUIRE(cluster.node(leader) != nullptr);
  CHECK(cluster.node(leader)->meta_group().applied_index() > 0);
}

TEST_CASE("a controlled shutdown whose followers are unreachable stops at its bound anyway") {
  sim::World world(world_config());
  std::vector<testing::CapturedRecord> trace;
  testing::capture_trace(world, trace);
  ClusterConfig config = three_nodes();
  // Shorter than an election timeout: the cut-off leader has not stepped
  // down (check-quorum) by then, so it still leads when the bound passes.
  config.broker.controlled_shutdown_timeout_ms = 300;
  Cluster cluster(world, config);
  cluster.start();
  world.run_until(sim::seconds(8));
  const int leader = leader_index(cluster, kMetaGroupName);
  REQUIRE(leader >= 0);
  const sim::ProcessId process = cluster.node_process(leader);
  world.network().isolate(process);
  const sim::time_ns began = world.now();
  REQUIRE(cluster.controlled_shutdown(leader, sim::seconds(2)));
  world.run_until(began + sim::millis(299));
  CHECK(world.state(process) == sim::ProcessState::running);  // still waiting
  world.run_until(began + sim::millis(301));
  CHECK(world.state(process) == sim::ProcessState::crashed);
  const auto done = records_of(trace, events::kShutdownDone, began);
  REQUIRE(done.size() == 1);
  CHECK(done.front().number("timed_out") == 1);
  CHECK(done.front().number("still_leading") >= 1);
  CHECK(done.front().number("waited_ns") >= sim::millis(300));
  CHECK_FALSE(records_of(trace, events::kLeaderTransfer, began).empty());
  // restart_after: back 2 s after the stop, not after the request.
  world.network().heal();
  world.run_until(began + sim::millis(2299));
  CHECK(world.state(process) == sim::ProcessState::crashed);
  world.run_until(began + sim::millis(2400));
  CHECK(world.state(process) == sim::ProcessState::running);
  CHECK(world.fault_counts().at("stop") == 1);
}

TEST_CASE("each node hosts __meta and a replica of every partition placed on it") {
  sim::World world(world_config());
  Cluster cluster(world, three_nodes());
  cluster.start();
  world.run_until(sim::seconds(8));
  for (int i = 0; i < 3; ++i) {
    const Node* node = cluster.node(i);
    REQUIRE(node != nullptr);
    CHECK(node->id() == static_cast<raft::NodeId>(i + 1));
    // Three nodes, replication factor 3: every partition is on every node.
    CHECK(node->group_names() == std::vector<std::string>{"__meta", "orders/0", "orders/1"});
    CHECK(node->stats().replicas_created == 2);
    CHECK(node->stats().unknown_group_dropped == 0);
    const PartitionReplica* replica = node->replica("orders", 1);
    REQUIRE(replica != nullptr);
    CHECK(replica->topic == "orders");
    CHECK(replica->partition == 1);
    CHECK(node->replica("orders", 2) == nullptr);
    CHECK(node->group("nothing/0") == nullptr);
    // __meta's applied state names the topic and a leader for each partition.
    const TopicInfo* topic = node->metadata().find_topic("orders");
    REQUIRE(topic != nullptr);
    REQUIRE(topic->partitions.size() == 2);
    for (const PartitionInfo& partition : topic->partitions) {
      CHECK(partition.replicas.size() == 3);
      CHECK(partition.leader != raft::kNoNode);
    }
  }
  for (const std::string& group : cluster.group_names()) {
    CAPTURE(group);
    CHECK(leaders_of(cluster, group) == 1);
  }
  // Every published assignment names the node that really leads the group.
  const Node* any = cluster.node(0);
  for (int p = 0; p < 2; ++p) {
    const raft::NodeId published = any->metadata().find_partition("orders", p)->leader;
    const Node* leader = cluster.node(static_cast<int>(published) - 1);
    REQUIRE(leader != nullptr);
    CHECK(leader->group("orders/" + std::to_string(p))->is_leader());
  }
}

// broker.unknown_group_buffer_messages: node 3 starts at 3 s with its disk
// stalled for 2 s, so its __meta learns the topic late while the partition
// leaders already send to it. A buffer of 4 per group overflows (the oldest
// dropped); the default 512 holds everything. Either way Raft recovers.
NodeStats late_node_stats(int buffer_messages) {
  sim::World world(world_config());
  ClusterConfig config = three_nodes();
  config.broker.unknown_group_buffer_messages = buffer_messages;
  config.startup_delays_ms = {0, 0, 3000};
  Cluster cluster(world, config);
  cluster.start();
  world.run_until(sim::seconds(3));
  world.disk(cluster.node_process(2)).stall(sim::seconds(2));
  world.run_until(sim::seconds(10));
  const Node* late = cluster.node(2);
  REQUIRE(late != nullptr);
  CHECK(late->stats().replicas_created == 2);
  for (const std::string& group : cluster.group_names()) {
    CAPTURE(group);
    CHECK(leaders_of(cluster, group) == 1);
  }
  return late->stats();
}

TEST_CASE("unknown-group messages beyond the per-group buffer drop the oldest") {
  const NodeStats small = late_node_stats(4);
  CHECK(small.unknown_group_buffered > 0);
  CHECK(small.unknown_group_dropped > 0);
  const NodeStats roomy = late_node_stats(512);
  CHECK(roomy.unknown_group_buffered > 0);
  CHECK(roomy.unknown_group_dropped == 0);
}

// broker.metadata_queue_jobs with the serial handler: the __meta leader is
// paused for 3 s, so the partitions it led elect new leaders whose syncs
// wait behind the first one, which retries until __meta has a leader again.
// With room for one job the rest find the queue full. Dropped, they would
// leave __meta naming the paused node as leader for good; owed and
// re-issued, every published assignment ends up naming the real leader.
TEST_CASE("leader syncs that find the metadata job queue full are owed, not lost") {
  sim::World world(world_config());
  ClusterConfig config = three_nodes();
  config.topics = {TopicSpec{"orders", 24}};
  config.broker.metadata_handler_serial = true;
  config.broker.metadata_queue_jobs = 1;
  Cluster cluster(world, config);
  cluster.start();
  world.run_until(sim::seconds(6));
  int meta_leader = -1;
  for (int i = 0; i < 3; ++i) {
    if (cluster.node(i) != nullptr && cluster.node(i)->group("__meta")->is_leader())
      meta_leader = i;
  }
  REQUIRE(meta_leader >= 0);
  world.pause(cluster.node_process(meta_leader));
  world.run_until(sim::seconds(9));
  world.resume(cluster.node_process(meta_leader));
  world.run_until(sim::seconds(20));
  std::uint64_t deferred = 0;
  for (int i = 0; i < 3; ++i) deferred += cluster.node(i)->stats().sync_jobs_deferred;
  CHECK(deferred > 0);
  const Node* any = cluster.node(0);
  for (int p = 0; p < 24; ++p) {
    CAPTURE(p);
    const std::string group = "orders/" + std::to_string(p);
    REQUIRE(leaders_of(cluster, group) == 1);
    const PartitionInfo* published = any->metadata().find_partition("orders", p);
    REQUIRE(published != nullptr);
    const Node* leader = cluster.node(static_cast<int>(published->leader) - 1);
    REQUIRE(leader != nullptr);
    CHECK(leader->group(group)->is_leader());
    CHECK(published->leader_epoch == leader->group(group)->term());
  }
}

TEST_CASE("a crashed node is gone until restarted, then rebuilds its replicas") {
  sim::World world(world_config());
  Cluster cluster(world, three_nodes());
  cluster.start();
  world.run_until(sim::seconds(6));
  world.crash(cluster.node_process(2));
  world.run_until(sim::seconds(8));
  CHECK(cluster.node(2) == nullptr);
  for (const std::string& group : cluster.group_names()) {
    CHECK(leaders_of(cluster, group) == 1);  // the two others still form a majority
  }
  world.restart(cluster.node_process(2));
  world.run_until(sim::seconds(14));
  const Node* restarted = cluster.node(2);
  REQUIRE(restarted != nullptr);
  CHECK(restarted->group_names() == std::vector<std::string>{"__meta", "orders/0", "orders/1"});
  CHECK(restarted->stats().replicas_created == 2);  // counted per incarnation
  CHECK(restarted->meta_group().applied_index() > 0);
}

// chaos_process seed 18: a node paused across a producer's crash and restart
// answered, at resume, the old incarnation's produce requests on the
// restarted producer's new connection; correlation ids start at 1 again in
// each incarnation, so the new producer took an old answer (another batch's
// offset) for its own request and reported an acknowledged record that was
// never at that offset. An answer goes on its request's connection or nowhere.
TEST_CASE("a restarted client never gets the answers to its previous incarnation's requests") {
  sim::World world(world_config());
  Cluster cluster(world, three_nodes());
  cluster.start();
  world.run_until(sim::seconds(6));
  const sim::ProcessId node = cluster.node_process(0);
  // (incarnation that received it, the topic the answer describes)
  std::vector<std::pair<std::uint64_t, std::string>> answers;
  const sim::ProcessId asker = world.add_process("asker", [&](sim::Env& env) {
    // Both incarnations use correlation id 1, as a restarted client does;
    // the topic asked for tells the two answers apart.
    const std::string topic = env.incarnation() == 1 ? "orders" : "payments";
    env.send_stream(
        node, protocol::encode_request(protocol::Request{1, protocol::MetadataRequest{{topic}}}));
    while (true) {
      const sim::Envelope envelope = env.inbox().receive();
      if (envelope.reset) continue;
      // CHECK, not REQUIRE: an exception must not unwind through a fiber.
      const auto response = protocol::decode_response(envelope.payload);
      CHECK(response);
      if (!response) continue;
      CHECK(response->correlation_id == 1);
      const auto& metadata = std::get<protocol::MetadataResponse>(response->body);
      CHECK(metadata.topics.size() == 1);
      if (metadata.topics.size() != 1) continue;
      answers.emplace_back(env.incarnation(), metadata.topics[0].name);
    }
  });
  world.pause(node);  // the request waits in its inbox, its kernel accepted it
  world.start(asker);
  world.run_until(sim::millis(6100));
  world.crash(asker);  // its host resets the connection at the node
  world.run_until(sim::millis(6200));
  world.restart(asker);  // asks again on a new connection
  world.run_until(sim::millis(6300));
  CHECK(answers.empty());
  world.resume(node);  // answers both requests, in order
  world.run_until(sim::seconds(7));
  const std::vector<std::pair<std::uint64_t, std::string>> expected{{2, "payments"}};
  CHECK(answers == expected);
  CHECK(world.network().connections().stats().replies_dropped == 1);
}

// chaos_process seed 74: a new __meta leader answered a restarted consumer's
// OffsetFetch before it had applied its predecessor's last offset commit (it
// held the entry, not yet known to be committed: Raft section 8), so the
// consumer resumed two offsets back and committed the older offset again
// (checker consumer_offsets). Offsets are read only once the leader has
// applied an entry of its own term.
TEST_CASE("a new __meta leader answers offset fetches only once it applied an entry of its term") {
  sim::World world(world_config());
  Cluster cluster(world, three_nodes());
  cluster.start();
  world.run_until(sim::seconds(8));
  int old_leader = -1;
  std::vector<int> others;
  for (int i = 0; i < 3; ++i) {
    if (cluster.node(i)->meta_group().is_leader()) {
      old_leader = i;
    } else {
      others.push_back(i);
    }
  }
  REQUIRE(old_leader >= 0);
  REQUIRE(others.size() == 2);
  sim::Network& network = world.network();
  const protocol::OffsetFetchRequest fetch{"readers", "orders", 0};
  std::optional<std::int64_t> applied_at_new_leader;
  std::optional<protocol::OffsetFetchResponse> early_read;
  std::optional<protocol::OffsetFetchResponse> later_read;
  int new_leader = -1;
  const sim::ProcessId asker = world.add_process("asker", [&](sim::Env& env) {
    std::uint32_t correlation = 0;
    // One request at a time: its answer is the next data envelope.
    const auto send = [&](int node, protocol::RequestBody body) {
      env.send_stream(cluster.node_process(node),
                      protocol::encode_request(protocol::Request{++correlation, std::move(body)}));
    };
    const auto answer = [&]() -> protocol::ResponseBody {
      while (true) {
        const sim::Envelope envelope = env.inbox().receive();
        if (envelope.reset) continue;
        auto response = protocol::decode_response(envelope.payload);
        if (response && response->correlation_id == correlation) return response->body;
      }
    };
    const auto commit = [&](std::int64_t offset) {
      send(old_leader, protocol::OffsetCommitRequest{"readers", "orders", 0, offset});
    };
    const auto committed = [&] {
      return std::get<protocol::OffsetCommitResponse>(answer()).error == protocol::ErrorCode::none;
    };
    commit(5);
    if (!committed()) return;
    env.sleep(sim::millis(500));  // every node has applied it
    const RaftGroup& meta = cluster.node(old_leader)->meta_group();
    const raft::Index before = meta.raft().commit_index();
    commit(9);
    // Cut off the moment it commits 9, the old leader cannot tell the
    // others: they hold the entry, not the news that it is committed.
    for (int step = 0; step < 100'000 && meta.raft().commit_index() == before; ++step) {
      env.sleep(sim::micros(10));
    }
    network.partition({{cluster.node_process(old_leader)},
                       {cluster.node_process(others[0]), cluster.node_process(others[1])}});
    if (!committed()) return;
    for (int step = 0; step < 50'000 && new_leader < 0; ++step) {
      env.sleep(sim::micros(100));
      for (const int i : others) {
        if (cluster.node(i)->meta_group().is_leader()) new_leader = i;
      }
    }
    if (new_leader < 0) return;
    const int follower = new_leader == others[0] ? others[1] : others[0];
    // The new leader's first entry is held on its way: it cannot commit
    // an entry of its term, so it cannot know that 9 is committed.
    network.cut_one_way(cluster.node_process(new_leader), cluster.node_process(follower));
    applied_at_new_leader =
        cluster.node(new_leader)->metadata().committed_offset("readers", "orders", 0);
    send(new_leader, fetch);
    early_read = std::get<protocol::OffsetFetchResponse>(answer());
    network.heal();
    env.sleep(sim::millis(500));
    send(new_leader, fetch);
    later_read = std::get<protocol::OffsetFetchResponse>(answer());
  });
  world.start(asker);
  world.run_until(sim::seconds(20));
  REQUIRE(new_leader >= 0);
  // The state a stale read would come from: the commit of 5, not of 9.
  CHECK(applied_at_new_leader == std::optional<std::int64_t>{5});
  REQUIRE(early_read);
  CHECK(early_read->error == protocol::ErrorCode::leader_not_available);
  REQUIRE(later_read);
  CHECK(later_read->error == protocol::ErrorCode::none);
  CHECK(later_read->offset == 9);
}

}  // namespace simrun::broker
