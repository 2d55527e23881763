#include "tools/simrun/scenario_loader.h"

#include <doctest/doctest.h>

#include "tools/simrun/input_error_for_tests.h"

using namespace simrun::cli;
using simrun::cli::testing::contains;
using simrun::cli::testing::input_error_of;

namespace {

const char* kValid = R"({
  "name": "unit",
  "seed": 7,
  "duration": "20s",
  "cluster": {"nodes": 3, "profile": "recommended", "raft": {"election_timeout_ms": 1500}},
  "network": {"latency": {"kind": "uniform", "low_ms": 1, "high_ms": 3},
              "links": [{"from": "n1", "to": "n2", "drop_probability": 0.5}]},
  "disk": {"fsync_latency": {"kind": "lognormal", "median_ms": 1, "sigma": 0.5}},
  "workload": {"topics": [{"name": "orders", "partitions": 2}],
               "producers": [{"topic": "orders", "rate_per_second": 50}],
               "consumers": [{"topic": "orders"}]},
  "faults": [{"at": "5s", "action": "pause", "targets": ["leader:__meta"], "duration": "1s"},
             {"at": 9000, "action": "partition", "params": {"groups": [["n1"], ["n2", "n3"]]},
              "duration": "2s"}],
  "assertions": [{"metric": "max_term", "op": "<=", "bound": 5, "group": "__meta"},
                 {"metric": "produce.lost_acked", "op": "==", "bound": 0,
                  "window": {"from": "1s", "to": "10s"}}],
  "liveness": {"within": "5s"},
  "expect": {"recommended": "pass", "v1.3.67": {"fails": ["max_term[__meta] <= 5"]}}
})";

std::string load_error(const std::string& text, std::vector<std::string> sets = {}) {
  LoadOptions options;
  for (const auto& set : sets) options.overrides.push_back(parse_override(set));
  return input_error_of([&] { return load_scenario_text(text, "scenarios/x.json", options); });
}

}  // namespace

TEST_CASE("controlled_shutdown stops broker nodes only; its duration is optional") {
  auto fault = [](const std::string& entry) { return load_error(kValid, {"faults.0=" + entry}); };
  CHECK(fault(R"({"at": "5s", "action": "controlled_shutdown", "targets": ["leader:orders/1"],
                  "duration": "3s"})") == "no error");
  CHECK(fault(R"({"at": "5s", "action": "controlled_shutdown", "targets": ["n2"]})") == "no error");
  const std::string client =
      fault(R"({"at": "5s", "action": "controlled_shutdown", "targets": ["n1", "producer1"]})");
  CHECK(contains(client, "scenarios/x.json"));
  CHECK(contains(client, "/faults/0/targets/1"));
  CHECK(contains(client, "is a client"));
  CHECK(contains(fault(R"({"at": "5s", "action": "controlled_shutdown"})"), "needs \"targets\""));
  CHECK(contains(fault(R"({"at": "5s", "action": "controlled_shutdown", "targets": ["n9"]})"),
                 "/faults/0/targets/0"));
  CHECK(contains(fault(R"({"at": "5s", "action": "controlled_shutdown", "targets": ["n1"],
                           "params": {"timeout_ms": 10}})"),
                 "/faults/0/params"));
  CHECK(contains(load_error(kValid, {"cluster.broker.controlled_shutdown_timeout_ms=0"}),
                 "/cluster/broker/controlled_shutdown_timeout_ms"));
}

TEST_CASE("a valid scenario loads into typed values") {
  const Scenario scenario = load_scenario_text(kValid, "x.json", {});
  CHECK(scenario.name == "unit");
  CHECK(scenario.seed == 7);
  CHECK(scenario.duration_ms == 20'000);
  CHECK(scenario.cluster.nodes == 3);
  CHECK(scenario.cluster_knobs["raft"]["election_timeout_ms"] == 1500);
  CHECK(scenario.default_link.latency.jitter_ns == 2'000'000);
  REQUIRE(scenario.links.size() == 1);
  CHECK(scenario.links[0].to_node == 1);
  CHECK(scenario.links[0].config.drop_probability == doctest::Approx(0.5));
  CHECK(scenario.group_names() == std::vector<std::string>{"__meta", "orders/0", "orders/1"});
  REQUIRE(scenario.faults.size() == 2);
  CHECK(scenario.faults[1].at_ms == 9000);
  CHECK(scenario.faults[0].duration_ms == 1000);
  REQUIRE(scenario.assertions.size() == 2);
  CHECK(scenario.assertions[1].window->from_ms == 1000);
  CHECK(scenario.liveness_within_ms == 5000);
  CHECK(scenario.expect.at("v1.3.67") == "fail");
}

TEST_CASE("--seed, --duration and --set apply before validation") {
  LoadOptions options;
  options.seed = 99;
  options.duration_ms = 1000;
  options.overrides.push_back(parse_override("cluster.profile=v1.3.67"));
  options.overrides.push_back(parse_override("cluster.raft.election_timeout_ms=3000"));
  const Scenario scenario = load_scenario_text(kValid, "x.json", options);
  CHECK(scenario.seed == 99);
  CHECK(scenario.duration_ms == 1000);
  CHECK(scenario.profile == "v1.3.67");
  CHECK(scenario.cluster_knobs["raft"]["election_timeout_ms"] == 3000);
}

TEST_CASE("an unknown key names the file and its JSON path") {
  const std::string error = load_error(kValid, {"cluster.raft.election_timeout=5"});
  CHECK(contains(error, "scenarios/x.json"));
  CHECK(contains(error, "/cluster/raft/election_timeout"));
  CHECK(contains(error, "unknown key"));
  CHECK(contains(error, "election_timeout_ms"));  // lists what is allowed
}

TEST_CASE("a wrong type names the path and what was expected") {
  const std::string error = load_error(kValid, {"faults.1.at=true"});
  CHECK(contains(error, "/faults/1/at"));
  CHECK(contains(error, "duration"));
  const std::string nodes = load_error(kValid, {"cluster.nodes=\"three\""});
  CHECK(contains(nodes, "/cluster/nodes"));
  CHECK(contains(nodes, "integer"));
}

TEST_CASE("out-of-range values are rejected with the range") {
  const std::string error = load_error(kValid, {"cluster.nodes=12"});
  CHECK(contains(error, "/cluster/nodes"));
  CHECK(contains(error, "[1, 9]"));
  CHECK(
      contains(load_error(kValid, {"network.drop_probability=1.5"}), "/network/drop_probability"));
  CHECK(contains(load_error(kValid, {"cluster.profile=v9"}), "/cluster/profile"));
}

TEST_CASE("semantic errors the schema cannot express") {
  CHECK(contains(load_error(kValid, {"faults.0.targets=[\"n4\"]"}), "/faults/0/targets/0"));
  CHECK(
      contains(load_error(kValid, {"faults.0.targets=[\"leader:nope/0\"]"}), "unknown Raft group"));
  CHECK(contains(load_error(kValid, {"workload.producers.0.topic=nope"}),
                 "/workload/producers/0/topic"));
  CHECK(contains(load_error(kValid, {"faults.1.params={}"}), "params.groups"));
  CHECK(contains(load_error(kValid, {"faults.0.action=disk_stall", "faults.0.duration=0"}),
                 "/faults/0/duration"));
  CHECK(contains(load_error(kValid, {"assertions.0.group=other"}), "/assertions/0/group"));
}

TEST_CASE("JSON syntax errors give line and column") {
  const std::string error = load_error("{\n  \"name\": \"x\",\n  \"duration\": ,\n}");
  CHECK(contains(error, "scenarios/x.json:3:"));
  CHECK(contains(error, "invalid JSON"));
}

TEST_CASE("a missing file is an input error naming it") {
  try {
    (void)load_scenario_file("/nonexistent/scenario.json", {});
    FAIL("expected InputError");
  } catch (const InputError& error) {
    CHECK(contains(error.what(), "/nonexistent/scenario.json"));
  }
}

TEST_CASE("a --set path through a scalar is an input error") {
  CHECK(contains(load_error(kValid, {"name.x=1"}), "/name"));
}

namespace {
std::string with_expect(const std::string& expect) {
  std::string text = kValid;
  const std::string old =
      R"("expect": {"recommended": "pass", "v1.3.67": {"fails": ["max_term[__meta] <= 5"]}})";
  text.replace(text.find(old), old.size(), "\"expect\": " + expect);
  return text;
}
}  // namespace

TEST_CASE("a legacy profile's expected failure names its checks, validated at load") {
  const Scenario scenario =
      load_scenario_text(with_expect(R"({"recommended": "pass", "v2.0.0": "any",
                     "v1.3.67": {"fails": ["max_term[__meta] <= 5", "checker:stale_leader"],
                                 "reason": "no pre-vote"}})"),
                         "x.json", {});
  CHECK(scenario.expect.at("v1.3.67") == "fail");
  CHECK(scenario.expect.at("v2.0.0") == "any");
  CHECK(scenario.expect_fails.at("v1.3.67") ==
        std::vector<std::string>{"max_term[__meta] <= 5", "checker:stale_leader"});
  CHECK(scenario.expect_fails.count("v2.0.0") == 0);
  // A bare "fail" under a legacy profile names no check: rejected.
  CHECK(load_error(with_expect(R"({"v1.3.67": "fail"})")).find("/expect/v1.3.67") !=
        std::string::npos);
  const std::string unknown = load_error(with_expect(R"({"v2.0.0": {"fails": ["nope"]}})"));
  CHECK(unknown.find("/expect/v2.0.0/fails/0") != std::string::npos);
  CHECK(unknown.find("unknown check \"nope\"") != std::string::npos);
  CHECK(load_error(with_expect(R"({"v2.0.0": {"fails": []}})")).find("/expect/v2.0.0") !=
        std::string::npos);
}

TEST_CASE("expect.legacy: overrides and failing check names, validated at load") {
  const Scenario scenario = load_scenario_text(
      with_expect(R"({"recommended": "pass", "legacy": {"set": {"cluster.raft.pre_vote": false,
                     "cluster.broker.ready_mode": "inline_sequential"},
                     "fails": ["max_term[__meta] <= 5", "liveness: a produce succeeds",
                               "checker:acked_records"], "reason": "why"}})"),
      "x.json", {});
  REQUIRE(scenario.legacy.has_value());
  REQUIRE(scenario.legacy->set.size() == 2);
  CHECK(scenario.legacy->set[0].path == "cluster.broker.ready_mode");  // JSON object order
  CHECK(scenario.legacy->set[1].value == false);
  CHECK(scenario.legacy->fails.size() == 3);
  CHECK(scenario.expect.count("legacy") == 0);
  CHECK(scenario.expect.at("recommended") == "pass");

  const std::string unknown_name =
      load_error(with_expect(R"({"legacy": {"set": {"cluster.raft.pre_vote": false},
                                          "fails": ["no such check"]}})"));
  CHECK(unknown_name.find("/expect/legacy/fails/0") != std::string::npos);
  CHECK(unknown_name.find("no such check") != std::string::npos);
  const std::string bad_knob =
      load_error(with_expect(R"({"legacy": {"set": {"cluster.raft.pre_vote": 3},
                                          "fails": ["checker:acked_records"]}})"));
  CHECK(bad_knob.find("/expect/legacy/set") != std::string::npos);
  CHECK(bad_knob.find("/cluster/raft/pre_vote") != std::string::npos);
  const std::string no_fails = load_error(
      with_expect(R"({"legacy": {"set": {"cluster.raft.pre_vote": false}, "fails": []}})"));
  CHECK(no_fails.find("/expect/legacy/fails") != std::string::npos);
}

TEST_CASE("a key a fault action would ignore is bad input with its path") {
  // faults.0 is a pause of leader:__meta for 1 s.
  const std::string drift =
      load_error(kValid, {"faults.0.action=crash", "faults.0.params={\"drift_ppm\": 5}"});
  CHECK(contains(drift, "scenarios/x.json: /faults/0/params/drift_ppm"));
  CHECK(contains(drift, "does not apply to action \"crash\""));
  CHECK(contains(load_error(kValid, {"faults.1.targets=[\"n1\"]"}), "/faults/1/targets"));
  CHECK(contains(load_error(kValid, {"faults.0.action=resume"}), "/faults/0/duration"));
  CHECK(contains(load_error(kValid, {"faults.0.action=clock_offset",
                                     "faults.0.params={\"delta_ms\": 5, \"offset_ms\": 1}"}),
                 "/faults/0/params/delta_ms"));
  // The same table governs nemesis kinds (whose targets default to random).
  CHECK(contains(load_error(kValid, {"nemesis={\"kinds\": [{\"action\": \"heal\", "
                                     "\"mean_interval\": \"5s\", \"duration\": \"1s\"}]}"}),
                 "/nemesis/kinds/0/duration"));
  const Scenario scenario = load_scenario_text(kValid, "x.json", {});
  CHECK(scenario.faults[0].kind == FaultKind::pause);
  CHECK(scenario.faults[1].kind == FaultKind::partition);
}

TEST_CASE("a number too large for a double is bad input with file and path") {
  std::string text = kValid;
  const std::string old = R"("bound": 5, "group": "__meta")";
  text.replace(text.find(old), old.size(), R"("bound": 1e400, "group": "__meta")");
  const std::string error = load_error(text);
  CHECK(contains(error, "scenarios/x.json:"));
  CHECK(contains(error, "/assertions/0/bound: number out of range"));
}

TEST_CASE("knob bounds the schema accepts are the bounds the broker accepts") {
  CHECK(contains(load_error(kValid, {"cluster.raft.max_inflight_messages=5000"}),
                 "/cluster/raft/max_inflight_messages"));
  CHECK(load_error(kValid, {"cluster.raft.max_inflight_messages=4096"}) == "no error");
  CHECK(contains(load_error(kValid, {"cluster.raft.max_entries_per_message=0"}),
                 "/cluster/raft/max_entries_per_message"));
  CHECK(load_error(kValid, {"cluster.raft.max_entries_per_message=1"}) == "no error");
  for (const char* knob :
       {"raft_inbox_messages", "unknown_group_buffer_messages", "metadata_queue_jobs"}) {
    const std::string path = std::string("cluster.broker.") + knob;
    CHECK(contains(load_error(kValid, {path + "=0"}), std::string("/cluster/broker/") + knob));
    CHECK(contains(load_error(kValid, {path + "=65537"}), std::string("/cluster/broker/") + knob));
    CHECK(load_error(kValid, {path + "=1"}) == "no error");
    CHECK(load_error(kValid, {path + "=65536"}) == "no error");
  }
  CHECK(load_error(kValid, {"cluster.broker.snapshot_every_entries=0"}) == "no error");
  CHECK(contains(load_error(kValid, {"cluster.raft.tick_interval_ms=10001"}),
                 "/cluster/raft/tick_interval_ms"));
}

TEST_CASE("event-triggered faults: when, until, clients and the event target") {
  auto fault = [](const std::string& entry) { return load_error(kValid, {"faults.0=" + entry}); };
  CHECK(fault(R"({"when": {"event": "raft.vote_granted", "node": "n2"}, "action": "crash",
                  "targets": ["event"], "duration": "1s"})") == "no error");
  LoadOptions options;
  options.overrides.push_back(
      parse_override(R"(faults.0={"when": {"event": "raft.became_leader", "group": "orders/1",
                         "after": "2s", "within": "3s", "delay": "10ms"}, "action": "crash",
                         "targets": ["event", "producer1"], "duration": "1s"})"));
  const Scenario scenario = load_scenario_text(kValid, "scenarios/x.json", options);
  REQUIRE(scenario.faults.size() == 2);
  const FaultSpec& triggered = scenario.faults[0];
  REQUIRE(triggered.when.has_value());
  CHECK(triggered.when->event == TriggerEvent::became_leader);
  CHECK(triggered.when->group == "orders/1");
  CHECK(triggered.at_ms == 2000);  // armed at `after`
  CHECK(triggered.when->within_ms == 3000);
  CHECK(triggered.when->delay_ms == 10);
  CHECK(contains(fault(R"({"at": "1s", "when": {"event": "node.started"}, "action": "heal"})"),
                 "exactly one of \"at\""));
  CHECK(contains(fault(R"({"action": "heal"})"), "exactly one of \"at\""));
  CHECK(contains(fault(R"({"when": {"event": "raft.nothing"}, "action": "heal"})"),
                 "/faults/0/when/event"));
  CHECK(contains(fault(R"({"when": {"event": "node.started", "node": "n7"}, "action": "heal"})"),
                 "/faults/0/when/node"));
  CHECK(contains(fault(R"({"when": {"event": "produce.acked", "node": "n1"}, "action": "heal"})"),
                 "filter it with \"client\""));
  CHECK(contains(fault(R"({"when": {"event": "raft.vote_granted", "client": "producer1"},
                         "action": "heal"})"),
                 "filter it with \"node\""));
  CHECK(contains(fault(R"({"when": {"event": "produce.acked", "client": "producer9"},
                          "action": "heal"})"),
                 "unknown client \"producer9\""));
  CHECK(contains(fault(R"({"when": {"event": "node.crashed", "group": "__meta"},
                          "action": "heal"})"),
                 "/faults/0/when/group"));
  CHECK(contains(fault(R"({"when": {"event": "raft.became_leader", "group": "nope/3"},
                          "action": "heal"})"),
                 "unknown Raft group"));
  CHECK(contains(fault(R"({"at": "1s", "action": "crash", "targets": ["event"]})"),
                 "needs a \"when\""));
  CHECK(contains(fault(R"({"at": "1s", "action": "crash", "targets": ["consumer1"]})"),
                 "/faults/0/targets/0"));  // the consumer is client 2
  CHECK(fault(R"({"at": "1s", "action": "crash", "targets": ["consumer2"], "duration": "1s"})") ==
        "no error");
  CHECK(contains(fault(R"({"at": "1s", "action": "pause", "targets": ["n1"],
                          "until": {"event": "node.started"}})"),
                 "only a \"clog\" takes \"until\""));
  CHECK(contains(fault(R"({"at": "1s", "action": "clog", "targets": ["n1"], "duration": "1s",
                          "params": {"to": ["n2"]},
                          "until": {"event": "node.started", "after": "1s"}})"),
                 "/faults/0/until/after"));
  CHECK(
      contains(load_error(kValid, {R"(nemesis={"kinds": [{"action": "crash", "mean_interval": "1s",
                     "when": {"event": "node.started", "after": "1s"}}]})"}),
               "/nemesis/kinds/0/when/after"));
}

TEST_CASE("timeouts Raft cannot run are bad input naming the knob (not an abort in raft/)") {
  // 150 ms with 100 ms ticks is one election tick against a one-tick heartbeat.
  const std::string error = load_error(kValid, {"cluster.raft.election_timeout_ms=150"});
  CHECK(contains(error,
                 "scenarios/x.json: /cluster/raft/election_timeout_ms: expected an election "
                 "timeout of more ticks than the heartbeat interval"));
  CHECK(contains(error, "profile \"recommended\""));
  CHECK(load_error(kValid, {"cluster.raft.election_timeout_ms=200"}) == "no error");
  // The legacy formula divides by the heartbeat instead: base 1 cannot run.
  CHECK(contains(
      load_error(kValid, {"cluster.profile=\"v1.3.67\"", "cluster.raft.election_timeout_ms=150"}),
      "at least twice the heartbeat interval"));
}

TEST_CASE("client timeouts and in-flight limits are workload settings") {
  const char* text = R"({
    "name": "clients", "duration": "10s", "cluster": {"nodes": 3},
    "workload": {"topics": [{"name": "t", "partitions": 4}],
                 "producers": [{"topic": "t", "max_in_flight": 1, "request_timeout_ms": 2500},
                               {"topic": "t"}],
                 "consumers": [{"topic": "t", "max_in_flight": 4, "request_timeout_ms": 800},
                               {"topic": "t"}]}})";
  const Scenario scenario = load_scenario_text(text, "x.json", {});
  REQUIRE(scenario.producers.size() == 2);
  CHECK(scenario.producers[0].max_in_flight == 1);
  CHECK(scenario.producers[0].request_timeout_ms == 2500);
  CHECK(scenario.producers[1].max_in_flight == 64);      // the documented default
  CHECK(scenario.producers[1].request_timeout_ms == 0);  // produce_timeout_ms + 1 s
  REQUIRE(scenario.consumers.size() == 2);
  CHECK(scenario.consumers[0].max_in_flight == 4);
  CHECK(scenario.consumers[0].request_timeout_ms == 800);
  CHECK(scenario.consumers[1].max_in_flight == 1);
  CHECK(scenario.consumers[1].request_timeout_ms == 5000);
  std::string bad = text;
  bad.replace(bad.find("\"max_in_flight\": 4"), 18, "\"max_in_flight\": 65");
  CHECK(contains(load_error(bad), "/workload/consumers/0/max_in_flight"));
}

TEST_CASE("named target bindings: bound before use, once, on a fault with targets") {
  auto with_faults = [](const std::string& faults) {
    return R"({"name": "bind", "duration": "10s", "cluster": {"nodes": 3}, "faults": )" + faults +
           "}";
  };
  const Scenario scenario = load_scenario_text(
      with_faults(
          R"([{"at": "2s", "action": "crash", "targets": ["leader:__meta"], "bind": "victim"},
                      {"at": "2s", "action": "isolate", "targets": ["$victim"], "duration": "1s"},
                      {"at": "5s", "action": "partition",
                       "params": {"groups": [["$victim"], ["n2", "n3"]]}}])"),
      "x.json", {});
  CHECK(scenario.faults[0].bind == "victim");
  CHECK(scenario.faults[1].targets == std::vector<std::string>{"$victim"});
  CHECK(scenario.faults[1].bind.empty());

  CHECK(contains(
      load_error(with_faults(R"([{"at": "1s", "action": "restart", "targets": ["$ghost"]}])")),
      "scenarios/x.json: /faults/0/targets/0: unbound name \"$ghost\": expected "
      "\"bind\": \"ghost\" on an earlier fault"));
  CHECK(contains(
      load_error(with_faults(R"([{"at": "5s", "action": "crash", "targets": ["n1"], "bind": "late"},
                                 {"at": "1s", "action": "restart", "targets": ["$late"]}])")),
      "/faults/1/targets/0: \"$late\" is bound by /faults/0, which fires later"));
  CHECK(contains(
      load_error(with_faults(R"([{"at": "1s", "action": "crash", "targets": ["n1"], "bind": "x"},
                                 {"at": "2s", "action": "crash", "targets": ["n2"], "bind": "x"}])")),
      "/faults/1/bind: name \"x\" is already bound by /faults/0"));
  CHECK(contains(load_error(with_faults(R"([{"at": "1s", "action": "heal", "bind": "all"}])")),
                 "/faults/0/bind: action \"heal\" has no targets"));
  CHECK(contains(load_error(with_faults(R"([{"at": "1s", "action": "crash", "targets": ["n1"],
                                             "bind": "Bad-Name"}])")),
                 "/faults/0/bind"));
  CHECK(contains(load_error(R"({"name": "bind", "duration": "10s", "cluster": {"nodes": 3},
      "nemesis": {"kinds": [{"action": "crash", "mean_interval": "2s", "targets": ["$v"]}]}})"),
                 "/nemesis/kinds/0/targets/0: a nemesis kind cannot target a bound name"));
}
