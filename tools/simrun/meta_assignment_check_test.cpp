#include "tools/simrun/meta_assignment_check.h"

#include <doctest/doctest.h>

using namespace simrun::cli;

TEST_CASE("published assignments that match the real leaders pass") {
  std::uint64_t checks = 0;
  const auto violations = check_meta_assignments(
      {{"orders/0", {1, 3}}, {"orders/1", {2, 5}}},
      {{"orders/0", {1, 3}}, {"orders/1", {2, 5}}, {"orders/2", {0, 0}}}, 100, checks);
  CHECK(violations.empty());
  CHECK(checks == 2);  // orders/2 has no leader: not compared
}

TEST_CASE("a stale epoch, a wrong leader or a missing assignment is caught") {
  std::uint64_t checks = 0;
  const auto violations = check_meta_assignments(
      {{"orders/0", {1, 2}}, {"orders/1", {3, 5}}},
      {{"orders/0", {1, 3}}, {"orders/1", {2, 5}}, {"orders/2", {2, 1}}}, 700, checks);
  REQUIRE(violations.size() == 3);
  CHECK(violations[0].checker == "meta_assignment");
  CHECK(violations[0].group == "orders/0");
  CHECK(violations[0].time_ms == 700);
  CHECK(violations[1].nodes == std::vector<std::uint32_t>{2});
  CHECK(violations[2].group == "orders/2");
  CHECK(checks == 3);
}
