#include "tools/simrun/finding.h"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "raft/assert.h"
#include "sim/assert.h"

using namespace simrun::cli;

TEST_CASE("raft/ and broker/ are the system under test; sim/ and tools/ are simrun") {
  CHECK(origin_of("/work/x/broker/node.cpp") == AssertionOrigin::system_under_test);
  CHECK(origin_of("../raft/raft.cpp") == AssertionOrigin::system_under_test);
  CHECK(origin_of("raft/log.h") == AssertionOrigin::system_under_test);
  CHECK(origin_of("/work/x/sim/world.cpp") == AssertionOrigin::simrun);
  CHECK(origin_of("/work/x/tools/simrun/runner.cpp") == AssertionOrigin::simrun);
  // The last root wins: a checkout under a folder named broker/ is not the broker.
  CHECK(origin_of("/home/broker/simrun/sim/scheduler.cpp") == AssertionOrigin::simrun);
  CHECK(repository_path("/home/broker/simrun/sim/scheduler.cpp") == "sim/scheduler.cpp");
  CHECK(repository_path("elsewhere.cpp") == "elsewhere.cpp");
}

TEST_CASE("the finding text and summary carry the assertion, its location and the repro line") {
  const FailedAssertion failed{"term >= 0", "a term is never negative", "broker/group.cpp", 42};
  const FindingContext context{
      "unit", "scenarios/unit.json", 7, "simrun scenarios/unit.json --seed 7", "", {"a=1"}};
  const std::string text = finding_text(failed, context);
  CHECK(text.find("FINDING") != std::string::npos);
  CHECK(text.find("broker/group.cpp:42: assertion failed: term >= 0") != std::string::npos);
  CHECK(text.find("repro: simrun scenarios/unit.json --seed 7") != std::string::npos);
  const nlohmann::json summary = finding_summary(failed, context);
  CHECK(summary["passed"] == false);
  CHECK(summary["failed"][0] == "assertion:broker/group.cpp:42");
  CHECK(summary["finding"]["message"] == "a term is never negative");
  CHECK(summary["override_args"][0] == "a=1");

  const FailedAssertion internal{"x", "y", "tools/simrun/runner.cpp", 9};
  CHECK(finding_text(internal, context).find("internal error") != std::string::npos);
  CHECK(finding_summary(internal, context).contains("internal_error"));
}

namespace {

// Runs `fail` in a child process with a handler installed; returns its exit
// status (-1 if it did not exit normally).
template <typename Fail>
int exit_status_of(const std::string& report_dir, Fail fail) {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const ScopedFindingHandler handler(FindingContext{
        "unit", "scenarios/unit.json", 3, "simrun scenarios/unit.json --seed 3", report_dir, {}});
    fail();
    std::_Exit(99);  // the assertion did not end the process
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("a failed assertion ends the process: 1 in raft/ or broker/, 3 elsewhere") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("simrun_finding_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  CHECK(exit_status_of(dir.string(), [] {
          simrun::raft::detail::assert_failed("false", "raft invariant", "/src/raft/raft.cpp", 5);
        }) == kExitFinding);
  std::ifstream in(dir / "summary.json");
  REQUIRE(in.good());
  const nlohmann::json summary = nlohmann::json::parse(in);
  CHECK(summary["failed"][0] == "assertion:raft/raft.cpp:5");
  CHECK(summary["repro"] == "simrun scenarios/unit.json --seed 3");
  CHECK(exit_status_of("", [] { SIMRUN_ASSERT(1 + 1 == 3, "simrun's own invariant"); }) ==
        kExitInternalError);
  std::filesystem::remove_all(dir);
}
