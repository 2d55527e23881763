#include "sim/coverage.h"

#include <doctest/doctest.h>

using simrun::sim::Coverage;

TEST_CASE("coverage counts hits per probe name; unhit probes are absent") {
  Coverage coverage;
  CHECK(coverage.hits().empty());
  coverage.hit("raft.split_vote");
  coverage.hit("raft.split_vote");
  coverage.hit("broker.metadata_retry_exhausted");
  CHECK(coverage.count("raft.split_vote") == 2);
  CHECK(coverage.count("broker.metadata_retry_exhausted") == 1);
  CHECK(coverage.count("raft.snapshot_installed") == 0);
  CHECK(coverage.hits().size() == 2);
  CHECK(coverage.hits().begin()->first == "broker.metadata_retry_exhausted");
}
