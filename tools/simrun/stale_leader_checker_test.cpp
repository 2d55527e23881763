#include "tools/simrun/stale_leader_checker.h"

#include "tools/simrun/trace_feed_for_tests.h"

#include <doctest/doctest.h>

using namespace simrun::cli;
using simrun::cli::testing::feed;
using simrun::sim::millis;

namespace {

// Three replicas of "g"; node 1 leads term 1, then nodes 2 and 3 move on to
// term 2 (a partition) at 100 ms.
StaleLeaderChecker partitioned_leader() {
  StaleLeaderChecker checker;
  checker.set_bound("g", millis(500));
  checker.set_node_process(1, 10);
  for (int node = 1; node <= 3; ++node) {
    feed(checker, 0, "raft.log_loaded", {{"group", "g"}, {"node", node}});
  }
  feed(checker, 10, "raft.role_changed",
       {{"group", "g"}, {"node", 1}, {"term", 1}, {"role", "leader"}, {"reason", "x"}});
  feed(checker, 100, "raft.term_changed", {{"group", "g"}, {"node", 2}, {"term", 2}});
  feed(checker, 100, "raft.term_changed", {{"group", "g"}, {"node", 3}, {"term", 2}});
  return checker;
}

}  // namespace

TEST_CASE("a leader that steps down within the bound is fine") {
  StaleLeaderChecker checker = partitioned_leader();
  feed(checker, 550, "raft.role_changed",
       {{"group", "g"}, {"node", 1}, {"term", 2}, {"role", "follower"}, {"reason", "x"}});
  checker.finish(millis(5000));
  CHECK(checker.violation_count() == 0);
  CHECK(checker.checks() > 0);
}

TEST_CASE("a leader that stays leader beyond the bound is a stale leader") {
  StaleLeaderChecker checker = partitioned_leader();
  feed(checker, 400, "raft.heartbeat_gap", {{"group", "g"}});  // unrelated: ignored
  checker.finish(millis(700));
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations()[0].checker == "stale_leader");
  CHECK(checker.violations()[0].nodes == std::vector<std::uint32_t>{1});
  CHECK(checker.violations()[0].time_ms == 700);
  checker.finish(millis(900));  // reported once per leadership
  CHECK(checker.violation_count() == 1);
}

TEST_CASE("a minority in a higher term, or time paused or crashed, does not count") {
  StaleLeaderChecker minority;
  minority.set_bound("g", millis(500));
  for (int node = 1; node <= 3; ++node) {
    feed(minority, 0, "raft.log_loaded", {{"group", "g"}, {"node", node}});
  }
  feed(minority, 10, "raft.role_changed",
       {{"group", "g"}, {"node", 1}, {"term", 1}, {"role", "leader"}, {"reason", "x"}});
  feed(minority, 100, "raft.term_changed", {{"group", "g"}, {"node", 3}, {"term", 7}});
  minority.finish(millis(5000));
  CHECK(minority.violation_count() == 0);

  StaleLeaderChecker paused = partitioned_leader();
  feed(paused, 200, "fault", {{"type", "pause"}, {"process", 10}});
  feed(paused, 2000, "fault", {{"type", "resume"}, {"process", 10}});
  paused.finish(millis(2400));  // 400 ms counted since the resume
  CHECK(paused.violation_count() == 0);
  paused.finish(millis(2600));
  CHECK(paused.violation_count() == 1);

  StaleLeaderChecker crashed = partitioned_leader();
  feed(crashed, 300, "node.crashed", {{"node", 1}});
  crashed.finish(millis(5000));
  CHECK(crashed.violation_count() == 0);
}
