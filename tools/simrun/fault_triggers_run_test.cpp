// Event-triggered faults in whole runs: each fires at its event's
// simulated instant, on the event's node or client, deterministically.

#include <doctest/doctest.h>

#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/simulation.h"

namespace simrun::cli {
namespace {

struct Seen {
  std::string kind;
  std::int64_t time_ns = 0;
  nlohmann::json fields;
};

// Runs deposed_leader_late_appends for `duration_ms` with `faults` in place of its
// own, recording the trace records of the given kinds.
std::vector<Seen> run_with(const std::string& faults, std::int64_t duration_ms,
                           const std::vector<std::string>& kinds, std::uint64_t* hash = nullptr,
                           std::uint64_t* skipped = nullptr) {
  LoadOptions options;
  options.duration_ms = duration_ms;
  options.overrides.push_back(parse_override("faults=" + faults));
  const Scenario scenario =
      load_scenario_file("scenarios/deposed_leader_late_appends.json", options);
  Simulation simulation(scenario, {});
  std::vector<Seen> seen;
  simulation.add_trace_observer([&](const sim::TraceRecord& record) {
    if (std::find(kinds.begin(), kinds.end(), record.kind) == kinds.end()) return;
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& field : record.fields) {
      if (field.is_string) {
        fields[std::string(field.name)] = std::string(field.text);
      } else {
        fields[std::string(field.name)] = field.number;
      }
    }
    seen.push_back(Seen{std::string(record.kind), record.time, fields});
  });
  const RunOutcome outcome = simulation.finish();
  if (hash != nullptr) *hash = outcome.trace_hash;
  if (skipped != nullptr) *skipped = outcome.faults_skipped;
  return seen;
}

const Seen* first(const std::vector<Seen>& seen, const std::string& kind,
                  const std::function<bool(const nlohmann::json&)>& also = nullptr) {
  for (const Seen& record : seen) {
    if (record.kind == kind && (!also || also(record.fields))) return &record;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("a crash triggered by a vote grant hits the voter at that instant, before it votes") {
  // The isolated leader's followers elect a new one: grants after 1 s.
  const auto seen = run_with(
      R"([{"when": {"event": "raft.vote_granted", "group": "orders/0", "after": "1s"},
           "action": "crash", "targets": ["event"], "duration": "500ms"},
          {"at": "1500ms", "action": "isolate", "targets": ["leader:orders/0"], "duration": "3s"}])",
      8000, {"raft.vote", "fault", "node.crashed"});
  const Seen* trigger = nullptr;
  for (const Seen& record : seen) {
    if (record.kind == "raft.vote" && record.fields["group"] == "orders/0" &&
        record.fields["granted"] == 1 && record.time_ns >= simrun::sim::millis(1000)) {
      trigger = &record;
      break;
    }
  }
  REQUIRE(trigger != nullptr);
  const Seen* fault = first(seen, "fault", [](const nlohmann::json& f) {
    return f.contains("origin") && f["origin"] == "/faults/0";
  });
  REQUIRE(fault != nullptr);
  CHECK(fault->time_ns == trigger->time_ns);
  const std::string voter = "n" + std::to_string(trigger->fields["node"].get<int>());
  CHECK(fault->fields["targets"] == voter);
  const Seen* crashed = first(seen, "node.crashed");
  REQUIRE(crashed != nullptr);
  CHECK(crashed->fields["node"] == trigger->fields["node"]);
  CHECK(crashed->time_ns == trigger->time_ns);
}

TEST_CASE("a crash triggered by a leader's election, with a delay, on the new leader") {
  std::uint64_t hash_a = 0;
  std::uint64_t hash_b = 0;
  const std::string faults =
      R"([{"when": {"event": "raft.became_leader", "group": "__meta", "delay": "250ms"},
           "action": "crash", "targets": ["event"], "duration": "1s"}])";
  const auto seen = run_with(faults, 5000, {"raft.role_changed", "fault"}, &hash_a);
  (void)run_with(faults, 5000, {"raft.role_changed"}, &hash_b);
  CHECK(hash_a == hash_b);
  const Seen* elected = first(seen, "raft.role_changed", [](const nlohmann::json& f) {
    return f["group"] == "__meta" && f["role"] == "leader";
  });
  REQUIRE(elected != nullptr);
  const Seen* fault = first(seen, "fault", [](const nlohmann::json& f) {
    return f.contains("origin") && f["origin"] == "/faults/0";
  });
  REQUIRE(fault != nullptr);
  CHECK(fault->time_ns == elected->time_ns + simrun::sim::millis(250));
  CHECK(fault->fields["targets"] == "n" + std::to_string(elected->fields["node"].get<int>()));
}

TEST_CASE("a crash at a node's fsync start lands while its writes are unsynced") {
  const auto seen = run_with(
      R"([{"when": {"event": "disk.fsync_started", "node": "n2", "after": "2s"},
           "action": "crash", "targets": ["event"], "duration": "300ms"}])",
      4000, {"disk.fsync_started", "disk.fsync", "node.crashed", "process.crash"});
  const Seen* started = nullptr;
  for (const Seen& record : seen) {
    if (record.kind == "disk.fsync_started" && record.fields["process"] == 1 &&
        record.time_ns >= simrun::sim::millis(2000)) {
      started = &record;
      break;
    }
  }
  REQUIRE(started != nullptr);
  const Seen* crashed = first(seen, "node.crashed");
  REQUIRE(crashed != nullptr);
  CHECK(crashed->fields["node"] == 2);
  CHECK(crashed->time_ns == started->time_ns);
  // That fsync never completed: no disk.fsync of n2 at or after it before the crash.
  for (const Seen& record : seen) {
    if (record.kind == "disk.fsync" && record.fields["process"] == 1 &&
        record.time_ns >= started->time_ns && record.time_ns <= crashed->time_ns) {
      FAIL("n2's fsync completed before the crash");
    }
  }
}

TEST_CASE("producers and consumers crash and restart; client events trigger faults") {
  const auto seen = run_with(
      R"([{"at": "2s", "action": "crash", "targets": ["producer1"], "duration": "700ms"},
          {"when": {"event": "consume.offset_commit", "client": "consumer2", "after": "3s"},
           "action": "crash", "targets": ["event"], "duration": "400ms"}])",
      8000, {"fault", "process.crash", "process.start", "produce.acked"});
  const Seen* producer_fault = first(seen, "fault", [](const nlohmann::json& f) {
    return f.contains("origin") && f["origin"] == "/faults/0";
  });
  REQUIRE(producer_fault != nullptr);
  CHECK(producer_fault->fields["targets"] == "producer1");
  const Seen* consumer_fault = first(seen, "fault", [](const nlohmann::json& f) {
    return f.contains("origin") && f["origin"] == "/faults/1";
  });
  REQUIRE(consumer_fault != nullptr);
  CHECK(consumer_fault->fields["targets"] == "consumer2");
  CHECK(consumer_fault->time_ns >= simrun::sim::millis(3000));
  // The restarted producer is acknowledged again after its restart.
  bool acked_after_restart = false;
  for (const Seen& record : seen) {
    if (record.kind == "produce.acked" && record.time_ns > simrun::sim::millis(2700)) {
      acked_after_restart = true;
    }
  }
  CHECK(acked_after_restart);
}

TEST_CASE("a clog with until releases its messages at the event; unfired triggers are skipped") {
  std::uint64_t skipped = 0;
  const auto seen = run_with(
      R"([{"at": "3s", "action": "clog", "targets": ["leader:orders/0"],
           "params": {"to": ["follower1:orders/0"]}, "duration": "10s",
           "until": {"event": "raft.became_leader", "group": "orders/0", "delay": "100ms"}},
          {"at": "3s", "action": "partition",
           "params": {"groups": [["leader:orders/0"], ["follower2:orders/0"]]}, "duration": "5s"},
          {"when": {"event": "raft.snapshot_installed", "within": "1s"}, "action": "heal"}])",
      9000, {"net.release", "raft.role_changed"}, nullptr, &skipped);
  const Seen* new_leader = nullptr;
  for (const Seen& record : seen) {
    if (record.kind == "raft.role_changed" && record.fields["group"] == "orders/0" &&
        record.fields["role"] == "leader" && record.time_ns > simrun::sim::millis(3000)) {
      new_leader = &record;
      break;
    }
  }
  REQUIRE(new_leader != nullptr);
  const Seen* release = first(seen, "net.release");
  REQUIRE(release != nullptr);
  CHECK(release->time_ns == new_leader->time_ns + simrun::sim::millis(100));
  CHECK(release->fields["messages"].get<std::int64_t>() > 0);
  CHECK(skipped == 1);  // no snapshot is installed in the first second
}

}  // namespace simrun::cli
