// The determinism check: the all-faults multi-node workload, run twice with
// one seed, must produce the same trace hash; other seeds must not.
#include "sim/chaos_workload.h"

#include <doctest/doctest.h>

#include <sstream>

namespace simrun::sim {

TEST_CASE("same seed, same trace hash; different seed, different hash") {
  ChaosOptions options;
  options.seed = 17;
  const ChaosResult first = run_chaos_workload(options);
  const ChaosResult second = run_chaos_workload(options);
  CHECK(first.trace_hash == second.trace_hash);
  CHECK(first.events == second.events);
  CHECK(first.trace_records == second.trace_records);
  CHECK(first.network.delivered == second.network.delivered);

  options.seed = 18;
  const ChaosResult other = run_chaos_workload(options);
  CHECK(other.trace_hash != first.trace_hash);
  options.seed = 19;
  CHECK(run_chaos_workload(options).trace_hash != first.trace_hash);
}

TEST_CASE("the workload exercises every fault kind and real traffic") {
  ChaosOptions options;
  options.seed = 3;
  const ChaosResult result = run_chaos_workload(options);
  for (const char* kind : {"crash", "restart", "pause", "resume", "clock_offset", "clock_drift",
                           "clock_jump", "partition", "cut_one_way", "isolate", "bridge", "clog",
                           "heal", "disk_stall", "torn_write"}) {
    CAPTURE(kind);
    CHECK(result.faults.count(kind) == 1);
  }
  CHECK(result.network.delivered > 1000);
  CHECK(result.network.dropped_partition > 0);
  CHECK(result.network.dropped_random > 0);
  CHECK(result.network.duplicated > 0);
  CHECK(result.network.reordered > 0);
  CHECK(result.network.clogged > 0);
  CHECK(result.network.dropped_dead > 0);
}

TEST_CASE("the JSON trace is identical across two runs of one seed") {
  ChaosOptions options;
  options.seed = 5;
  options.duration = seconds(6);
  std::ostringstream first_json, second_json;
  options.json_trace = &first_json;
  const ChaosResult first = run_chaos_workload(options);
  options.json_trace = &second_json;
  const ChaosResult second = run_chaos_workload(options);
  CHECK(first.trace_hash == second.trace_hash);
  CHECK(first_json.str() == second_json.str());
  CHECK(first_json.str().size() > 10'000);
}

}  // namespace simrun::sim
