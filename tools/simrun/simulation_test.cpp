#include "tools/simrun/simulation.h"

#include <doctest/doctest.h>

#include "broker/group.h"
#include "broker/node.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/runner.h"
#include "tools/simrun/scenario_loader.h"

namespace simrun::cli {
namespace {

Scenario churn(std::int64_t duration_ms) {
  LoadOptions options;
  options.duration_ms = duration_ms;
  return load_scenario_file("scenarios/three_node_churn.json", options);
}

TEST_CASE("a run driven in uneven steps has the trace hash of the run in one go") {
  const Scenario scenario = churn(8000);
  const RunOutcome whole = run_scenario(scenario, {});
  Simulation stepped(scenario, {});
  for (std::int64_t t = 7; t < 8000; t += 733) stepped.run_until(t);
  stepped.run_for(1);
  CHECK(stepped.now_ms() < 8000);
  const RunOutcome outcome = stepped.finish();
  CHECK(outcome.trace_hash == whole.trace_hash);
  CHECK(outcome.events == whole.events);
  CHECK(outcome.passed == whole.passed);
  CHECK(outcome.sim_time_ms == whole.sim_time_ms);
}

TEST_CASE("callbacks see each event at its simulated time, and do not change the run") {
  const Scenario scenario = churn(6000);
  const RunOutcome plain = run_scenario(scenario, {});
  Simulation simulation(scenario, {});
  std::vector<SimEvent> elected;
  std::int64_t elections = 0;
  simulation.on_event(SimEventKind::leader_elected, [&](const SimEvent& event) {
    // Delivered right after the record: the clock has not moved on.
    CHECK(event.time_ms == simulation.now_ms());
    CHECK(simulation.leader(event.group).has_value());
    elected.push_back(event);
  });
  simulation.on_event(SimEventKind::election_started, [&](const SimEvent&) { ++elections; });
  const RunOutcome outcome = simulation.finish();
  CHECK(outcome.trace_hash == plain.trace_hash);
  REQUIRE(!elected.empty());
  CHECK(elections >= static_cast<std::int64_t>(scenario.group_names().size()));
  for (const SimEvent& event : elected) {
    CHECK(event.node >= 1);
    CHECK(event.node <= 3);
    CHECK(event.term >= 1);
  }
}

TEST_CASE("state accessors show each replica's role, term and indexes") {
  Simulation simulation(churn(5000), {});
  CHECK(simulation.run_until_condition([&] { return simulation.leader("__meta").has_value(); }, 100,
                                       5000));
  const int leader = *simulation.leader("__meta");
  const NodeState state = simulation.node_state(leader - 1);
  CHECK(state.up);
  CHECK(state.process_state == "running");
  bool found = false;
  for (const ReplicaState& replica : state.replicas) {
    if (replica.group != "__meta") continue;
    found = true;
    CHECK(replica.role == "leader");
    CHECK(replica.leader == leader);
    CHECK(replica.applied_index <= replica.commit_index);
  }
  CHECK(found);
  CHECK_THROWS_AS(simulation.node_state(7), InputError);
}

TEST_CASE("an injected crash takes the node down now, fires fault_applied, and is validated") {
  Simulation simulation(churn(6000), {});
  std::vector<SimEvent> faults;
  simulation.on_event(SimEventKind::fault_applied,
                      [&](const SimEvent& event) { faults.push_back(event); });
  simulation.run_until(2000);
  CHECK(simulation.inject({{"action", "crash"}, {"targets", {"n2"}}, {"duration", "1s"}}));
  CHECK_FALSE(simulation.node_state(1).up);
  CHECK(simulation.node_state(1).replicas.empty());
  simulation.run_until(3500);
  CHECK(simulation.node_state(1).up);
  REQUIRE(!faults.empty());
  bool saw_script_fault = false;
  for (const SimEvent& event : faults) {
    if (event.fields.value("origin", "") == "script/0") {
      saw_script_fault = true;
      CHECK(event.time_ms == 2000);
      CHECK(event.fields["action"] == "crash");
    }
  }
  CHECK(saw_script_fault);
  CHECK_THROWS_AS(simulation.inject({{"action", "explode"}}), InputError);
  CHECK_THROWS_AS(simulation.inject({{"action", "crash"}, {"at", 1}}), InputError);
  CHECK_THROWS_WITH_AS(simulation.inject({{"action", "crash"}, {"targets", {"n9"}}}),
                       doctest::Contains("/faults/"), InputError);
}

TEST_CASE("added assertions and checks are evaluated at finish") {
  Simulation simulation(churn(4000), {});
  simulation.add_assertion(AssertionSpec{"terms stay low", "max_term", "<=", 0, "", std::nullopt});
  simulation.add_check(AssertionResult{"script check", "script", "==", "", 1, 1, true, {}});
  CHECK_THROWS_AS(
      simulation.add_assertion(AssertionSpec{"bad", "no_such_metric", "<=", 0, "", std::nullopt}),
      InputError);
  const RunOutcome outcome = simulation.finish();
  CHECK_FALSE(outcome.passed);
  bool saw_assertion = false;
  bool saw_check = false;
  for (const AssertionResult& result : outcome.assertions) {
    if (result.name == "terms stay low") {
      saw_assertion = true;
      CHECK_FALSE(result.passed);
    }
    if (result.name == "script check") saw_check = result.passed;
  }
  CHECK(saw_assertion);
  CHECK(saw_check);
}

TEST_CASE("event kind names round-trip and an unknown one is bad input") {
  for (const std::string& name : sim_event_kind_names()) {
    CHECK(to_string(sim_event_kind_from_string(name)) == name);
  }
  CHECK_THROWS_AS(sim_event_kind_from_string("leader_found"), InputError);
}

}  // namespace
}  // namespace simrun::cli

namespace simrun::cli {

TEST_CASE("summary checks: every always-on checker reports a count, none left out") {
  LoadOptions options;
  options.duration_ms = 6000;
  const Scenario scenario =
      load_scenario_file("scenarios/deposed_leader_late_appends.json", options);
  Simulation simulation(scenario, {});
  const RunOutcome outcome = simulation.finish();
  for (const std::string_view name : kCheckerNames) {
    INFO(name);
    CHECK(outcome.checks.count(std::string(name)) == 1);
  }
  CHECK(outcome.checks.size() == std::size(kCheckerNames));
  // The two that were missing before: message_rate samples every sending
  // link each second; replica_liveness checks every live replica.
  CHECK(outcome.checks.at("message_rate") > 0);
  CHECK(outcome.checks.at("replica_liveness") >= 6);  // 2 groups x 3 replicas
}

TEST_CASE("the safety checker forgets only below every node's durable snapshot (issue 12)") {
  // snapshot_install: snapshots every 100 entries; n3 is down from 3 s to
  // 11 s. Here n2 also crashes at 14 s, for 4 s, after compactions.
  const Scenario scenario = load_scenario_file("scenarios/snapshot_install.json", {});
  const nlohmann::json crash_n2 = {{"action", "crash"}, {"targets", {"n2"}}, {"duration", "4s"}};
  Simulation simulation(scenario, {});
  simulation.run_until(14000);
  const std::string group = scenario.group_names().back();  // a partition
  const broker::Node* n2 = simulation.cluster().node(1);
  REQUIRE(n2 != nullptr);
  // What n2 will restart from: the floor may not pass it while n2 is down.
  const auto n2_durable = n2->group(group)->durable_snapshot_index();
  REQUIRE(n2_durable.has_value());
  REQUIRE(*n2_durable > 100);
  const std::uint64_t floor_at_crash = simulation.safety_checker().forgotten_below(group);
  CHECK(floor_at_crash > 1);  // n3 caught up: entries were forgotten
  CHECK(floor_at_crash <= *n2_durable);
  CHECK(simulation.inject(crash_n2));
  simulation.run_until(17900);
  REQUIRE(simulation.cluster().node(1) == nullptr);
  CHECK(simulation.safety_checker().forgotten_below(group) <= *n2_durable);
  // n2's re-applies from there are compared: the entries are still known.
  CHECK(simulation.safety_checker().remembered_committed(group) > 0);
  const RunOutcome outcome = simulation.finish();
  // A floor never goes down (it is raised every 4096 applies).
  CHECK(simulation.safety_checker().forgotten_below(group) >= *n2_durable);
  CHECK(outcome.passed);
  CHECK(outcome.checks.at("state_machine_safety") > 0);
}

}  // namespace simrun::cli
