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
  CHECK(meta.campaigns == 3);
  CHECK(meta.elections == 3);  // the group's term rose to 1, 2 and 7
  CHECK(meta.leader_changes == 1);
  CHECK(meta.max_term == 7);
  CHECK(meta.term_at_3s == 2);  // the term 7 came after 3 s; a pre-vote raises none
  CHECK(meta.leaderless_ms == doctest::Approx(150.0));
  CHECK(meta.time_to_first_leader_ms == doctest::Approx(150.0));
  CHECK(meta.campaigns_per_min == doctest::Approx(3.0));
  CHECK(meta.elections_per_min == doctest::Approx(3.0));
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
  // Still in flight at the end: started, so in the denominator.
  feed(308, "meta.sync_attempt", {{"node", 1}, {"group", "orders/2"}, {"attempt", 1}});
  feed(309, "raft.term_changed", {{"group", "__meta"}, {"node", 1}, {"term", 1}});
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.totals.max_heartbeat_gap_ms == doctest::Approx(250.0));
  CHECK(metrics.totals.deser_errors == 1);
  CHECK(metrics.groups.at("orders/0").metadata_sync.success_rate == doctest::Approx(1.0));
  CHECK(metrics.groups.at("orders/1").metadata_sync.success_rate == doctest::Approx(0.0));
  CHECK(metrics.totals.metadata_sync.attempts == 5);
  CHECK(metrics.totals.metadata_sync.started == 4);
  CHECK(metrics.totals.metadata_sync.in_flight == 1);
  CHECK(metrics.totals.metadata_sync.retries == 1);
  CHECK(metrics.totals.metadata_sync.success_rate == doctest::Approx(1.0 / 4.0));
  CHECK(metrics.groups.at("orders/2").metadata_sync.success_rate == doctest::Approx(0.0));
  CHECK_FALSE(metric_undefined_reason(metrics.totals, "metadata_sync.success_rate"));
  // No sync started: the rate has no denominator and says so.
  const GroupMetrics& meta = metrics.groups.at("__meta");
  const auto reason = metric_undefined_reason(meta, "metadata_sync.success_rate");
  REQUIRE(reason.has_value());
  CHECK(reason->find("no metadata sync started") != std::string::npos);
  CHECK_FALSE(metric_undefined_reason(meta, "max_term"));
}

TEST_CASE("elections are rounds that raised the group's term; campaigns count every candidacy") {
  Feed feed;
  // A split vote: two candidates in term 4 are one election round.
  feed.election(1000, "__meta", 1, 4);
  feed.election(1001, "__meta", 2, 4);
  feed(1002, "raft.term_changed", {{"group", "__meta"}, {"node", 3}, {"term", 4}});
  feed.election(1500, "__meta", 3, 4, /*pre_vote=*/1);  // pre-vote: a campaign, no round
  feed.election(2000, "__meta", 2, 5);
  const GroupMetrics meta = feed.observer.finish(millis(60'000)).groups.at("__meta");
  CHECK(meta.elections_started == 3);
  CHECK(meta.campaigns == 4);
  CHECK(meta.elections == 2);
  CHECK(meta.elections_per_min == doctest::Approx(2.0));
  CHECK(meta.campaigns_per_min == doctest::Approx(4.0));
}

TEST_CASE("max_term_growth_3s: the largest rise of the group's term within any 3 s") {
  Feed feed;
  feed(500, "raft.term_changed", {{"group", "__meta"}, {"node", 1}, {"term", 2}});
  feed.election(1000, "__meta", 1, 5);
  feed.election(4200, "__meta", 2, 9);  // 9 - 5 (the term at 1.2 s)
  feed.election(10000, "__meta", 2, 10);
  feed.election(11000, "__meta", 2, 20);
  feed.election(12000, "__meta", 3, 24);  // 24 - 9 (the term at 9 s): the largest
  feed.election(12500, "orders/0", 3, 3);
  const Metrics metrics = feed.observer.finish(millis(20'000));
  CHECK(metrics.groups.at("__meta").max_term_growth_3s == 15);
  CHECK(metrics.groups.at("orders/0").max_term_growth_3s == 3);
  CHECK(metrics.totals.max_term_growth_3s == 15);
  CHECK(metric_value(metrics.totals, "max_term_growth_3s") == 15.0);
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

TEST_CASE("heartbeat blocking: beyond the heartbeat period, raw and minus fault overlap") {
  Feed feed;
  feed.observer.set_heartbeat_period("__meta", millis(100));
  auto gap = [&](std::int64_t at_ms, std::int64_t gap_ms, const char* ended_by = "contact") {
    feed(at_ms, "raft.heartbeat_gap",
         {{"group", "__meta"},
          {"node", 2},
          {"leader", 1},
          {"term", 1},
          {"gap_ns", millis(gap_ms)},
          {"ended_by", ended_by}});
  };
  gap(1000, 130);  // blocked 30 ms beyond the 100 ms period
  // A disk stall from 2000 to 2150 ms: 110 ms of the 160 ms gap overlap it.
  feed(2000, "fault", {{"action", "disk_stall"}, {"targets", "n1"}, {"duration_ms", 150}});
  gap(2200, 160);
  // A partition from 3 s to 6 s: the gap spanning it keeps only its 100 ms
  // outside, which the heartbeat period absorbs.
  feed(3000, "fault", {{"action", "partition"}, {"targets", ""}, {"duration_ms", 3000}});
  gap(6100, 3100);
  // The World's own fault records (no action) change nothing.
  feed(7000, "fault", {{"type", "crash"}, {"process", 2}});
  gap(7500, 110);
  // A partition without a duration lasts until the next heal.
  feed(8000, "fault", {{"action", "isolate"}, {"targets", "n2"}, {"duration_ms", std::int64_t{0}}});
  gap(9000, 900);
  feed(9500, "fault", {{"action", "heal"}, {"targets", ""}, {"duration_ms", std::int64_t{0}}});
  gap(9600, 1500);  // 1400 ms of it before the heal
  gap(10000, 190);  // after it: counted whole (90 ms)
  // A fault without a duration is an instant: it excuses nothing after it.
  feed(10500, "fault",
       {{"action", "clock_drift"}, {"targets", "n2"}, {"duration_ms", std::int64_t{0}}});
  gap(10800, 250);  // 150 ms
  // A gap that ends in the follower's own campaign counts too.
  gap(12000, 420, "campaign");  // 320 ms
  const Metrics metrics = feed.observer.finish(millis(13000));
  const GroupMetrics& meta = metrics.groups.at("__meta");
  CHECK(meta.max_heartbeat_gap_ms == doctest::Approx(3100));
  CHECK(meta.heartbeat_blocking_raw_ms == doctest::Approx(3000));
  CHECK(meta.heartbeat_blocking_ms == doctest::Approx(320));
  CHECK(metrics.totals.heartbeat_blocking_ms == doctest::Approx(320));
  CHECK(metrics.totals.heartbeat_blocking_raw_ms == doctest::Approx(3000));
}

TEST_CASE("heartbeat blocking: overlapping fault windows are counted once") {
  Feed feed;
  feed(1000, "fault", {{"action", "disk_stall"}, {"targets", "n1"}, {"duration_ms", 300}});
  feed(1100, "fault", {{"action", "latency_spike"}, {"targets", "n1"}, {"duration_ms", 100}});
  feed(1500, "raft.heartbeat_gap",
       {{"group", "g"}, {"node", 2}, {"leader", 1}, {"term", 1}, {"gap_ns", millis(1000)}});
  // [500, 1500) overlaps the union [1000, 1300): 300 ms.
  CHECK(feed.observer.finish(millis(2000)).totals.heartbeat_blocking_ms == doctest::Approx(700));
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

namespace {
// A (non-pre) vote answer from `voter` reaching `candidate`.
void delivered(Feed& feed, std::int64_t at_ms, std::string_view group, int candidate, int term,
               int voter, int granted) {
  feed(at_ms, "raft.vote_received",
       {{"group", group},
        {"node", candidate},
        {"term", term},
        {"voter", voter},
        {"granted", granted}});
}
void decided(Feed& feed, std::int64_t at_ms, int voter, int term, int candidate) {
  feed(at_ms, "raft.vote",
       {{"group", "__meta"},
        {"node", voter},
        {"term", term},
        {"candidate", candidate},
        {"granted", 1},
        {"reason", "vote"}});
}
}  // namespace

TEST_CASE("double votes: grants delivered to two candidates in one term, per voter and group") {
  Feed feed;
  delivered(feed, 101, "__meta", 1, 2, 3, 1);
  delivered(feed, 102, "__meta", 1, 2, 3, 1);    // the same candidate again: one vote
  delivered(feed, 103, "__meta", 2, 2, 3, 0);    // a refusal binds the voter to nothing
  delivered(feed, 106, "__meta", 2, 2, 4, 1);    // another voter
  delivered(feed, 107, "__meta", 2, 3, 3, 1);    // another term
  delivered(feed, 108, "orders/0", 2, 2, 3, 1);  // another group
  CHECK(feed.observer.finish(millis(1000)).totals.double_votes == 0);
  // The restarted voter 3 forgot its vote for 1 in term 2 (mechanism 7).
  delivered(feed, 500, "__meta", 2, 2, 3, 1);
  delivered(feed, 501, "__meta", 2, 2, 3, 1);  // still the same double vote's candidate
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.groups.at("__meta").double_votes == 1);
  CHECK(metrics.groups.at("orders/0").double_votes == 0);
  CHECK(metrics.totals.double_votes == 1);
  CHECK(metric_value(metrics.totals, "double_votes") == 1.0);
}

TEST_CASE("double votes: a vote decided but never delivered binds no one") {
  // Voter 3 decides a grant for candidate 1 in term 4 and crashes inside
  // the fsync before sending it; after the restart it grants candidate 2,
  // which receives it. Only one vote ever left node 3.
  Feed feed;
  decided(feed, 100, 3, 4, 1);
  decided(feed, 300, 3, 4, 2);
  delivered(feed, 301, "__meta", 2, 4, 3, 1);
  CHECK(feed.observer.finish(millis(1000)).totals.double_votes == 0);
}

TEST_CASE("double votes: a delivered grant before the window still makes a later one double") {
  Feed feed(TimeWindow{1000, 2000});
  delivered(feed, 500, "__meta", 1, 4, 3, 1);
  delivered(feed, 1500, "__meta", 2, 4, 3, 1);  // inside the window: counted
  delivered(feed, 2500, "__meta", 5, 4, 3, 1);  // after it: not counted
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

TEST_CASE("metadata syncs deferred by a full job queue are counted per group") {
  Feed feed;
  feed(10, "meta.sync_deferred", {{"node", 2}, {"group", "orders/0"}});
  feed(20, "meta.sync_deferred", {{"node", 2}, {"group", "orders/1"}});
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.groups.at("orders/0").metadata_sync.deferred == 1);
  CHECK(metrics.totals.metadata_sync.deferred == 2);
  CHECK(metrics.totals.metadata_sync.failed == 0);
  CHECK(to_json(metrics)["metadata_sync"]["deferred"] == 2);
}

TEST_CASE("raft inbox drops are counted per group") {
  Feed feed;
  feed(10, "broker.inbox_drop", {{"node", 2}, {"group", "orders/0"}});
  feed(20, "broker.inbox_drop", {{"node", 2}, {"group", "__meta"}});
  feed(30, "broker.inbox_drop", {{"node", 3}, {"group", "orders/0"}});
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.groups.at("orders/0").raft_inbox_drops == 2);
  CHECK(metrics.groups.at("__meta").raft_inbox_drops == 1);
  CHECK(metrics.totals.raft_inbox_drops == 3);
  CHECK(to_json(metrics)["raft_inbox_drops"] == 3);
}

TEST_CASE("double votes: a candidate's own vote binds once its requests went out") {
  Feed feed;
  feed.election(100, "__meta", 2, 5);  // decided, but no answer proves a request left
  delivered(feed, 200, "__meta", 3, 5, 2, 1);
  CHECK(feed.observer.finish(millis(1000)).totals.double_votes == 0);
  // Candidate 4 in term 6 gets an answer (a refusal): its self-vote went out.
  delivered(feed, 300, "__meta", 4, 6, 1, 0);
  delivered(feed, 400, "__meta", 3, 6, 4, 1);  // then 4 grants 3 in term 6
  CHECK(feed.observer.finish(millis(1000)).totals.double_votes == 1);
}

TEST_CASE("snapshots_installed counts raft.snapshot_installed records per group") {
  Feed feed;
  feed(100, "raft.snapshot_installed",
       {{"group", "orders/0"}, {"node", 3}, {"index", 500}, {"term", 2}});
  feed(200, "raft.snapshot_installed",
       {{"group", "orders/0"}, {"node", 3}, {"index", 900}, {"term", 2}});
  feed(300, "raft.snapshot_installed",
       {{"group", "__meta"}, {"node", 2}, {"index", 40}, {"term", 1}});
  const Metrics metrics = feed.observer.finish(millis(1000));
  CHECK(metrics.groups.at("orders/0").snapshots_installed == 2);
  CHECK(metrics.totals.snapshots_installed == 3);
  CHECK(metric_value(metrics.totals, "snapshots_installed") == 3.0);
}
