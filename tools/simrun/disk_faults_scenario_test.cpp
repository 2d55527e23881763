// Issue 11 from the scenario's side: per-node disk settings (disk.nodes)
// and the windowed disk and link faults, loaded from JSON, validated with
// a JSON path (exit 2 for bad input), and acting on the right node's disk
// or links only while their window lasts.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "tools/simrun/input_error_for_tests.h"
#include "tools/simrun/overrides.h"
#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/simulation.h"

namespace simrun::cli {
namespace {

using testing::contains;
using testing::input_error_of;

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
  return input_error_of([&] { return load(std::move(sets)); });
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

namespace {
// The scenario above with one fault added (JSON text of a faults entry).
Scenario with_fault(const std::string& fault, std::vector<std::string> sets = {}) {
  sets.push_back("faults=[" + fault + "]");
  return load(std::move(sets));
}

struct FsyncWait {
  sim::time_ns issued = 0;
  sim::duration_ns waited = 0;
};
}  // namespace

TEST_CASE("disk_slow on n1: its fsyncs in the window wait the slow latency, n2's not; healed") {
  Simulation simulation(with_fault(R"({"at": "2s", "action": "disk_slow", "targets": ["n1"],
      "duration": "1s", "params": {"fsync_latency": {"kind": "fixed", "value_ms": 200}}})",
                                   {"disk.nodes={}"}),
                        {});
  const sim::ProcessId n1 = simulation.cluster().node_process(0);
  const sim::ProcessId n2 = simulation.cluster().node_process(1);
  std::map<sim::ProcessId, std::vector<FsyncWait>> waits;
  simulation.add_trace_observer([&](const sim::TraceRecord& record) {
    if (record.kind != "disk.fsync") return;
    const auto waited = record.number("wait_ns");
    waits[static_cast<sim::ProcessId>(record.number("process"))].push_back(
        {record.time - waited, waited});
  });
  simulation.run_until(2500);
  CHECK(simulation.world().disk(n1).config().fsync_latency.base_ns == sim::millis(200));
  CHECK(simulation.world().disk(n2).config().fsync_latency.base_ns == sim::millis(1));
  simulation.run_until(5000);
  CHECK(simulation.world().disk(n1).config().fsync_latency.base_ns == sim::millis(1));  // healed
  int slow = 0;
  int after = 0;
  for (const FsyncWait& wait : waits[n1]) {
    if (wait.issued >= sim::millis(2000) && wait.issued < sim::millis(3000)) {
      CHECK(wait.waited >= sim::millis(200));  // the waiting fiber really waits
      ++slow;
    } else if (wait.issued >= sim::millis(3500)) {
      CHECK(wait.waited < sim::millis(200));
      ++after;
    }
  }
  CHECK(slow >= 3);
  CHECK(after >= 10);
  for (const FsyncWait& wait : waits[n2]) CHECK(wait.waited < sim::millis(200));
}

TEST_CASE("disk_slow delays the legacy driver loop that fsyncs inline: heartbeats stop") {
  // v1.3.67 persists each entry with its own fsync inside the loop that
  // also sends heartbeats (mechanism 2); a slow disk on every node holds it.
  const auto gap_ms = [](bool slow) {
    std::vector<std::string> sets = {"cluster.profile=v1.3.67", "disk.nodes={}"};
    const std::string fault = R"({"at": "4s", "action": "disk_slow",
        "targets": ["n1", "n2", "n3"], "duration": "1s",
        "params": {"fsync_latency": {"kind": "fixed", "value_ms": 400}}})";
    Simulation simulation(slow ? with_fault(fault, sets) : load(sets), {});
    simulation.run_until(3900);
    const double before = simulation.metrics_now().totals.max_heartbeat_gap_ms;
    simulation.run_until(6000);
    return std::pair{before, simulation.metrics_now().totals.max_heartbeat_gap_ms};
  };
  const auto [quiet_before, quiet_after] = gap_ms(false);
  const auto [slow_before, slow_after] = gap_ms(true);
  CHECK(slow_before == quiet_before);  // same run until the window
  CHECK(slow_after >= 400.0);
  CHECK(slow_after > quiet_after);
}

TEST_CASE("disk_corrupt and disk_torn_writes change only the targets' disks, for the window") {
  Simulation simulation(with_fault(R"({"at": "2s", "action": "disk_corrupt", "targets": ["n2"],
      "duration": "1s", "params": {"bit_flip_probability": 1.0}})",
                                   {"disk.nodes={}"}),
                        {});
  const sim::Disk& n1 = simulation.world().disk(simulation.cluster().node_process(0));
  const sim::Disk& n2 = simulation.world().disk(simulation.cluster().node_process(1));
  simulation.run_until(2999);
  CHECK(n2.config().bit_flip_probability == 1.0);
  const std::uint64_t flips = n2.stats().bit_flips;
  CHECK(flips > 0);
  simulation.run_until(5000);
  CHECK(n2.config().bit_flip_probability == 0.0);
  CHECK(n2.stats().bit_flips <= flips + 1);  // at most an fsync in flight at the end
  CHECK(n1.stats().bit_flips == 0);

  Simulation torn(with_fault(R"({"at": "2s", "action": "disk_torn_writes", "targets": ["n3"],
      "duration": "1s", "params": {"torn_write_probability": 1.0}})",
                             {"disk.nodes={}"}),
                  {});
  const sim::Disk& n3 = torn.world().disk(torn.cluster().node_process(2));
  torn.run_until(2500);
  CHECK(n3.config().torn_write_probability == 1.0);
  torn.run_until(3500);
  CHECK(n3.config().torn_write_probability == 0.0);
}

TEST_CASE("net_loss n1 -> n2: one way, retransmitted on the connection, healed at the end") {
  Simulation simulation(with_fault(R"({"at": "2s", "action": "net_loss", "targets": ["n1"],
      "duration": "1s", "params": {"to": ["n2"], "drop_probability": 0.5}})"),
                        {});
  const sim::ProcessId n1 = simulation.cluster().node_process(0);
  const sim::ProcessId n2 = simulation.cluster().node_process(1);
  sim::Network& network = simulation.world().network();
  simulation.run_until(1999);
  const std::uint64_t dropped_before = network.stats().dropped_random;
  const std::uint64_t retransmissions_before = network.connections().stats().retransmissions;
  simulation.run_until(2500);
  CHECK(network.link(n1, n2).drop_probability == 0.5);
  CHECK(network.link(n2, n1).drop_probability == 0.0);
  simulation.run_until(3000);
  CHECK(network.link(n1, n2).drop_probability == 0.0);  // healed
  CHECK(network.stats().dropped_random > dropped_before);
  CHECK(network.connections().stats().retransmissions > retransmissions_before);
  const std::uint64_t dropped_at_heal = network.stats().dropped_random;
  simulation.run_until(6000);
  CHECK(network.stats().dropped_random == dropped_at_heal);
  const RunOutcome outcome = simulation.finish();
  CHECK(outcome.passed);  // nothing lost for the application
}

TEST_CASE("net_duplicate and net_reorder set the links targets -> to for the window") {
  Simulation simulation(
      with_fault(R"({"at": "2s", "action": "net_duplicate", "targets": ["n2"], "duration": "1s",
          "params": {"to": ["n1", "n3"], "duplicate_probability": 0.3}})"),
      {});
  sim::Network& network = simulation.world().network();
  const auto p = [&](int node) { return simulation.cluster().node_process(node); };
  simulation.run_until(2500);
  CHECK(network.link(p(1), p(0)).duplicate_probability == 0.3);
  CHECK(network.link(p(1), p(2)).duplicate_probability == 0.3);
  CHECK(network.link(p(0), p(1)).duplicate_probability == 0.0);
  simulation.run_until(3500);
  CHECK(network.link(p(1), p(0)).duplicate_probability == 0.0);

  Simulation reorder(
      with_fault(R"({"at": "2s", "action": "net_reorder", "targets": ["n3"], "duration": "1s",
          "params": {"to": ["n1"], "reorder_probability": 0.4, "reorder_delay_max_ms": 25}})"),
      {});
  sim::Network& reorder_network = reorder.world().network();
  const auto q = [&](int node) { return reorder.cluster().node_process(node); };
  reorder.run_until(2500);
  CHECK(reorder_network.link(q(2), q(0)).reorder_probability == 0.4);
  CHECK(reorder_network.link(q(2), q(0)).reorder_delay_max_ns == sim::millis(25));
  reorder.run_until(3500);
  CHECK(reorder_network.link(q(2), q(0)).reorder_probability == 0.0);
  CHECK(reorder_network.link(q(2), q(0)).reorder_delay_max_ns == 0);
}

TEST_CASE("windowed faults: bad targets, missing params and windows name their JSON path") {
  const auto error = [](const std::string& fault) {
    try {
      (void)with_fault(fault);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(contains(error(R"({"at": 1000, "action": "disk_slow", "targets": ["n7"], "duration": 100,
      "params": {"fsync_latency": {"kind": "fixed", "value_ms": 5}}})"),
                 "/faults/0/targets/0"));
  CHECK(contains(error(R"({"at": 1000, "action": "net_loss", "targets": ["n1"], "duration": 100,
      "params": {"to": ["n9"], "drop_probability": 0.5}})"),
                 "/faults/0/params/to/0"));
  CHECK(contains(error(R"({"at": 1000, "action": "net_loss", "targets": ["n1"], "duration": 100,
      "params": {"to": ["n2"]}})"),
                 "params.drop_probability"));
  CHECK(contains(error(R"({"at": 1000, "action": "disk_corrupt", "targets": ["n1"],
      "params": {"bit_flip_probability": 0.5}})"),
                 "duration"));
  CHECK(contains(error(R"({"at": 1000, "action": "disk_corrupt", "targets": ["n1"], "duration": 9,
      "params": {"bit_flip_probability": 1.5}})"),
                 "/faults/0/params/bit_flip_probability"));
  CHECK(contains(error(R"({"at": 1000, "action": "disk_slow", "targets": ["n1"], "duration": 9,
      "params": {"fsync_latency": {"kind": "lognormal", "median_ms": 1}}})"),
                 "/faults/0/params/fsync_latency"));
  CHECK(contains(error(R"({"at": 1000, "action": "net_reorder", "targets": ["n1"], "duration": 9,
      "params": {"to": ["n2"], "reorder_probability": 0.5,
      "reorder_delay_max_ms": 5, "drop_probability": 0.1}})"),
                 "/faults/0/params/drop_probability"));
}

}  // namespace simrun::cli
