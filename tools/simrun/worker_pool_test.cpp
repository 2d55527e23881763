#include "tools/simrun/worker_pool.h"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <thread>

using namespace simrun::cli;

TEST_CASE("every task's result comes back, whatever the number of jobs") {
  for (unsigned jobs : {1u, 3u}) {
    std::map<std::size_t, std::string> results;
    WorkerPoolOptions options;
    options.jobs = jobs;
    run_in_workers(
        7, options, [](std::size_t i) { return "task " + std::to_string(i * i); },
        [&](std::size_t i, WorkerOutcome&& outcome) {
          CHECK(outcome.end == WorkerEnd::exited);
          CHECK(outcome.exit_code == 0);
          results[i] = outcome.output;
          return true;
        });
    REQUIRE(results.size() == 7);
    CHECK(results[6] == "task 36");
  }
}

TEST_CASE("an abort, an exception and a hang are that task's outcome, not the pool's") {
  std::map<std::size_t, WorkerOutcome> outcomes;
  WorkerPoolOptions options;
  options.jobs = 2;
  options.wall_budget_ms = 500;
  run_in_workers(
      4, options,
      [](std::size_t i) -> std::string {
        if (i == 1) {
          std::fprintf(stderr, "about to abort\n");
          std::abort();
        }
        if (i == 2) throw std::runtime_error("bad task");
        if (i == 3) {
          for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return "fine";
      },
      [&](std::size_t i, WorkerOutcome&& outcome) {
        outcomes[i] = std::move(outcome);
        return true;
      });
  REQUIRE(outcomes.size() == 4);
  CHECK(outcomes[0].output == "fine");
  CHECK(outcomes[1].end == WorkerEnd::signaled);
  CHECK(outcomes[1].signal == SIGABRT);
  CHECK(outcomes[1].stderr_tail.find("about to abort") != std::string::npos);
  CHECK(outcomes[2].end == WorkerEnd::exited);
  CHECK(outcomes[2].exit_code == 3);
  CHECK(outcomes[2].stderr_tail.find("bad task") != std::string::npos);
  CHECK(outcomes[3].end == WorkerEnd::wall_budget);
  CHECK(outcomes[3].wall_ms >= 500);
  CHECK(signal_name(SIGABRT) == "SIGABRT");
  CHECK(signal_name(SIGSEGV) == "SIGSEGV");
}

TEST_CASE("on_done returning false starts no further task; running ones still report") {
  std::vector<std::size_t> seen;
  WorkerPoolOptions options;
  options.jobs = 1;
  run_in_workers(
      10, options, [](std::size_t) { return std::string("x"); },
      [&](std::size_t i, WorkerOutcome&&) {
        seen.push_back(i);
        return i < 2;
      });
  CHECK(seen == std::vector<std::size_t>{0, 1, 2});
  CHECK(available_cores() >= 1);
}
