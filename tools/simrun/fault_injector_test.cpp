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

}  // namespace simrun::cli
