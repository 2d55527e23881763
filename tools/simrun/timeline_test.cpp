#include "tools/simrun/timeline.h"

#include <doctest/doctest.h>

#include "sim/trace.h"

using namespace simrun;
using namespace simrun::cli;

namespace {

struct Feed {
  sim::time_ns now = 0;
  sim::Trace trace{&now};
  Timeline timeline{sim::seconds(10)};  // 10 ms buckets

  Feed() {
    trace.add_observer([this](const sim::TraceRecord& record) { timeline.observe(record); });
    trace.record("process.add", {{"process", std::int64_t{0}}, {"name", "n1"}});
    trace.record("process.add", {{"process", 1}, {"name", "n2"}});
    trace.record("process.add", {{"process", 2}, {"name", "producer1"}});
  }
  void role(int node, const char* role, std::int64_t term) {
    trace.record("raft.role_changed",
                 {{"group", "__meta"}, {"node", node}, {"term", term}, {"role", role}});
  }
};

const nlohmann::json& replica(const nlohmann::json& data, int node) {
  for (const auto& entry : data["groups"][0]["replicas"]) {
    if (entry["node"] == node) return entry;
  }
  FAIL("no replica");
  return data;
}

}  // namespace

TEST_CASE("roles: exact segments and the dominant role per bucket; a crash ends them") {
  Feed feed;
  feed.timeline.set_heartbeat_period("__meta", sim::millis(10));
  feed.role(1, "candidate", 1);
  feed.trace.record("raft.election_started",
                    {{"group", "__meta"}, {"node", 1}, {"term", 1}, {"pre_vote", std::int64_t{0}}});
  feed.now = sim::millis(15);
  feed.role(1, "leader", 1);
  feed.role(2, "follower", 1);
  feed.now = sim::millis(100);
  feed.trace.record("node.crashed", {{"node", 1}});
  feed.now = sim::millis(200);
  feed.trace.record("node.started", {{"node", 1}});
  const auto data = feed.timeline.to_json(sim::millis(300));

  CHECK(data["nodes"].size() == 2);  // producer1 is no node
  REQUIRE(data["groups"].size() == 1);
  const auto& n1 = replica(data, 1);
  REQUIRE(n1["segments"].size() == 2);
  CHECK(n1["segments"][0] == nlohmann::json::array({0.0, 15.0, "c", 1}));
  CHECK(n1["segments"][1] == nlohmann::json::array({15.0, 100.0, "l", 1}));
  const std::string dominant = n1["dominant"];
  // Bucket 1 (10-20 ms) has 5 ms candidate and 5 ms leader: a tie goes to
  // the junior role, so a bucket shows leader only when it mostly led.
  CHECK(dominant.substr(0, 3) == "ccl");
  CHECK(dominant[9] == 'l');
  CHECK(dominant[10] == '-');  // down from 100 ms
  const auto& n2 = replica(data, 2);
  CHECK(n2["segments"][0] == nlohmann::json::array({15.0, 300.0, "f", 1}));  // open: to the end
  CHECK(data["elections"].size() == 1);
  CHECK(data["leaders"].size() == 1);
  CHECK(data["groups"][0]["elections"][0] == 1);
  CHECK(data["groups"][0]["max_term"][1] == 1);
  REQUIRE(data["node_windows"].size() == 1);
  CHECK(data["node_windows"][0]["action"] == "down");
  CHECK(data["node_windows"][0]["from_ms"] == 100.0);
  CHECK(data["node_windows"][0]["to_ms"] == 200.0);
}

TEST_CASE("fault windows: a duration, a heal, a restart, or the end of the run close them") {
  Feed feed;
  feed.trace.record(
      "fault",
      {{"action", "disk_stall"}, {"targets", "n1"}, {"duration_ms", 500}, {"origin", "faults/0"}});
  feed.trace.record("fault", {{"action", "partition"},
                              {"targets", ""},
                              {"duration_ms", std::int64_t{0}},
                              {"origin", "faults/1"}});
  feed.trace.record("fault", {{"action", "crash"},
                              {"targets", "n2"},
                              {"duration_ms", std::int64_t{0}},
                              {"origin", "faults/2"}});
  feed.trace.record("fault", {{"action", "clock_drift"},
                              {"targets", "n1"},
                              {"duration_ms", std::int64_t{0}},
                              {"origin", "faults/3"}});
  feed.now = sim::millis(1000);
  feed.trace.record("fault", {{"action", "heal"},
                              {"targets", ""},
                              {"duration_ms", std::int64_t{0}},
                              {"origin", "faults/4"}});
  feed.now = sim::millis(2000);
  feed.trace.record("fault", {{"action", "restart"},
                              {"targets", "n2"},
                              {"duration_ms", std::int64_t{0}},
                              {"origin", "faults/5"}});
  const auto faults = feed.timeline.to_json(sim::millis(3000))["faults"];
  REQUIRE(faults.size() == 6);
  CHECK(faults[0]["to_ms"] == 500.0);
  CHECK(faults[1]["to_ms"] == 1000.0);  // the heal
  CHECK(faults[2]["to_ms"] == 2000.0);  // the restart
  CHECK(faults[3]["to_ms"] == 3000.0);
  CHECK(faults[3]["open"] == true);
  CHECK(faults[4]["to_ms"] == faults[4]["from_ms"]);  // the heal itself is an instant
}

TEST_CASE("heartbeat gaps above four periods, traffic per bucket, markers capped") {
  Feed feed;
  feed.timeline.set_heartbeat_period("__meta", sim::millis(10));
  feed.now = sim::millis(500);
  feed.trace.record(
      "raft.heartbeat_gap",
      {{"group", "__meta"}, {"node", 2}, {"leader", 1}, {"term", 1}, {"gap_ns", sim::millis(40)}});
  feed.trace.record(
      "raft.heartbeat_gap",
      {{"group", "__meta"}, {"node", 2}, {"leader", 1}, {"term", 1}, {"gap_ns", sim::millis(300)}});
  feed.trace.record("produce.acked", {{"client", "producer1"}});
  feed.trace.record("produce.acked", {{"client", "producer1"}});
  feed.trace.record("produce.failed", {{"client", "producer1"}});
  feed.trace.record("meta.sync_failed", {{"node", 1}});
  for (std::size_t index = 0; index < Timeline::kMaxMarkers + 7; ++index) {
    feed.trace.record(
        "raft.election_started",
        {{"group", "__meta"}, {"node", 1}, {"term", 2}, {"pre_vote", std::int64_t{0}}});
  }
  const auto data = feed.timeline.to_json(sim::seconds(10));
  REQUIRE(data["gaps"].size() == 1);
  CHECK(data["gaps"][0]["from_ms"] == 200.0);
  CHECK(data["gaps"][0]["node"] == 2);
  CHECK(data["traffic"]["acked"][50] == 2);
  CHECK(data["traffic"]["failed"][50] == 1);
  CHECK(data["traffic"]["sync_failed"][50] == 1);
  CHECK(data["elections"].size() == Timeline::kMaxMarkers);
  CHECK(data["markers_dropped"] == 7);
  CHECK(data["groups"][0]["elections"][50] == Timeline::kMaxMarkers + 7);  // counts stay exact
}
