#include "tools/simrun/fault_triggers.h"

#include <fstream>
#include <set>
#include <sstream>

#include "tools/simrun/schema_text.h"
#include "tools/simrun/trace_feed_for_tests.h"

#include <doctest/doctest.h>

using namespace simrun::cli;
using simrun::cli::testing::feed;
using simrun::sim::millis;

namespace {

struct Fired {
  std::vector<TriggerMatch> matches;
  TriggerWatcher::Fire recorder() {
    return [this](const TriggerMatch& match) { matches.push_back(match); };
  }
};

void role(TriggerWatcher& watcher, std::int64_t at_ms, int node, const char* role_name) {
  feed(watcher, at_ms, "raft.role_changed",
       {{"group", "g"}, {"node", node}, {"term", 1}, {"role", role_name}, {"reason", "x"}});
}

}  // namespace

TEST_CASE("the table, the schema's trigger_event enum and the README name the same events") {
  const auto schema = nlohmann::json::parse(scenario_schema_text());
  std::set<std::string> in_schema;
  for (const auto& name : schema["definitions"]["trigger_event"]["enum"]) {
    in_schema.insert(name.get<std::string>());
  }
  std::set<std::string> in_table;
  for (std::size_t i = 0; i < kTriggerEvents.size(); ++i) {
    CHECK(static_cast<std::size_t>(kTriggerEvents[i].event) == i);  // enum order
    in_table.insert(std::string(kTriggerEvents[i].name));
    CHECK(trigger_event_from_name(kTriggerEvents[i].name) == kTriggerEvents[i].event);
  }
  CHECK(in_schema == in_table);
  CHECK_FALSE(trigger_event_from_name("raft.nothing").has_value());
  std::ifstream readme("scenarios/README.md");  // CTest runs in the source dir
  REQUIRE(readme.good());
  std::stringstream text;
  text << readme.rdbuf();
  for (const auto& name : in_table) {
    INFO(name);
    CHECK(text.str().find("`" + name + "`") != std::string::npos);
  }
}

TEST_CASE("a trigger fires once, at the first matching event inside its window") {
  TriggerWatcher watcher;
  Fired fired;
  TriggerSpec spec;
  spec.event = TriggerEvent::vote_granted;
  spec.node = 2;
  watcher.arm(spec, millis(100), millis(500), fired.recorder());
  auto vote = [&](std::int64_t at_ms, int node, int granted) {
    feed(watcher, at_ms, "raft.vote",
         {{"group", "g"},
          {"node", node},
          {"term", 3},
          {"candidate", 1},
          {"granted", granted},
          {"reason", "x"}});
  };
  vote(50, 2, 1);   // before the window
  vote(150, 3, 1);  // another node
  vote(160, 2, 0);  // a refusal
  CHECK(fired.matches.empty());
  vote(200, 2, 1);
  REQUIRE(fired.matches.size() == 1);
  CHECK(fired.matches[0].node == 2);
  CHECK(fired.matches[0].group == "g");
  CHECK(fired.matches[0].time_ms == 200);
  vote(300, 2, 1);  // one-shot
  CHECK(fired.matches.size() == 1);
  CHECK(watcher.armed() == 0);
  CHECK(watcher.fired() == 1);
}

TEST_CASE("a trigger whose window closes unfired expires") {
  TriggerWatcher watcher;
  Fired fired;
  TriggerSpec spec;
  spec.event = TriggerEvent::became_leader;
  spec.group = "other";
  watcher.arm(spec, 0, millis(100), fired.recorder());
  role(watcher, 50, 1, "leader");  // group "g", not "other"
  role(watcher, 150, 1, "leader");
  CHECK(fired.matches.empty());
  CHECK(watcher.expire(millis(99)) == 0);
  CHECK(watcher.expire(millis(100)) == 1);
  CHECK(watcher.armed() == 0);
}

TEST_CASE("stepped_down is a leader's role change to follower, not a restart's") {
  TriggerWatcher watcher;
  Fired fired;
  TriggerSpec spec;
  spec.event = TriggerEvent::stepped_down;
  watcher.arm(spec, 0, millis(10'000), fired.recorder());
  role(watcher, 10, 1, "follower");  // never led
  role(watcher, 20, 1, "leader");
  feed(watcher, 30, "node.crashed", {{"node", 1}});
  role(watcher, 40, 1, "follower");  // the restarted node: no step-down
  CHECK(fired.matches.empty());
  role(watcher, 50, 1, "leader");
  role(watcher, 60, 1, "follower");
  REQUIRE(fired.matches.size() == 1);
  CHECK(fired.matches[0].time_ms == 60);
}

TEST_CASE("vote_delivered names the voter; fsync_started maps the process to its node") {
  TriggerWatcher watcher;
  watcher.set_node_process(3, 7);
  Fired delivered;
  Fired fsync;
  TriggerSpec vote;
  vote.event = TriggerEvent::vote_delivered;
  vote.node = 2;
  watcher.arm(vote, 0, millis(1000), delivered.recorder());
  TriggerSpec disk;
  disk.event = TriggerEvent::fsync_started;
  disk.node = 3;
  watcher.arm(disk, 0, millis(1000), fsync.recorder());
  feed(watcher, 10, "raft.vote_received",
       {{"group", "g"}, {"node", 1}, {"term", 2}, {"voter", 2}, {"granted", 1}});
  REQUIRE(delivered.matches.size() == 1);
  CHECK(delivered.matches[0].node == 2);
  feed(watcher, 20, "disk.fsync_started", {{"process", 9}});  // a client's disk
  CHECK(fsync.matches.empty());
  feed(watcher, 30, "disk.fsync_started", {{"process", 7}});
  REQUIRE(fsync.matches.size() == 1);
  CHECK(fsync.matches[0].node == 3);
}

TEST_CASE("client events match by client name") {
  TriggerWatcher watcher;
  Fired fired;
  TriggerSpec spec;
  spec.event = TriggerEvent::offset_committed;
  spec.client = "consumer2";
  watcher.arm(spec, 0, millis(1000), fired.recorder());
  feed(watcher, 10, "consume.offset_commit",
       {{"client", "consumer3"},
        {"group_id", "c"},
        {"topic", "t"},
        {"partition", std::int64_t{0}},
        {"offset", 4}});
  CHECK(fired.matches.empty());
  feed(watcher, 20, "consume.offset_commit",
       {{"client", "consumer2"},
        {"group_id", "c"},
        {"topic", "t"},
        {"partition", std::int64_t{0}},
        {"offset", 4}});
  REQUIRE(fired.matches.size() == 1);
  CHECK(fired.matches[0].client == "consumer2");
  CHECK(fired.matches[0].node == 0);
}

TEST_CASE("triggers armed for one event fire in arming order, each once") {
  TriggerWatcher watcher;
  std::vector<int> order;
  TriggerSpec spec;
  spec.event = TriggerEvent::node_started;
  for (int i = 0; i < 3; ++i) {
    watcher.arm(spec, 0, millis(1000), [&order, i](const TriggerMatch&) { order.push_back(i); });
  }
  feed(watcher, 5, "node.started", {{"node", 1}});
  CHECK(order == std::vector<int>{0, 1, 2});
}

TEST_CASE("trigger_to_json writes what the loader reads") {
  TriggerSpec spec;
  spec.event = TriggerEvent::commit_advanced;
  spec.node = 4;
  spec.group = "orders/0";
  spec.after_ms = 1500;
  spec.within_ms = 2000;
  spec.delay_ms = 5;
  const auto json = trigger_to_json(spec);
  CHECK(json["event"] == "raft.commit_advanced");
  CHECK(json["node"] == "n4");
  CHECK(json["group"] == "orders/0");
  CHECK(json.contains("after"));
  CHECK(json.contains("within"));
  CHECK(json.contains("delay"));
  CHECK_FALSE(trigger_to_json(TriggerSpec{}).contains("after"));
}
