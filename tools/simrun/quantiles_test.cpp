#include "tools/simrun/quantiles.h"

#include <doctest/doctest.h>

using namespace simrun::cli;

TEST_CASE("nearest rank: p50 of 1..10 is 5, p90 is 9, p99 of 1..100 is 99") {
  std::vector<double> ten;
  for (int i = 1; i <= 10; ++i) ten.push_back(i);
  CHECK(nearest_rank(ten, 50) == 5);
  CHECK(nearest_rank(ten, 90) == 9);
  CHECK(nearest_rank(ten, 10) == 1);
  CHECK(nearest_rank(ten, 0) == 1);
  CHECK(nearest_rank(ten, 100) == 10);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(nearest_rank(hundred, 99) == 99);
  CHECK(nearest_rank(hundred, 10) == 10);
}

TEST_CASE("quantiles_of sorts its input and returns values that occur") {
  const Quantiles q = quantiles_of({7.5, 1, 3, 2, 100});
  CHECK(q.count == 5);
  CHECK(q.get("min") == 1);
  CHECK(q.get("p10") == 1);
  CHECK(q.get("p50") == 3);
  CHECK(q.get("p90") == 100);
  CHECK(q.get("p99") == 100);
  CHECK(q.get("max") == 100);
  const Quantiles single = quantiles_of({4});
  for (auto name : kQuantileNames) CHECK(single.get(name) == 4);
  CHECK(quantiles_of({}).count == 0);
}

TEST_CASE("the JSON form names every quantile and the seed count") {
  const auto json = to_json(quantiles_of({1, 2, 3}));
  CHECK(json["min"] == 1);
  CHECK(json["p50"] == 2);
  CHECK(json["max"] == 3);
  CHECK(json["seeds"] == 3);
  CHECK(is_quantile_name("p99"));
  CHECK_FALSE(is_quantile_name("p95"));
}
