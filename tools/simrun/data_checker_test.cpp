#include "tools/simrun/data_checker.h"

#include <algorithm>

#include "tools/simrun/scenario.h"

#include "tools/simrun/trace_feed_for_tests.h"

#include <doctest/doctest.h>

using namespace simrun::cli;
using simrun::broker::Cluster;
using simrun::cli::testing::feed;
using simrun::sim::millis;

namespace {

void ack(DataChecker& checker, std::int64_t at_ms, std::int64_t offset, std::int64_t hash,
         int acks = -1) {
  feed(checker, at_ms, "produce.acked",
       {{"client", 7},
        {"topic", "t"},
        {"partition", std::int64_t{0}},
        {"sequence", offset},
        {"offset", offset},
        {"hash", hash},
        {"latency_ns", 1},
        {"acks", acks}});
}

void consume(DataChecker& checker, std::int64_t at_ms, std::int64_t offset, std::int64_t hash) {
  feed(checker, at_ms, "consume.record",
       {{"client", 8},
        {"topic", "t"},
        {"partition", std::int64_t{0}},
        {"offset", offset},
        {"hash", hash}});
}

}  // namespace

TEST_CASE("acknowledged records must be committed unchanged and consumed") {
  DataChecker checker;
  ack(checker, 100, 0, 11);
  ack(checker, 110, 1, 12);
  ack(checker, 120, 2, 13);
  ack(checker, 130, 3, 99, /*acks=*/1);  // not acks=all: no promise
  ack(checker, 9000, 4, 15);             // inside the grace period: need not be consumed
  consume(checker, 200, 0, 11);
  consume(checker, 210, 1, 12);
  const auto lost =
      checker.finish(millis(10'000), 5000, {"t"}, [](const std::string& topic, int partition) {
        CHECK(topic == "t");
        CHECK(partition == 0);
        return std::vector<Cluster::StoredRecord>{{0, 11}, {1, 777}, {2, 13}, {4, 15}};
      });
  CHECK(lost.at("t/0") == 1);  // offset 1 holds a different record
  // offset 1 lost, offset 2 never consumed
  REQUIRE(checker.violation_count() == 2);
  CHECK(checker.violations()[0].detail.find("offset 1") != std::string::npos);
  CHECK(checker.violations()[1].detail.find("never read") != std::string::npos);
  CHECK(checker.violations()[0].time_ms == 10'000);
}

TEST_CASE("every acknowledgement counts: two records acknowledged at one offset, one lost") {
  // Mechanism 6: a stale leader acknowledges record 21 at offset 0, the new
  // leader acknowledges 22 at the same offset and keeps it. Whichever came
  // first, the other client was promised a write that is not there.
  for (const bool first_survives : {true, false}) {
    CAPTURE(first_survives);
    DataChecker checker;
    ack(checker, 100, 0, 21);
    ack(checker, 200, 0, 22);
    ack(checker, 300, 0, 22);  // the same record acknowledged again: one promise kept
    const auto lost = checker.finish(millis(10'000), 0, {}, [&](const std::string&, int) {
      return std::vector<Cluster::StoredRecord>{{0, first_survives ? 21u : 22u}};
    });
    CHECK(lost.at("t/0") == (first_survives ? 2 : 1));
  }
}

TEST_CASE("without a consumer of the topic, reads are not required") {
  DataChecker checker;
  ack(checker, 100, 0, 11);
  const auto lost = checker.finish(millis(10'000), 0, {}, [](const std::string&, int) {
    return std::vector<Cluster::StoredRecord>{{0, 11}};
  });
  CHECK(lost.empty());
  CHECK(checker.violation_count() == 0);
}

TEST_CASE("records deleted by retention are not looked for, but must have been read") {
  DataChecker checker;
  ack(checker, 100, 0, 11);
  ack(checker, 110, 1, 12);
  ack(checker, 120, 2, 13);
  ack(checker, 130, 3, 14);
  consume(checker, 200, 0, 11);
  consume(checker, 210, 1, 55);  // a record nobody acknowledged there (issue 11: flagged)
  consume(checker, 220, 1, 12);  // the acknowledged one is read too: not "never read"
  consume(checker, 230, 3, 14);
  const auto lost = checker.finish(
      millis(10'000), 5000, {"t"},
      [](const std::string&, int) {
        // Offsets 0..1 were deleted by retention; 2 is missing, 3 is there.
        return std::vector<Cluster::StoredRecord>{{3, 14}};
      },
      [](const std::string&, int) { return std::int64_t{2}; });
  CHECK(checker.deleted_by_retention() == 2);
  CHECK(lost.at("t/0") == 1);  // offset 2: at or above the log start, missing
  REQUIRE(checker.violation_count() == 2);
  CHECK(checker.violations()[0].detail.find("a consumer read at offset 1") != std::string::npos);
  CHECK(checker.violations()[1].detail.find("offset 2 is missing") != std::string::npos);

  // Without the read of offset 0, its deletion does not excuse it.
  DataChecker unread;
  ack(unread, 100, 0, 11);
  const auto none_lost = unread.finish(
      millis(10'000), 5000, {"t"},
      [](const std::string&, int) { return std::vector<Cluster::StoredRecord>{}; },
      [](const std::string&, int) { return std::int64_t{1}; });
  CHECK(none_lost.empty());
  REQUIRE(unread.violation_count() == 1);
  CHECK(unread.violations()[0].detail.find("never read") != std::string::npos);
}

TEST_CASE("settled records (acknowledged, then read back) are checked as before (issue 12)") {
  DataChecker checker;
  for (std::int64_t offset = 0; offset < 4; ++offset)
    ack(checker, 100 + offset, offset, 10 + offset);
  consume(checker, 200, 0, 10);
  consume(checker, 201, 1, 11);
  consume(checker, 202, 2, 12);
  CHECK(checker.settled_records() == 3);  // offset 3 is not read yet
  consume(checker, 203, 3, 13);
  CHECK(checker.settled_records() == 4);
  ack(checker, 300, 1, 11);  // the same record acknowledged again: two promises
  ack(checker, 301, 2, 99);  // another record acknowledged there: caught at once
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations()[0].detail ==
        "two different records acknowledged at offset 2 (clients 7 and 7)");
  consume(checker, 400, 0, 55);  // another record read at offset 0
  consume(checker, 401, 3, 13);  // the same one read again: nothing
  const auto lost = checker.finish(millis(10'000), 5000, {"t"}, [](const std::string&, int) {
    return std::vector<Cluster::StoredRecord>{{0, 10}, {1, 777}, {2, 12}, {3, 13}};
  });
  CHECK(lost.at("t/0") == 3);  // offset 1 twice, offset 2's other record once
  REQUIRE(checker.violation_count() == 4);
  CHECK(checker.violations()[1].detail ==
        "a consumer read at offset 0 a record other than the one acknowledged there at 100 ms");
  CHECK(checker.violations()[2].detail ==
        "record acknowledged at 101 ms (client 7) at offset 1 is different at the end");
  CHECK(checker.violations()[3].detail ==
        "record acknowledged at 301 ms (client 7) at offset 2 is not there at the end");
  CHECK(checker.checks().at("acked_records") == 4);
}

TEST_CASE("committed consumer offsets never go backwards") {
  DataChecker checker;
  auto commit = [&](std::int64_t at_ms, std::int64_t offset) {
    feed(checker, at_ms, "consume.offset_commit",
         {{"client", 8},
          {"group_id", "g"},
          {"topic", "t"},
          {"partition", std::int64_t{0}},
          {"offset", offset}});
  };
  commit(100, 5);
  commit(200, 5);
  commit(300, 9);
  CHECK(checker.violation_count() == 0);
  commit(400, 7);
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations()[0].checker == "consumer_offsets");
  CHECK(checker.violations()[0].time_ms == 400);
}

TEST_CASE("Raft safety: two leaders in one term, and divergent applies") {
  RaftSafetyFeed safety;
  auto role = [&](std::int64_t at, int node, int term) {
    feed(
        safety, at, "raft.role_changed",
        {{"group", "__meta"}, {"node", node}, {"term", term}, {"role", "leader"}, {"reason", "x"}});
  };
  auto apply = [&](std::int64_t at, int node, int index, std::int64_t hash) {
    feed(safety, at, "raft.applied",
         {{"group", "__meta"}, {"node", node}, {"term", 1}, {"index", index}, {"hash", hash}});
  };
  role(10, 1, 1);
  apply(20, 1, 1, 100);
  apply(21, 2, 1, 100);
  apply(22, 1, 2, 200);
  CHECK(safety.violation_count() == 0);
  // A restarted node re-applies from the start without a false alarm.
  feed(safety, 30, "node.started", {{"node", 2}});
  apply(31, 2, 1, 100);
  apply(32, 2, 2, 200);
  CHECK(safety.violation_count() == 0);
  apply(40, 3, 2, 999);  // a different entry at index 2 (after a snapshot gap)
  CHECK(safety.violation_count() >= 1);
  const std::uint64_t after_apply = safety.violation_count();
  role(50, 2, 1);  // a second leader in term 1
  CHECK(safety.violation_count() == after_apply + 1);
  const auto violations = safety.violations();
  REQUIRE_FALSE(violations.empty());
  CHECK(violations.back().time_ms == 50);
  CHECK(violations.back().group == "__meta");
}

TEST_CASE(
    "issue 11: a consumer that also read another record at an acknowledged offset is flagged") {
  DataChecker checker;
  ack(checker, 100, 0, 11);
  ack(checker, 110, 1, 12);
  consume(checker, 200, 0, 11);
  consume(checker, 210, 1, 12);
  consume(checker, 220, 1, 666);  // a corrupt copy, read as well
  const auto lost = checker.finish(millis(10'000), 5000, {"t"}, [](const std::string&, int) {
    return std::vector<Cluster::StoredRecord>{{0, 11}, {1, 12}};
  });
  CHECK(lost.empty());
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations()[0].checker == "acked_records");
  CHECK(checker.violations()[0].detail.find("offset 1") != std::string::npos);
}

namespace {

// Log records as broker/log_trace.h emits them, for group "g".
struct LogFeed {
  RaftSafetyFeed& safety;
  void entries(std::int64_t at, int node, int index, int count, int term) {
    feed(safety, at, "raft.entries",
         {{"group", "g"}, {"node", node}, {"index", index}, {"count", count}, {"term", term}});
  }
  void committed(std::int64_t at, int node, int term, int commit) {
    feed(safety, at, "raft.committed",
         {{"group", "g"}, {"node", node}, {"term", term}, {"commit", commit}});
  }
  void leader(std::int64_t at, int node, int term) {
    feed(safety, at, "raft.role_changed",
         {{"group", "g"}, {"node", node}, {"term", term}, {"role", "leader"}, {"reason", "x"}});
  }
  void commit_advanced(std::int64_t at, int node, int term, int index) {
    feed(safety, at, "raft.commit_advanced",
         {{"group", "g"}, {"node", node}, {"term", term}, {"index", index}});
  }
};

std::string only_checker(const RaftSafetyFeed& safety) {
  const auto violations = safety.violations();
  return violations.empty() ? "" : violations.front().checker;
}

}  // namespace

TEST_CASE("log matching on mirrored logs: a kept conflicting suffix is caught at the next leader") {
  RaftSafetyFeed safety;
  LogFeed log{safety};
  log.entries(1, 1, 1, 2, 1);  // n1: 1/1 2/1
  log.entries(1, 1, 3, 1, 2);  //     3/2
  log.entries(2, 2, 1, 1, 1);  // n2: 1/1
  log.entries(2, 2, 2, 2, 2);  //     2/2 3/2: agrees on 3 but not on 2
  CHECK(safety.violation_count() == 0);
  log.leader(3, 1, 2);
  CHECK(only_checker(safety) == "log_matching");
  CHECK(safety.checks().at("log_matching") > 0);
}

TEST_CASE("log matching holds for logs that only differ past their last common term") {
  RaftSafetyFeed safety;
  LogFeed log{safety};
  log.entries(1, 1, 1, 3, 1);
  log.entries(1, 2, 1, 2, 1);
  log.entries(1, 2, 3, 1, 2);  // differs at 3 only: a follower's suffix, allowed
  log.leader(2, 1, 1);
  safety.finish(millis(5));
  CHECK(safety.violation_count() == 0);
  CHECK(safety.checks().at("log_matching") >= 3);
}

TEST_CASE("committed prefix: a log rewritten below its commit index is caught at the end") {
  RaftSafetyFeed safety;
  LogFeed log{safety};
  log.entries(1, 1, 1, 3, 1);
  log.committed(2, 1, 1, 3);
  log.entries(1, 2, 1, 3, 1);
  log.committed(2, 2, 1, 3);
  CHECK(safety.violation_count() == 0);
  log.entries(4, 2, 2, 1, 5);  // broken: truncates committed index 2 (and 3)
  safety.finish(millis(9));
  CHECK(only_checker(safety) == "committed_prefix");
  CHECK(safety.violations().front().time_ms == 9);
  CHECK(safety.checks().at("committed_prefix") > 0);
}

TEST_CASE("a node that commits a different entry than another is caught at its commit") {
  RaftSafetyFeed safety;
  LogFeed log{safety};
  log.entries(1, 1, 1, 2, 1);
  log.committed(2, 1, 1, 2);
  log.entries(1, 2, 1, 1, 1);
  log.entries(1, 2, 2, 1, 2);
  log.committed(3, 2, 2, 2);
  CHECK(only_checker(safety) == "state_machine_safety");
}

TEST_CASE("leader completeness: a leader lacking an entry committed in an earlier term") {
  RaftSafetyFeed safety;
  LogFeed log{safety};
  log.entries(1, 1, 1, 3, 1);
  log.leader(1, 1, 1);
  log.committed(2, 1, 1, 3);  // committed in term 1
  log.entries(1, 2, 1, 1, 1);
  CHECK(safety.violation_count() == 0);
  log.leader(5, 2, 2);  // broken: elected without index 2..3
  CHECK(only_checker(safety) == "leader_completeness");
  CHECK(safety.checks().at("leader_completeness") > 0);
}

TEST_CASE("commit onto an own-term entry only (Figure 8): an older-term commit is caught") {
  RaftSafetyFeed safety;
  LogFeed log{safety};
  log.entries(1, 1, 1, 1, 1);
  log.entries(1, 1, 2, 1, 2);
  log.entries(1, 1, 3, 1, 4);
  log.commit_advanced(2, 1, 4, 3);  // its own term: fine
  CHECK(safety.violation_count() == 0);
  log.commit_advanced(3, 1, 4, 2);  // broken (and also backwards): term 2 entry
  CHECK(only_checker(safety) == "commit_own_term");
  CHECK(safety.checks().at("commit_own_term") == 2);
}

TEST_CASE("every checker is reported in checks(), idle ones with 0") {
  RaftSafetyFeed safety;
  const auto checks = safety.checks();
  for (const char* name :
       {"election_safety", "state_machine_safety", "apply_order", "leader_completeness",
        "committed_prefix", "log_matching", "commit_own_term"}) {
    REQUIRE(checks.count(name) == 1);
    CHECK(checks.at(name) == 0);
  }
  DataChecker data;
  CHECK(data.checks().size() == 3);
}

TEST_CASE("a consumer's regression records fail consumer_offsets") {
  DataChecker checker;
  auto regression = [&](std::int64_t at, const char* what) {
    feed(checker, at, "consume.offset_regression",
         {{"client", "c1"},
          {"group_id", "g"},
          {"topic", "t"},
          {"partition", std::int64_t{0}},
          {"offset", std::int64_t{3}},
          {"previous", std::int64_t{5}},
          {"kind", what}});
  };
  regression(11, "committed");
  regression(12, "consumed");
  REQUIRE(checker.violation_count() == 2);
  CHECK(checker.violations()[0].checker == "consumer_offsets");
  CHECK(checker.violations()[1].group == "t/0");
  CHECK(checker.checks().at("consumer_offsets") == 2);
  CHECK(checker.checks().at("high_watermark") == 0);
}

TEST_CASE("high_watermark checks every fetch and fails one below what the consumer saw before") {
  DataChecker checker;
  auto fetch = [&](std::int64_t at, std::int64_t watermark, std::int64_t previous) {
    feed(checker, at, "consume.fetch",
         {{"client", "consumer2"},
          {"topic", "t"},
          {"partition", std::int64_t{1}},
          {"high_watermark", watermark},
          {"previous", previous}});
  };
  fetch(10, 4, -1);  // the first fetch of an incarnation
  fetch(11, 4, 4);   // unchanged: fine
  fetch(12, 9, 4);
  CHECK(checker.violation_count() == 0);
  fetch(13, 7, 9);  // a new leader that has not applied its predecessor's commits
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations()[0].checker == "high_watermark");
  CHECK(checker.violations()[0].group == "t/1");
  CHECK(checker.violations()[0].time_ms == 13);
  CHECK(checker.checks().at("high_watermark") == 4);
}

TEST_CASE("the checker table names every checker the Raft safety feed and data checker report") {
  auto listed = [](const std::string& name) {
    return std::find(std::begin(kCheckerNames), std::end(kCheckerNames), name) !=
           std::end(kCheckerNames);
  };
  for (const auto& [name, count] : RaftSafetyFeed().checks()) CHECK(listed(name));
  for (const auto& [name, count] : DataChecker().checks()) CHECK(listed(name));
}
