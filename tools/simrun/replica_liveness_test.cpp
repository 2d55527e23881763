#include "tools/simrun/replica_liveness.h"

#include "tools/simrun/trace_feed_for_tests.h"

#include <doctest/doctest.h>

using namespace simrun::cli;
using simrun::cli::testing::feed;
using simrun::sim::millis;

namespace {

void applied(ReplicaLivenessChecker& checker, std::int64_t at_ms, std::int64_t node,
             std::int64_t index) {
  feed(checker, at_ms, "raft.applied",
       {{"group", "orders/0"},
        {"node", node},
        {"term", std::int64_t{1}},
        {"index", index},
        {"hash", std::int64_t{0}}});
}

}  // namespace

TEST_CASE("issue 11: replicas that catch up within the bound pass; one stuck behind is named") {
  // Heal at 10 s, deadline 20 s.
  ReplicaLivenessChecker checker(millis(10'000), millis(20'000));
  for (std::int64_t node = 1; node <= 3; ++node) applied(checker, 1000, node, 5);
  applied(checker, 9000, 1, 50);  // the target at the heal: 50
  applied(checker, 9000, 2, 50);
  feed(checker, 9500, "node.crashed", {{"node", std::int64_t{3}}});
  feed(checker, 10'000, "node.started", {{"node", std::int64_t{3}}});
  applied(checker, 10'100, 3, 20);  // re-applies, then stops short of 50
  applied(checker, 12'000, 1, 80);
  applied(checker, 12'000, 2, 80);
  checker.finish();
  CHECK(checker.replicas_checked() == 3);
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations()[0].checker == "replica_liveness");
  CHECK(checker.violations()[0].group == "orders/0");
  CHECK(checker.violations()[0].nodes == std::vector<std::uint32_t>{3});
}

TEST_CASE("issue 11: a replica catching up after the deadline fails; a replica down is not asked") {
  ReplicaLivenessChecker late(millis(10'000), millis(20'000));
  applied(late, 9000, 1, 50);
  applied(late, 9000, 2, 10);
  applied(late, 25'000, 2, 60);  // too late
  late.finish();
  REQUIRE(late.violation_count() == 1);
  // What it had applied by the deadline, not what it reached afterwards.
  CHECK(late.violations()[0].detail ==
        "replica n2 applied through 10 by the liveness deadline, short of index 50 that its "
        "group had applied when the last fault ended");

  ReplicaLivenessChecker down(millis(10'000), millis(20'000));
  applied(down, 9000, 1, 50);
  applied(down, 9000, 2, 10);
  feed(down, 15'000, "node.crashed", {{"node", std::int64_t{2}}});
  down.finish();
  CHECK(down.violation_count() == 0);
  CHECK(down.replicas_checked() == 1);
}
