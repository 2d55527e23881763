#include "tools/simrun/assertions.h"

#include <doctest/doctest.h>

using namespace simrun::cli;

TEST_CASE("compare implements each operator, including the boundary") {
  CHECK(compare(5, "<=", 5));
  CHECK_FALSE(compare(5, "<", 5));
  CHECK(compare(5, ">=", 5));
  CHECK_FALSE(compare(5, ">", 5));
  CHECK(compare(0, "==", 0));
  CHECK_FALSE(compare(0.5, "==", 0));
  CHECK(compare(0.995, ">=", 0.99));
  CHECK_THROWS_AS(compare(1, "!=", 1), std::invalid_argument);
}

TEST_CASE("assertions read totals, a group, or a window's metrics") {
  Metrics whole;
  whole.totals.max_term = 12;
  whole.groups["__meta"].max_term = 3;
  whole.groups["__meta"].metadata_sync.success_rate = 0.5;
  Metrics late;
  late.totals.max_term = 2;
  const TimeWindow window{10'000, 20'000};

  std::vector<AssertionSpec> specs(5);
  specs[0] = {"total term", "max_term", "<=", 5, "", std::nullopt};
  specs[1] = {"meta term", "max_term", "<=", 5, "__meta", std::nullopt};
  specs[2] = {"late term", "max_term", "<=", 5, "", window};
  specs[3] = {"sync", "metadata_sync.success_rate", ">=", 0.99, "__meta", std::nullopt};
  specs[4] = {"never seen", "leaderless_ms", "<=", 1000, "orders/3", std::nullopt};
  int windowed_lookups = 0;
  const auto results =
      evaluate_assertions(specs, [&](const std::optional<TimeWindow>& w) -> const Metrics& {
        if (w) {
          CHECK(*w == window);
          ++windowed_lookups;
          return late;
        }
        return whole;
      });
  REQUIRE(results.size() == 5);
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].value == 12);
  CHECK(results[1].passed);
  CHECK(results[2].passed);
  CHECK(windowed_lookups == 1);
  CHECK_FALSE(results[3].passed);
  CHECK(results[3].value == 0.5);
  CHECK_FALSE(results[4].passed);
  CHECK(to_json(results[1])["group"] == "__meta");
}

TEST_CASE("an assertion on a ratio with a zero denominator fails and says why") {
  Metrics metrics;  // no metadata sync started
  std::vector<AssertionSpec> specs(2);
  specs[0] = {"sync", "metadata_sync.success_rate", ">=", 0.0, "", std::nullopt};
  specs[1] = {"term", "max_term", ">=", 0.0, "", std::nullopt};
  const auto results = evaluate_assertions(
      specs, [&](const std::optional<TimeWindow>&) -> const Metrics& { return metrics; });
  REQUIRE(results.size() == 2);
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail.find("no metadata sync started") != std::string::npos);
  CHECK(to_json(results[0])["detail"] == results[0].detail);
  CHECK(results[1].passed);
  CHECK(results[1].detail.empty());
}
