#include "sim/safety_checker.h"

#include <doctest/doctest.h>

#include <map>
#include <vector>

namespace simrun::sim {
namespace {

// A plain log for building LogViews: entries[i] is index first_index + i.
struct TestLog {
  std::uint32_t node = 0;
  std::uint64_t first_index = 1;
  std::vector<LogEntryId> entries;
  std::uint64_t commit = 0;

  LogView view() const {
    return LogView{node, first_index, first_index + entries.size() - 1, commit,
                   [this](std::uint64_t index) { return entries.at(index - first_index); }};
  }
};

}  // namespace

TEST_CASE("election safety: one leader per term per group") {
  SafetyChecker checker;
  checker.set_time(42);
  checker.observe_leader("g", 1, 3);
  checker.observe_leader("g", 1, 3);  // repeated report of the same leader
  checker.observe_leader("g", 2, 4);
  checker.observe_leader("other", 3, 3);  // groups are independent
  CHECK(checker.ok());

  checker.observe_leader("g", 2, 3);
  REQUIRE(checker.violation_count() == 1);
  const SafetyViolation& v = checker.violations().front();
  CHECK(v.checker == "election_safety");
  CHECK(v.time == 42);
  CHECK(v.group == "g");
  CHECK(v.nodes == std::vector<std::uint32_t>{1, 2});
  CHECK(checker.report().find("two leaders in term 3") != std::string::npos);
}

TEST_CASE("state machine safety: commits and applies must agree per index") {
  SafetyChecker checker;
  checker.observe_commit("g", 1, 1, {1, 100}, 1);
  checker.observe_commit("g", 2, 1, {1, 100}, 2);
  checker.observe_apply("g", 3, 1, {1, 100});
  CHECK(checker.ok());

  SUBCASE("different term") {
    checker.observe_commit("g", 2, 2, {1, 7}, 2);
    checker.observe_apply("g", 3, 2, {2, 7});
    CHECK(checker.violation_count() == 1);
    CHECK(checker.violations().front().checker == "state_machine_safety");
  }
  SUBCASE("same term, different payload") {
    checker.observe_apply("g", 1, 1, {1, 101});
    CHECK(checker.violation_count() == 1);
  }
}

TEST_CASE("apply order: no gaps and no repeats without a restart") {
  SafetyChecker checker;
  checker.observe_restart("g", 1, 0);
  checker.observe_apply("g", 1, 1, {1, 1});
  checker.observe_apply("g", 1, 2, {1, 2});
  CHECK(checker.ok());
  checker.observe_apply("g", 1, 4, {1, 4});
  CHECK(checker.violation_count() == 1);
  CHECK(checker.violations().back().checker == "apply_order");

  // After a restart from a snapshot at 4 the node resumes at 5.
  checker.observe_restart("g", 1, 4);
  checker.observe_apply("g", 1, 5, {1, 5});
  checker.observe_snapshot_restore("g", 1, 9, 2);
  checker.observe_apply("g", 1, 10, {2, 10});
  CHECK(checker.violation_count() == 1);
}

TEST_CASE("snapshot restore must agree with the committed entry at its index") {
  SafetyChecker checker;
  checker.observe_commit("g", 1, 5, {2, 50}, 2);
  checker.observe_snapshot_restore("g", 2, 5, 2);
  CHECK(checker.ok());
  checker.observe_snapshot_restore("g", 3, 5, 3);
  CHECK(checker.violation_count() == 1);
}

TEST_CASE("log matching: equal term at an index implies equal prefixes") {
  SafetyChecker checker;
  TestLog a{1, 1, {{1, 1}, {1, 2}, {2, 3}}, 0};
  TestLog b{2, 1, {{1, 1}, {1, 2}, {3, 9}}, 0};  // diverges at 3 with another term: fine
  TestLog c{3, 2, {{1, 2}}, 0};                  // compacted below 2
  std::vector<LogView> views{a.view(), b.view(), c.view()};
  checker.check_logs("g", views);
  CHECK(checker.ok());

  TestLog bad{4, 1, {{1, 1}, {1, 99}, {2, 3}}, 0};  // same term at 3, different entry at 2
  std::vector<LogView> with_bad{a.view(), bad.view()};
  checker.check_logs("g", with_bad);
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations().front().checker == "log_matching");
  CHECK(checker.violations().front().nodes == std::vector<std::uint32_t>{1, 4});

  TestLog same_term_other_hash{5, 1, {{1, 1}, {1, 2}, {2, 4}}, 0};
  std::vector<LogView> pair{a.view(), same_term_other_hash.view()};
  checker.check_logs("g", pair);
  CHECK(checker.violation_count() == 2);
}

TEST_CASE("committed prefix: a node's log below its commit index equals the committed entries") {
  SafetyChecker checker;
  checker.observe_commit("g", 1, 1, {1, 1}, 1);
  checker.observe_commit("g", 1, 2, {1, 2}, 1);
  TestLog good{2, 1, {{1, 1}, {1, 2}, {2, 5}}, 2};
  TestLog uncommitted_differs{3, 1, {{1, 1}, {3, 8}}, 1};  // index 2 not committed on node 3
  std::vector<LogView> views{good.view(), uncommitted_differs.view()};
  checker.check_logs("g", views);
  CHECK(checker.ok());

  TestLog lost{4, 1, {{1, 1}, {3, 8}}, 2};  // claims 2 committed with another entry
  std::vector<LogView> bad{lost.view()};
  checker.check_logs("g", bad);
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations().front().checker == "committed_prefix");
}

TEST_CASE("leader completeness: entries committed in earlier terms must be in the leader's log") {
  SafetyChecker checker;
  checker.observe_commit("g", 1, 1, {1, 1}, 1);
  checker.observe_commit("g", 1, 2, {2, 2}, 2);
  // Committed only as far as a node in term 5 knows: a leader of term 4 may
  // lack it (the committing leader could be of term 5).
  checker.observe_commit("g", 2, 3, {2, 3}, 5);

  TestLog leader3{3, 1, {{1, 1}, {2, 2}}, 2};
  checker.check_leader_log("g", 3, leader3.view());
  checker.check_leader_log("g", 4, leader3.view());
  CHECK(checker.ok());

  TestLog compacted{3, 3, {{2, 3}}, 3};  // indexes 1..2 are in its snapshot
  checker.check_leader_log("g", 6, compacted.view());
  CHECK(checker.ok());

  checker.check_leader_log("g", 6, leader3.view());  // lacks index 3, committed by term <= 5
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations().back().checker == "leader_completeness");

  TestLog wrong{4, 1, {{1, 1}, {3, 2}}, 1};
  checker.check_leader_log("g", 3, wrong.view());
  CHECK(checker.violation_count() == 2);

  // A later, lower report tightens the bound: now the term-4 leader is wrong.
  checker.observe_commit("g", 1, 3, {2, 3}, 2);
  checker.check_leader_log("g", 4, leader3.view());
  CHECK(checker.violation_count() == 3);
}

TEST_CASE("memory stays bounded: entries every member applied are forgotten") {
  SafetyChecker checker;
  checker.set_members("g", {1, 2});
  checker.observe_restart("g", 1, 0);
  checker.observe_restart("g", 2, 0);
  for (std::uint64_t index = 1; index <= 100; ++index) {
    checker.observe_commit("g", 1, index, {1, index}, 1);
    checker.observe_apply("g", 1, index, {1, index});
  }
  CHECK(checker.remembered_committed("g") == 100);
  for (std::uint64_t index = 1; index <= 90; ++index) {
    checker.observe_apply("g", 2, index, {1, index});
  }
  CHECK(checker.remembered_committed("g") == 10);
  CHECK(checker.forgotten_below("g") == 91);
  // A disagreement below the watermark can no longer be seen; above it, it is.
  checker.observe_apply("g", 2, 91, {1, 9999});
  CHECK(checker.violation_count() == 1);
  CHECK(checker.ok() == false);

  SafetyChecker::Options options;
  options.max_committed_per_group = 8;
  options.max_violations = 2;
  SafetyChecker capped(options);
  for (std::uint64_t index = 1; index <= 50; ++index) {
    capped.observe_commit("g", 1, index, {1, index}, 1);
  }
  CHECK(capped.remembered_committed("g") == 8);
  CHECK(capped.forgotten_below("g") == 43);
  for (std::uint64_t term = 1; term <= 5; ++term) {
    capped.observe_leader("g", 1, term);
    capped.observe_leader("g", 2, term);
  }
  CHECK(capped.violation_count() == 5);
  CHECK(capped.violations().size() == 2);
  CHECK(capped.report().find("3 more not kept") != std::string::npos);
}

TEST_CASE("below a restart floor entries are forgotten; re-applies above it are still checked") {
  // Issue 12 (tools/simrun/restart_floor.h): every node's durable snapshot
  // is at or above 60, so no node can apply an index below 61 again, nor
  // restore a snapshot ending below 60.
  SafetyChecker checker;
  for (std::uint32_t node = 1; node <= 3; ++node) {
    checker.observe_restart("g", node, 0);
    for (std::uint64_t index = 1; index <= 100; ++index) {
      checker.observe_commit("g", node, index, {2, index}, 2);
      checker.observe_apply("g", node, index, {2, index});
    }
  }
  REQUIRE(checker.ok());
  checker.forget_below("g", 60);
  CHECK(checker.forgotten_below("g") == 60);
  CHECK(checker.remembered_committed("g") == 41);  // 60..100: the floor's own entry stays
  checker.forget_below("g", 20);                   // a floor never goes down
  CHECK(checker.forgotten_below("g") == 60);

  // Node 3 restarts from its snapshot at 60 and re-applies a divergent 61.
  checker.observe_restart("g", 3, 60);
  checker.observe_apply("g", 3, 61, {2, 6161});
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations().back().checker == "state_machine_safety");
  // A snapshot ending at the floor with another term is still caught.
  checker.observe_snapshot_restore("g", 2, 60, 1);
  REQUIRE(checker.violation_count() == 2);
  CHECK(checker.violations().back().checker == "state_machine_safety");
  // So is a divergent commit anywhere at or above the floor.
  checker.observe_commit("g", 1, 100, {3, 100}, 3);
  CHECK(checker.violation_count() == 3);
  // Below it nothing is compared (no node can apply there any more).
  const auto before = checker.checks().at("state_machine_safety");
  checker.observe_commit("g", 1, 59, {3, 59}, 3);
  checker.observe_snapshot_restore("g", 2, 59, 1);
  CHECK(checker.violation_count() == 3);
  CHECK(checker.checks().at("state_machine_safety") == before);
}

TEST_CASE("the violation handler sees each violation as it happens") {
  SafetyChecker checker;
  std::vector<std::string> seen;
  checker.set_violation_handler([&](const SafetyViolation& v) { seen.push_back(v.checker); });
  checker.observe_leader("g", 1, 1);
  checker.observe_leader("g", 2, 1);
  checker.observe_commit("g", 1, 1, {1, 1}, 1);
  checker.observe_commit("g", 2, 1, {1, 2}, 1);
  CHECK(seen == std::vector<std::string>{"election_safety", "state_machine_safety"});
}

}  // namespace simrun::sim

namespace simrun::sim {

TEST_CASE("an unknown payload hash matches on the term alone, and learns the hash later") {
  CHECK(same_entry({2, kUnknownHash}, {2, 77}));
  CHECK(same_entry({2, 77}, {2, 77}));
  CHECK_FALSE(same_entry({2, 77}, {2, 78}));
  CHECK_FALSE(same_entry({2, kUnknownHash}, {3, kUnknownHash}));
  SafetyChecker checker;
  checker.observe_commit("g", 1, 1, {2, kUnknownHash}, 2);  // from a mirrored log
  checker.observe_apply("g", 2, 1, {2, 77});                // fills in the hash
  CHECK(checker.ok());
  checker.observe_apply("g", 3, 1, {2, 78});  // broken: another payload at (1, 2)
  CHECK(checker.violation_count() == 1);
  CHECK(checker.violations()[0].checker == "state_machine_safety");
}

TEST_CASE("commit own term (Figure 8): counted, and a commit onto an older term is caught") {
  SafetyChecker checker;
  checker.check_commit_term("g", 1, 4, 10, 4);
  CHECK(checker.ok());
  checker.check_commit_term("g", 1, 4, 9, 2);
  REQUIRE(checker.violation_count() == 1);
  CHECK(checker.violations()[0].checker == "commit_own_term");
  CHECK(checker.checks().at("commit_own_term") == 2);
  CHECK(checker.checks().size() == SafetyChecker::checker_names().size());
}

}  // namespace simrun::sim
