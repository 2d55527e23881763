#include "tools/simrun/replica_lag.h"

#include <doctest/doctest.h>

using namespace simrun::cli;
using simrun::sim::millis;

TEST_CASE("issue 11: replica lag in entries and ms, per group and replica") {
  ReplicaLag lag;
  for (std::int64_t index = 1; index <= 10; ++index) {
    lag.applied("g", 1, index, millis(index * 100), true);
    if (index <= 4) lag.applied("g", 2, index, millis(index * 100 + 5), true);
  }
  // Node 2 stopped at 4: 6 entries behind; entry 5 was first applied at 500 ms.
  const LagMax& two = lag.maxima("g")->at(2);
  CHECK(two.entries == 6);
  CHECK(two.ms == doctest::Approx(500.0));
  CHECK(lag.maxima("g")->at(1).entries == 0);
  // A replica that is down is not sampled; after its restart it is again.
  lag.crashed(2);
  lag.applied("g", 1, 20, millis(5000), true);
  CHECK(lag.maxima("g")->at(2).entries == 6);
  lag.started(2);
  lag.applied("g", 2, 3, millis(5100), true);  // re-applying its own log: no progress
  CHECK(lag.maxima("g")->at(2).entries == 16);
  CHECK(lag.maxima("g")->at(2).ms == doctest::Approx(4600.0));
  // Outside the window: state moves, nothing is sampled.
  lag.applied("g", 1, 40, millis(6000), false);
  CHECK(lag.maxima("g")->at(2).entries == 16);
}
