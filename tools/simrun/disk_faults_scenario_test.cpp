// Issue 11 from the scenario's side: per-node disk settings (disk.nodes)
// and the windowed disk and link faults, loaded from JSON, validated with
// a JSON path (exit 2 for bad input), and acting on the right node's disk
// or links only while their window lasts.
#include <doctest/doctest.h>

#include <string>

#include "tools/simrun/input_error.h"
#include "tools/simrun/overrides.h"
#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/simulation.h"

namespace simrun::cli {
namespace {

const char* kThreeNodes = R"({
  "name": "disk_faults",
  "duration": "6s",
  "cluster": {"nodes": 3, "profile": "recommended"},
  "disk": {"fsync_latency": {"kind": "fixed", "value_ms": 1},
           "nodes": {"n2": {"fsync_latency": {"kind": "fixed", "value_ms": 7}, "queue_depth": 4},
                     "n3": {"bit_flip_probability": 0.25}}},
  "workload": {"topics": [{"name": "orders", "partitions": 1}],
               "producers": [{"topic": "orders", "rate_per_second": 50, "acks": -1}]}
})";

Scenario load(std::vector<std::string> sets = {}) {
  LoadOptions options;
  for (const auto& set : sets) options.overrides.push_back(parse_override(set));
  return load_scenario_text(kThreeNodes, "scenarios/x.json", options);
}

std::string load_error(std::vector<std::string> sets) {
  try {
    (void)load(std::move(sets));
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("disk.nodes: a node's own disk settings overlay the scenario's on that disk only") {
  const Scenario scenario = load();
  REQUIRE(scenario.node_disks.size() == 2);
  CHECK(scenario.node_disks.at(1).fsync_latency.base_ns == sim::millis(7));
  CHECK(scenario.node_disks.at(1).queue_depth == 4);
  CHECK(scenario.node_disks.at(2).bit_flip_probability == 0.25);
  CHECK(scenario.node_disks.at(2).fsync_latency.base_ns == sim::millis(1));  // inherited
  Simulation simulation(scenario, {});
  const auto disk = [&](int node) -> const sim::DiskConfig& {
    return simulation.world().disk(simulation.cluster().node_process(node)).config();
  };
  CHECK(disk(0).fsync_latency.base_ns == sim::millis(1));
  CHECK(disk(0).queue_depth == 1);
  CHECK(disk(1).fsync_latency.base_ns == sim::millis(7));
  CHECK(disk(1).queue_depth == 4);
  CHECK(disk(2).bit_flip_probability == 0.25);
  CHECK(disk(0).bit_flip_probability == 0.0);
  // Through the mechanism: n2's fsyncs take 7 ms, n1's 1 ms.
  simulation.run_until(3000);
  const sim::Disk& slow_disk = simulation.world().disk(simulation.cluster().node_process(1));
  const auto& slow = slow_disk.stats();
  const auto& fast = simulation.world().disk(simulation.cluster().node_process(0)).stats();
  REQUIRE(slow.fsyncs > 10);
  REQUIRE(fast.fsyncs > 10);
  // Every completed fsync of n2 waited at least its 7 ms service time.
  const auto completed = static_cast<sim::duration_ns>(slow.fsyncs - slow_disk.fsyncs_in_flight());
  CHECK(slow.fsync_wait_ns_total >= completed * sim::millis(7));
  CHECK(fast.fsync_wait_ns_max < sim::millis(7));
}

TEST_CASE("disk.nodes: a node outside the cluster or a bad field names its JSON path") {
  const std::string missing = load_error({"disk.nodes.n5={\"queue_depth\": 2}"});
  CHECK(contains(missing, "scenarios/x.json"));
  CHECK(contains(missing, "/disk/nodes/n5"));
  CHECK(contains(missing, "does not exist"));
  CHECK(contains(load_error({"disk.nodes.x1={}"}), "/disk/nodes"));
  CHECK(contains(load_error({"disk.nodes.n1.queue_depth=0"}), "/disk/nodes/n1/queue_depth"));
  CHECK(contains(load_error({"disk.nodes.n1.bit_flips=1"}), "/disk/nodes/n1/bit_flips"));
}

}  // namespace simrun::cli
