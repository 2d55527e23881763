#include "tools/simrun/metrics.h"

#include <doctest/doctest.h>

#include <vector>

using namespace simrun::cli;
using simrun::sim::millis;
using simrun::sim::TraceField;
using simrun::sim::TraceRecord;

namespace {

// Feeds synthetic records, as the broker would emit them, without a World.
struct Feed {
  MetricsObserver observer;
  explicit Feed(TimeWindow window = {}) : observer(window) {}
  void operator()(std::int64_t at_ms, std::string_view kind, std::vector<TraceField> fields) {
    TraceRecord record;
    record.time = millis(at_ms);
    record.kind = kind;
    record.fields = fields;
    observer.observe(record);
  }
  void role(std::int64_t at_ms, std::string_view group, int node, int term, const char* role) {
    (*this)(at_ms, "raft.role_changed",
            {{"group", group}, {"node", node}, {"term", term}, {"role", role}, {"reason", "x"}});
  }
  void election(std::int64_t at_ms, std::string_view group, int node, int term, int pre_vote = 0) {
    (*this)(at_ms, "raft.election_started",
            {{"group", group}, {"node", node}, {"term", term}, {"pre_vote", pre_vote}});
  }
};

}  // namespace

TEST_CASE("elections, leader changes, terms and leaderless time per group") {
  Feed feed;
  feed.election(100, "__meta", 1, 1);
  feed.role(150, "__meta", 1, 1, "leader");  // leaderless from first record: 100..150
  feed.election(2000, "__meta", 2, 2);
  feed.role(2000, "__meta", 1, 1, "follower");  // leaderless 2000..2100
  feed.role(2100, "__meta", 2, 2, "leader");
  feed.election(2500, "__meta", 3, 3, /*pre_vote=*/1);
  feed(3500, "raft.term_changed", {{"group", "__meta"}, {"node", 3}, {"term", 7}});
  const Metrics metrics = feed.observer.finish(millis(60'000));
  const GroupMetrics& meta = metrics.groups.at("__meta");
  CHECK(meta.elections_started == 2);
  CHECK(meta.pre_vote_campaigns == 1);
  CHECK(meta.leader_changes == 1);
  CHECK(meta.max_term == 7);
  CHECK(meta.term_at_3s == 3);  // the term 7 came after 3 s
  CHECK(meta.leaderless_ms == doctest::Approx(150.0));
  CHECK(meta.time_to_first_leader_ms == doctest::Approx(150.0));
  CHECK(meta.elections_per_min == doctest::Approx(2.0));
  CHECK(feed.observer.current_leader("__meta") == 2);
}

TEST_CASE("a crashed leader leaves its group leaderless until a new leader") {
  Feed feed;
  feed.role(0, "orders/0", 1, 1, "leader");
  feed(1000, "node.crashed", {{"node", 1}});
  CHECK_FALSE(feed.observer.has_leader("orders/0"));
  feed.role(1400, "orders/0", 2, 2, "leader");
  const Metrics metrics = feed.observer.finish(millis(2000));
  CHECK(metrics.groups.at("orders/0").leaderless_ms == doctest::Approx(400.0));
  CHECK(metrics.totals.leaderless_ms == doctest::Approx(400.0));
}

TEST_CASE("a group that never elects is leaderless for the whole run") {
  Feed feed;
  feed.election(10, "__meta", 1, 1);
  const Metrics metrics = feed.observer.finish(millis(5000));
  CHECK(metrics.groups.at("__meta").leaderless_ms == doctest::Approx(4990.0));
  CHECK(metrics.groups.at("__meta").time_to_first_leader_ms == doctest::Approx(5000.0));
}

TEST_CASE("heartbeat gaps, deserialization errors and metadata sync") {
  Feed feed;
  for (std::int64_t gap_ms : {10, 250, 40}) {
    feed(
        100 + gap_ms, "raft.heartbeat_gap",
        {{"group", "__meta"}, {"node", 2}, {"leader", 1}, {"term", 1}, {"gap_ns", millis(gap_ms)}});
  }
  feed(200, "apply.deser_error", {{"group", "__meta"}, {"node", 2}, {"index", 1}, {"term", 1}});
  feed(300, "meta.sync_attempt", {{"node", 1}, {"group", "orders/0"}, {"attempt", 1}});
  feed(301, "meta.sync_retry", {{"node", 1}, {"group", "orders/0"}, {"attempt", 1}});
  feed(302, "meta.sync_attempt", {{"node", 1}, {"group", "orders/0"}, {"attempt", 2}});
  feed(303, "meta.sync_succeeded", {{"node", 1}, {"group", "orders/0"}, {"attempts", 2}});
  feed(304, "meta.sync_attempt", {{"node", 1}, {"group", "orders/1"}, {"attempt", 1}});
  feed(305, "meta.sync_failed", {{"node", 1}, {"group", "orders/1"}, {"attempts", 1}});
  feed(306, "meta.sync_attempt", {{"node", 1}, {"group", "orders/1"}, {"attempt", 1}});
  feed(307, "meta.sync_failed", {{"node", 1}, {"group", "orders/1"}, {"attempts", 1}});
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.totals.max_heartbeat_gap_ms == doctest::Approx(250.0));
  CHECK(metrics.totals.deser_errors == 1);
  CHECK(metrics.groups.at("orders/0").metadata_sync.success_rate == doctest::Approx(1.0));
  CHECK(metrics.groups.at("orders/1").metadata_sync.success_rate == doctest::Approx(0.0));
  CHECK(metrics.totals.metadata_sync.attempts == 4);
  CHECK(metrics.totals.metadata_sync.retries == 1);
  CHECK(metrics.totals.metadata_sync.success_rate == doctest::Approx(1.0 / 3.0));
}

TEST_CASE("produce outcomes and nearest-rank latency percentiles") {
  Feed feed;
  for (int i = 1; i <= 100; ++i) {
    feed(i, "produce.sent", {{"client", 9}, {"topic", "t"}, {"partition", i % 2}, {"sequence", i}});
    if (i <= 98) {
      feed(i + 1, "produce.acked",
           {{"client", 9},
            {"topic", "t"},
            {"partition", i % 2},
            {"sequence", i},
            {"offset", i},
            {"hash", 1},
            {"latency_ns", millis(i)},
            {"acks", -1}});
    } else {
      feed(i + 1, "produce.failed",
           {{"client", 9},
            {"topic", "t"},
            {"partition", i % 2},
            {"sequence", i},
            {"error", "timeout"},
            {"latency_ns", millis(30'000)}});
    }
  }
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.totals.produce.sent == 100);
  CHECK(metrics.totals.produce.acked == 98);
  CHECK(metrics.totals.produce.failed == 2);
  CHECK(metrics.groups.at("t/0").produce.acked == 49);
  CHECK(metrics.totals.produce.latency_p50_ms == doctest::Approx(49.0));
  CHECK(metrics.totals.produce.latency_p99_ms == doctest::Approx(98.0));
}

TEST_CASE("a window counts only its records and clips leaderless time") {
  Feed feed(TimeWindow{10'000, 20'000});
  feed.election(5000, "__meta", 1, 4);
  feed.role(5000, "__meta", 1, 4, "leader");
  feed.election(12'000, "__meta", 2, 5);
  feed(12'000, "node.crashed", {{"node", 1}});
  feed.role(13'000, "__meta", 2, 5, "leader");
  feed.election(25'000, "__meta", 3, 9);
  const Metrics metrics = feed.observer.finish(millis(30'000));
  const GroupMetrics& meta = metrics.groups.at("__meta");
  CHECK(meta.elections_started == 1);
  CHECK(meta.max_term == 5);
  CHECK(meta.leaderless_ms == doctest::Approx(1000.0));
  CHECK(meta.leader_changes == 1);
  CHECK(meta.time_to_first_leader_ms == doctest::Approx(0.0));  // a leader was in place
  CHECK(meta.elections_per_min == doctest::Approx(6.0));        // 1 in 10 s
}

TEST_CASE("metric_value knows every documented name and nothing else") {
  GroupMetrics metrics;
  metrics.produce.lost_acked = 3;
  metrics.metadata_sync.success_rate = 0.5;
  for (const auto& name : metric_names()) CHECK(metric_value(metrics, name).has_value());
  CHECK(metric_value(metrics, "produce.lost_acked") == 3.0);
  CHECK(metric_value(metrics, "metadata_sync.success_rate") == 0.5);
  CHECK_FALSE(metric_value(metrics, "bogus").has_value());
  const auto json = to_json(metrics);
  CHECK(json["produce"]["lost_acked"] == 3);
}

TEST_CASE("heartbeat blocking: beyond the heartbeat period, gaps across faults excluded") {
  Feed feed;
  feed.observer.set_heartbeat_period("__meta", millis(100));
  auto gap = [&](std::int64_t at_ms, std::int64_t gap_ms) {
    feed(
        at_ms, "raft.heartbeat_gap",
        {{"group", "__meta"}, {"node", 2}, {"leader", 1}, {"term", 1}, {"gap_ns", millis(gap_ms)}});
  };
  gap(1000, 130);  // blocked 30 ms beyond the 100 ms period
  // A disk stall is blocking, not an excuse.
  feed(2000, "fault", {{"action", "disk_stall"}, {"targets", "n1"}, {"duration_ms", 150}});
  gap(2200, 160);
  // A partition from 3 s to 6 s: the 3 s gap that spans it is not blocking.
  feed(3000, "fault", {{"action", "partition"}, {"targets", ""}, {"duration_ms", 3000}});
  gap(6100, 3100);
  // The World's own fault records (no action) change nothing.
  feed(7000, "fault", {{"type", "crash"}, {"process", 2}});
  gap(7500, 110);
  // A partition without a duration lasts until the next heal.
  feed(8000, "fault", {{"action", "isolate"}, {"targets", "n2"}, {"duration_ms", std::int64_t{0}}});
  gap(9000, 900);
  feed(9500, "fault", {{"action", "heal"}, {"targets", ""}, {"duration_ms", std::int64_t{0}}});
  gap(9600, 1500);  // began before the heal: excluded
  gap(10000, 190);  // after it: counted
  const Metrics metrics = feed.observer.finish(millis(11000));
  CHECK(metrics.groups.at("__meta").max_heartbeat_gap_ms == doctest::Approx(3100));
  CHECK(metrics.groups.at("__meta").heartbeat_blocking_ms == doctest::Approx(90));
  CHECK(metrics.totals.heartbeat_blocking_ms == doctest::Approx(90));
}

TEST_CASE("term_at_3s is the highest term seen at or before 3 s, over every record kind") {
  Feed feed;
  feed(500, "raft.term_changed", {{"group", "orders/0"}, {"node", 1}, {"term", 2}});
  feed.election(2999, "orders/0", 2, 4);
  feed.role(3000, "__meta", 3, 5, "leader");  // exactly 3 s counts
  feed.election(3001, "__meta", 1, 9);
  const Metrics metrics = feed.observer.finish(millis(5000));
  CHECK(metrics.groups.at("orders/0").term_at_3s == 4);
  CHECK(metrics.groups.at("__meta").term_at_3s == 5);
  CHECK(metrics.groups.at("__meta").max_term == 9);
  CHECK(metrics.totals.term_at_3s == 5);
}

TEST_CASE("double votes: a real grant to a second candidate in one term, per voter and group") {
  Feed feed;
  auto vote = [&](std::int64_t at_ms, std::string_view group, int node, int term, int candidate,
                  int granted, const char* reason) {
    feed(at_ms, "raft.vote",
         {{"group", group},
          {"node", node},
          {"term", term},
          {"candidate", candidate},
          {"granted", granted},
          {"reason", reason}});
  };
  feed.election(100, "__meta", 1, 2);
  vote(101, "__meta", 3, 2, 1, 1, "vote");
  vote(102, "__meta", 3, 2, 1, 1, "vote");                 // the same candidate again: one vote
  vote(103, "__meta", 3, 2, 2, 0, "already voted for 1");  // a refusal
  vote(104, "__meta", 3, 1, 2, 1, "pre-vote");             // pre-votes bind nothing
  vote(105, "__meta", 3, 1, 1, 1, "pre-vote");
  vote(106, "__meta", 2, 2, 2, 1, "vote");    // another voter: its own vote
  vote(107, "__meta", 3, 3, 2, 1, "vote");    // another term
  vote(108, "orders/0", 3, 2, 2, 1, "vote");  // another group
  CHECK(feed.observer.finish(millis(1000)).totals.double_votes == 0);
  // The restarted voter 3 forgot its vote for 1 in term 2 (mechanism 7).
  vote(500, "__meta", 3, 2, 2, 1, "vote");
  vote(501, "__meta", 3, 2, 2, 1, "vote");  // still the same double vote's candidate
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.groups.at("__meta").double_votes == 1);
  CHECK(metrics.groups.at("orders/0").double_votes == 0);
  CHECK(metrics.totals.double_votes == 1);
  CHECK(metric_value(metrics.totals, "double_votes") == 1.0);
}

TEST_CASE("double votes: a grant before the window still makes a later one double") {
  Feed feed(TimeWindow{1000, 2000});
  auto grant = [&](std::int64_t at_ms, int candidate) {
    feed(at_ms, "raft.vote",
         {{"group", "__meta"},
          {"node", 3},
          {"term", 4},
          {"candidate", candidate},
          {"granted", 1},
          {"reason", "vote"}});
  };
  grant(500, 1);
  grant(1500, 2);  // inside the window: counted
  grant(2500, 1);  // after it: not counted
  CHECK(feed.observer.finish(millis(3000)).totals.double_votes == 1);
}

TEST_CASE("unknown-group drops are counted per group") {
  Feed feed;
  auto drop = [&](std::int64_t at_ms, std::string_view group) {
    feed(at_ms, "broker.unknown_group_drop",
         {{"node", 3}, {"group", group}, {"reason", "replica not found"}});
  };
  drop(10, "orders/0");
  drop(20, "orders/0");
  drop(30, "orders/1");
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.groups.at("orders/0").unknown_group_drops == 2);
  CHECK(metrics.groups.at("orders/1").unknown_group_drops == 1);
  CHECK(metrics.totals.unknown_group_drops == 3);
  CHECK(to_json(metrics)["unknown_group_drops"] == 3);
}

TEST_CASE("double votes: a candidate's own vote binds its term") {
  Feed feed;
  feed.election(100, "__meta", 2, 5);                  // node 2 votes for itself in term 5
  feed.election(150, "__meta", 2, 6, /*pre_vote=*/1);  // a pre-vote campaign binds nothing
  feed(200, "raft.vote",
       {{"group", "__meta"},
        {"node", 2},
        {"term", 5},
        {"candidate", 3},
        {"granted", 1},
        {"reason", "vote"}});
  feed(300, "raft.vote",
       {{"group", "__meta"},
        {"node", 1},
        {"term", 6},
        {"candidate", 3},
        {"granted", 1},
        {"reason", "vote"}});
  feed.election(400, "__meta", 1, 6);  // node 1 granted 3 in term 6, then runs in it itself
  CHECK(feed.observer.finish(millis(1000)).totals.double_votes == 2);
}
