#include "tools/simrun/chrome_trace.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/trace.h"

using namespace simrun;
using namespace simrun::cli;

namespace {

// Records fed through a real sim::Trace, stamped with a settable clock.
struct Feed {
  sim::time_ns now = 0;
  sim::Trace trace{&now};
  ChromeTrace chrome;

  explicit Feed(ChromeTrace::Budget budget = {}) : chrome(budget) {
    trace.add_observer([this](const sim::TraceRecord& record) { chrome.observe(record); });
    trace.record("process.add", {{"process", std::int64_t{0}}, {"name", "n1"}});
    trace.record("process.add", {{"process", 1}, {"name", "n2"}});
    trace.record("process.add", {{"process", 2}, {"name", "producer1"}});
  }
  nlohmann::json document(sim::time_ns end) {
    std::ostringstream out;
    chrome.write(out, end, "test");
    return nlohmann::json::parse(out.str());
  }
};

std::size_t count(const nlohmann::json& document, std::string_view phase, std::string_view cat) {
  std::size_t found = 0;
  for (const auto& event : document["traceEvents"]) {
    if (event["ph"] == phase &&
        (cat.empty() || (event.contains("cat") && event["cat"] == std::string(cat))))
      ++found;
  }
  return found;
}

}  // namespace

TEST_CASE("roles become slices per node and group, closed by the next role, a crash or the end") {
  Feed feed;
  feed.chrome.set_heartbeat_period("__meta", sim::millis(10));
  feed.trace.record("raft.role_changed",
                    {{"group", "__meta"}, {"node", 1}, {"term", 1}, {"role", "candidate"}});
  feed.trace.record("raft.election_started",
                    {{"group", "__meta"}, {"node", 1}, {"term", 1}, {"pre_vote", std::int64_t{0}}});
  feed.now = sim::millis(5);
  feed.trace.record("raft.role_changed",
                    {{"group", "__meta"}, {"node", 1}, {"term", 1}, {"role", "leader"}});
  feed.trace.record("raft.role_changed",
                    {{"group", "__meta"}, {"node", 2}, {"term", 1}, {"role", "follower"}});
  feed.now = sim::millis(100);
  // 40 ms is exactly 4 periods: not a stall; 41 ms is.
  feed.trace.record(
      "raft.heartbeat_gap",
      {{"group", "__meta"}, {"node", 2}, {"leader", 1}, {"term", 1}, {"gap_ns", sim::millis(40)}});
  feed.trace.record(
      "raft.heartbeat_gap",
      {{"group", "__meta"}, {"node", 2}, {"leader", 1}, {"term", 1}, {"gap_ns", sim::millis(41)}});
  feed.trace.record("node.crashed", {{"node", 1}});
  feed.now = sim::millis(200);
  const auto document = feed.document(sim::millis(300));

  CHECK(count(document, "X", "role") == 3);  // candidate, leader (crash), follower (end)
  CHECK(count(document, "i", "election") == 1);
  CHECK(count(document, "X", "stall") == 1);
  for (const auto& event : document["traceEvents"]) {
    if (event["ph"] != "X" || event["cat"] != "role") continue;
    if (event["name"] == "candidate t1") {
      CHECK(event["pid"] == 1);
      CHECK(event["ts"] == 0);
      CHECK(event["dur"] == 5000);
    } else if (event["name"] == "leader t1") {
      CHECK(event["dur"] == 95000);  // closed by the crash at 100 ms
    } else {
      CHECK(event["name"] == "follower t1");
      CHECK(event["pid"] == 2);
      CHECK(event["dur"] == 295000);  // still open at the end (300 ms)
    }
  }
  // Names: the node processes and the group thread.
  bool named_group_thread = false;
  for (const auto& event : document["traceEvents"]) {
    if (event["ph"] == "M" && event["name"] == "thread_name" &&
        event["args"]["name"] == "raft __meta") {
      named_group_thread = true;
    }
    if (event["ph"] == "M" && event["name"] == "process_name" && event["pid"] == 2) {
      CHECK(event["args"]["name"] == "n2");
    }
  }
  CHECK(named_group_thread);
}

TEST_CASE("messages are flows between network threads; faults are slices on their targets") {
  Feed feed;
  feed.now = sim::millis(10);
  feed.trace.record(
      "net.deliver",
      {{"from", 2}, {"to", std::int64_t{0}}, {"id", 77}, {"latency_ns", sim::millis(2)}});
  feed.trace.record("fault", {{"action", "disk_stall"},
                              {"targets", "n1,n2"},
                              {"duration_ms", 500},
                              {"origin", "faults/0"}});
  feed.trace.record("fault", {{"type", "crash"}, {"process", 1}});
  feed.trace.record("fault", {{"action", "partition"},
                              {"targets", ""},
                              {"duration_ms", std::int64_t{0}},
                              {"origin", "faults/1"}});
  feed.trace.record("disk.fsync", {{"process", std::int64_t{0}}, {"wait_ns", sim::millis(3)}});
  feed.trace.record("disk.fsync", {{"process", std::int64_t{0}}, {"wait_ns", std::int64_t{0}}});
  const auto document = feed.document(sim::millis(20));
  CHECK(count(document, "s", "message") == 1);
  CHECK(count(document, "f", "message") == 1);
  for (const auto& event : document["traceEvents"]) {
    if (event["ph"] == "s") {
      CHECK(event["pid"] == 3);  // producer1
      CHECK(event["ts"] == 8000);
      CHECK(event["id"] == 77);
    }
    if (event["ph"] == "f") CHECK(event["pid"] == 1);
  }
  CHECK(count(document, "X", "fault") == 2);  // the stall on n1 and on n2
  CHECK(count(document, "i", "fault") == 2);  // the crash, the partition (pid 0)
  CHECK(count(document, "X", "disk") == 1);   // a zero wait is no slice
}

TEST_CASE("each category stops at its budget and counts what it dropped") {
  ChromeTrace::Budget budget;
  budget.apply = 3;
  Feed feed(budget);
  for (int index = 1; index <= 10; ++index) {
    feed.trace.record(
        "raft.applied",
        {{"group", "g"}, {"node", 1}, {"term", 1}, {"index", index}, {"hash", std::int64_t{0}}});
  }
  const auto document = feed.document(sim::millis(1));
  CHECK(count(document, "X", "apply") == 3);
  CHECK(feed.chrome.kept(ChromeTrace::Category::apply) == 3);
  CHECK(feed.chrome.dropped(ChromeTrace::Category::apply) == 7);
  CHECK(document["otherData"]["simrun"]["dropped"]["apply"] == 7);
  CHECK(document["otherData"]["simrun"]["budget"]["apply"] == 3);
}
