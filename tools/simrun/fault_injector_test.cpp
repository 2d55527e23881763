#include "tools/simrun/fault_injector.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/trace_kinds.h"
#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/simulation.h"

namespace simrun::cli {
namespace {

// The injector's own records: (kind, action, targets, origin), in order.
struct FaultRecord {
  std::string kind;
  std::string action;
  std::string targets;
  std::string origin;
};

std::vector<FaultRecord> run_and_collect(const std::string& text, std::int64_t until_ms) {
  std::vector<FaultRecord> records;
  const Scenario scenario = load_scenario_text(text, "injector.json", {});
  Simulation simulation(scenario, {});
  simulation.add_trace_observer([&records](const sim::TraceRecord& record) {
    if ((record.kind == sim::trace_kinds::kFault ||
         record.kind == sim::trace_kinds::kFaultSkipped) &&
        record.has("action")) {
      records.push_back({std::string(record.kind), std::string(record.text("action")),
                         std::string(record.text("targets")), std::string(record.text("origin"))});
    }
  });
  simulation.run_until(until_ms);
  return records;
}

std::string scenario_with(const std::string& faults) {
  return R"({"name": "injector", "duration": "12s", "cluster": {"nodes": 3},
             "workload": {"topics": [{"name": "orders"}]}, "faults": )" +
         faults + "}";
}

bool leads(const NodeState& state, const std::string& group) {
  for (const ReplicaState& replica : state.replicas) {
    if (replica.group == group && replica.role == "leader") return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a bound name targets the very nodes its fault hit, whoever leads later") {
  const auto records = run_and_collect(scenario_with(R"([
      {"at": "4s", "action": "crash", "targets": ["leader:__meta"], "bind": "victim"},
      {"at": "7s", "action": "restart", "targets": ["$victim"]},
      {"at": "9s", "action": "pause", "targets": ["$victim"], "duration": "1s"}])"),
                                       11'000);
  REQUIRE(records.size() == 3);
  CHECK(records[0].kind == sim::trace_kinds::kFault);
  CHECK(records[0].targets.size() == 2);  // one node, "n<k>"
  for (const FaultRecord& record : records) {
    CHECK(record.kind == sim::trace_kinds::kFault);
    CHECK(record.targets == records[0].targets);  // the crashed node, not the new leader
  }
  CHECK(records[1].action == "restart");
  CHECK(records[2].origin == "/faults/2");
}

TEST_CASE("a skipped binding fault binds nothing: faults naming it are skipped too") {
  // At 0 ms no group has a leader yet, so the crash is skipped.
  const auto records = run_and_collect(scenario_with(R"([
      {"at": 0, "action": "crash", "targets": ["leader:__meta"], "bind": "first_leader"},
      {"at": "5s", "action": "isolate", "targets": ["$first_leader"], "duration": "1s"},
      {"at": "6s", "action": "pause", "targets": ["$first_leader", "n3"], "duration": "1s"}])"),
                                       8'000);
  REQUIRE(records.size() == 3);
  CHECK(records[0].kind == sim::trace_kinds::kFaultSkipped);
  CHECK(records[1].kind == sim::trace_kinds::kFaultSkipped);
  CHECK(records[2].kind == sim::trace_kinds::kFault);  // n3 still resolves
  CHECK(records[2].targets == "n3");
}

TEST_CASE("every fault kind is applied through the world, and undone after its duration") {
  const Scenario scenario = load_scenario_text(scenario_with(R"([
      {"at": "3s", "action": "crash", "targets": ["n1"], "duration": "1s"},
      {"at": "3s", "action": "pause", "targets": ["n2"]},
      {"at": "3500ms", "action": "resume", "targets": ["n2"]},
      {"at": "5s", "action": "crash", "targets": ["n3"]},
      {"at": "5500ms", "action": "restart", "targets": ["n3"]}])"),
                                               "injector.json", {});
  Simulation simulation(scenario, {});
  simulation.run_until(3'200);
  CHECK(simulation.node_state(0).process_state == "crashed");
  CHECK(simulation.node_state(1).process_state == "paused");
  simulation.run_until(4'200);
  CHECK(simulation.node_state(0).process_state == "running");  // restarted after 1 s
  CHECK(simulation.node_state(1).process_state == "running");  // resumed at 3.5 s
  simulation.run_until(5'200);
  CHECK(simulation.node_state(2).process_state == "crashed");
  simulation.run_until(5'700);
  CHECK(simulation.node_state(2).process_state == "running");
}

TEST_CASE("controlled_shutdown hands leadership over, stops the node, and restarts it after") {
  const Scenario scenario = load_scenario_text(scenario_with(R"([
      {"at": "5s", "action": "controlled_shutdown", "targets": ["leader:__meta"],
       "duration": "2s", "bind": "stopped"},
      {"at": "5s", "action": "controlled_shutdown", "targets": ["$stopped"]}])"),
                                               "injector.json", {});
  Simulation simulation(scenario, {});
  std::vector<std::string> seen;  // what happened to the node, in order
  std::int64_t stopped_at_ns = -1;
  simulation.add_trace_observer([&](const sim::TraceRecord& record) {
    if (record.kind == sim::trace_kinds::kFaultSkipped) seen.emplace_back("skipped");
    if (record.kind == "node.leader_transfer" && record.text("group") == "__meta") {
      seen.emplace_back("transfer");
    }
    if (record.kind == "node.shutdown_done") {
      seen.emplace_back(record.number("timed_out") == 0 ? "done" : "timed out");
    }
    if (record.kind == sim::trace_kinds::kFault && record.has("type")) {
      const std::string type(record.text("type"));
      if (type == "stop") stopped_at_ns = record.time;
      if (type == "stop" || type == "restart" || type == "crash") seen.push_back(type);
    }
  });
  simulation.run_until(4'999);
  int leader = -1;
  for (int node = 0; node < 3; ++node) {
    if (simulation.node_state(node).process_state == "running" &&
        leads(simulation.node_state(node), "__meta")) {
      leader = node;
    }
  }
  REQUIRE(leader >= 0);
  simulation.run_until(6'000);
  // The second request found the shutdown under way and was skipped; the
  // first handed __meta over before the stop.
  CHECK(seen == std::vector<std::string>{"skipped", "transfer", "done", "stop"});
  CHECK(simulation.node_state(leader).process_state == "crashed");
  int leaders_now = 0;
  for (int node = 0; node < 3; ++node) leaders_now += leads(simulation.node_state(node), "__meta");
  CHECK(leaders_now == 1);
  REQUIRE(stopped_at_ns > sim::millis(5'000));
  simulation.run_until(stopped_at_ns / 1'000'000 + 2'100);
  CHECK(simulation.node_state(leader).process_state == "running");
  CHECK(seen.back() == "restart");
}

}  // namespace simrun::cli
