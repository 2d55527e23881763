// One test per network fault, each observed through delivered messages.
#include "sim/network.h"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/world.h"

namespace simrun::sim {

namespace {
struct Received {
  ProcessId from;
  std::uint8_t tag;  // 0 for a reset (empty payload)
  time_ns at;
  bool reset = false;
  bool operator==(const Received&) const = default;
};

// A world of `count` processes that record every message they receive.
struct Fixture {
  explicit Fixture(int count, WorldConfig config = {}) : world(config) {
    for (int i = 0; i < count; ++i) {
      const ProcessId id = world.add_process("p", [this](Env& env) {
        while (true) {
          const Envelope envelope = env.inbox().receive();
          if (envelope.reset) {
            CHECK(envelope.payload.empty());
            received[env.id()].push_back(Received{envelope.from, 0, env.now(), true});
            continue;
          }
          received[env.id()].push_back(Received{envelope.from, envelope.payload.at(0), env.now()});
        }
      });
      received.emplace_back();
      world.start(id);
    }
  }
  void send(ProcessId from, ProcessId to, std::uint8_t tag) {
    world.network().send(from, to, Bytes{tag});
  }
  std::size_t count(ProcessId to) const { return received[to].size(); }
  // Resets `to` received, by sender.
  std::map<ProcessId, int> resets(ProcessId to) const {
    std::map<ProcessId, int> from;
    for (const Received& r : received[to]) {
      if (r.reset) ++from[r.from];
    }
    return from;
  }
  World world;
  std::vector<std::vector<Received>> received;
};
}  // namespace

TEST_CASE("messages arrive after the link latency") {
  Fixture f(2);
  f.send(0, 1, 7);
  f.world.run_until(seconds(1));
  REQUIRE(f.count(1) == 1);
  CHECK(f.received[1][0] == Received{0, 7, millis(1)});
  CHECK(f.world.network().stats().delivered == 1);
}

TEST_CASE("clog: messages held for the window, then delivered in send order") {
  Fixture f(2);
  LinkConfig jittery;
  jittery.latency = DurationDistribution::uniform(millis(1), millis(9));
  f.world.network().set_link(0, 1, jittery);
  f.world.network().clog(0, 1, millis(100));
  for (std::uint8_t i = 0; i < 20; ++i) {
    f.world.loop().schedule_at(millis(i * 4), [&f, i] { f.send(0, 1, i); });
  }
  f.world.loop().schedule_at(millis(10), [&f] { f.send(1, 0, 99); });  // other direction flows
  f.world.run_until(millis(99));
  CHECK(f.count(1) == 0);
  CHECK(f.count(0) == 1);
  f.world.run_until(seconds(1));
  REQUIRE(f.count(1) == 20);
  for (std::uint8_t i = 0; i < 20; ++i) {
    CHECK(f.received[1][i].tag == i);
    CHECK(f.received[1][i].at == millis(100));
  }
  CHECK(f.world.network().stats().clogged == 20);
  // After the window the link is normal again.
  f.send(0, 1, 50);
  f.world.run_until(seconds(2));
  CHECK(f.count(1) == 21);
}

TEST_CASE("one-way cut drops only one direction") {
  Fixture f(2);
  f.world.network().cut_one_way(0, 1);
  CHECK_FALSE(f.world.network().link_up(0, 1));
  CHECK(f.world.network().link_up(1, 0));
  f.send(0, 1, 1);
  f.send(1, 0, 2);
  f.world.run_until(seconds(1));
  CHECK(f.count(1) == 0);
  CHECK(f.count(0) == 1);
  CHECK(f.world.network().stats().dropped_partition == 1);
}

TEST_CASE("isolate cuts a process from every peer, both ways") {
  Fixture f(3);
  f.world.network().isolate(2);
  for (ProcessId a = 0; a < 3; ++a) {
    for (ProcessId b = 0; b < 3; ++b) {
      if (a != b) f.send(a, b, static_cast<std::uint8_t>(10 * a + b));
    }
  }
  f.world.run_until(seconds(1));
  CHECK(f.count(0) == 1);  // from 1 only
  CHECK(f.count(1) == 1);  // from 0 only
  CHECK(f.count(2) == 0);
  CHECK(f.world.network().stats().dropped_partition == 4);
}

TEST_CASE("bridge: the two sides cannot talk, the bridge reaches both") {
  Fixture f(5);
  f.world.network().bridge({0, 1}, {3, 4}, 2);
  CHECK_FALSE(f.world.network().link_up(0, 3));
  CHECK_FALSE(f.world.network().link_up(4, 1));
  CHECK(f.world.network().link_up(0, 1));
  CHECK(f.world.network().link_up(3, 4));
  for (ProcessId p : {0u, 1u, 3u, 4u}) {
    CHECK(f.world.network().link_up(2, p));
    CHECK(f.world.network().link_up(p, 2));
  }
  f.send(0, 3, 1);
  f.send(0, 2, 2);
  f.send(2, 4, 3);
  f.send(4, 2, 4);
  f.world.run_until(seconds(1));
  CHECK(f.count(3) == 0);
  CHECK(f.count(2) == 2);
  CHECK(f.count(4) == 1);
}

TEST_CASE("partition splits groups; heal restores them; in-flight messages die at arrival") {
  Fixture f(4);
  f.send(0, 2, 1);  // on the wire when the partition starts
  f.world.loop().schedule_at(micros(500), [&f] { f.world.network().partition({{0, 1}, {2, 3}}); });
  f.world.run_until(millis(10));
  CHECK(f.count(2) == 0);
  CHECK(f.world.network().stats().dropped_partition == 1);
  f.send(0, 1, 2);  // same side
  f.send(3, 1, 3);  // across
  f.world.run_until(millis(20));
  CHECK(f.count(1) == 1);
  f.world.network().heal();
  f.send(3, 1, 4);
  f.send(0, 2, 5);
  f.world.run_until(millis(30));
  CHECK(f.count(1) == 2);
  CHECK(f.count(2) == 1);
  CHECK(f.world.fault_counts().at("partition") == 1);
  CHECK(f.world.fault_counts().at("heal") == 1);
}

TEST_CASE("drop, duplicate and reorder happen at their configured rates") {
  Fixture f(2);
  LinkConfig faulty;
  faulty.latency = DurationDistribution::fixed(millis(1));
  faulty.drop_probability = 0.2;
  faulty.duplicate_probability = 0.1;
  faulty.reorder_probability = 0.3;
  faulty.reorder_delay_max_ns = millis(50);
  f.world.network().set_link(0, 1, faulty);
  const int messages = 2000;
  for (int i = 0; i < messages; ++i) {
    f.world.loop().schedule_at(millis(i), [&f, i] { f.send(0, 1, static_cast<std::uint8_t>(i)); });
  }
  f.world.run_until(seconds(10));
  const NetworkStats& stats = f.world.network().stats();
  CHECK(stats.sent == messages);
  CHECK(stats.dropped_random == doctest::Approx(0.2 * messages).epsilon(0.15));
  CHECK(stats.duplicated == doctest::Approx(0.1 * 0.8 * messages).epsilon(0.2));
  CHECK(stats.reordered == doctest::Approx(0.3 * 0.8 * messages).epsilon(0.15));
  CHECK(stats.delivered == stats.sent - stats.dropped_random + stats.duplicated);
  // Reordering shows up as arrivals whose tag goes backwards.
  int inversions = 0;
  const auto& got = f.received[1];
  for (std::size_t i = 1; i < got.size(); ++i) {
    if (static_cast<std::uint8_t>(got[i].tag - got[i - 1].tag) > 128) ++inversions;
  }
  CHECK(inversions > 50);
}

TEST_CASE("messages to a crashed process are refused; to a paused one they wait in its inbox") {
  Fixture f(3);
  f.world.crash(1);
  f.world.pause(2);
  f.send(0, 1, 1);
  f.send(0, 2, 2);
  f.world.run_until(millis(10));
  CHECK(f.world.network().stats().dropped_dead == 1);
  // Never connected (1 crashed before 0 wrote to it), but the message itself
  // is refused: exactly one reset comes back to the sender, and nothing
  // answers that reset.
  CHECK(f.world.network().stats().resets == 1);
  CHECK(f.world.network().stats().dropped_dead == 1);
  CHECK(f.count(2) == 0);
  CHECK(f.world.inbox(2).size() == 1);
  f.world.resume(2);
  f.world.run_until(millis(20));
  REQUIRE(f.count(2) == 1);
  CHECK(f.received[2][0].at == millis(10));  // read at resume time
}

TEST_CASE("a full inbox drops and counts") {
  WorldConfig config;
  config.inbox_capacity = 3;
  World world(config);
  const ProcessId a = world.add_process("a", [](Env&) {});
  const ProcessId b = world.add_process("b", [](Env& env) { env.sleep(seconds(100)); });
  world.start(a);
  world.start(b);
  for (int i = 0; i < 5; ++i) world.network().send(a, b, Bytes{1});
  world.run_until(seconds(1));
  CHECK(world.inbox(b).size() == 3);
  CHECK(world.network().stats().dropped_dead == 2);
}

TEST_CASE("a crash resets each connection once: to peers it sent to or heard from") {
  Fixture f(5);
  LinkConfig slow;
  slow.latency = DurationDistribution::fixed(millis(7));
  f.world.network().set_link(0, 2, slow);
  f.send(0, 1, 1);  // 0 -> 1
  f.send(2, 0, 2);  // 2 -> 0
  f.send(0, 2, 3);  // and back: still one connection
  f.send(3, 4, 4);  // 3 and 4 never talk to 0
  f.world.run_until(millis(10));
  CHECK(f.world.network().connected_peers(0) == std::set<ProcessId>{1, 2});
  f.world.crash(0);
  CHECK(f.world.network().connected_peers(0).empty());
  CHECK(f.world.network().connected_peers(1).empty());  // 1's side is gone too
  f.world.run_until(millis(30));
  CHECK(f.resets(1) == std::map<ProcessId, int>{{0, 1}});
  CHECK(f.resets(2) == std::map<ProcessId, int>{{0, 1}});
  CHECK(f.resets(3).empty());
  CHECK(f.resets(4).empty());
  CHECK(f.world.network().stats().resets == 2);
  // After the link latency, from the crashed process's side.
  REQUIRE(f.count(1) == 2);
  CHECK(f.received[1][1] == Received{0, 0, millis(11), true});
  REQUIRE(f.count(2) == 2);
  CHECK(f.received[2][1] == Received{0, 0, millis(17), true});
  // A second incarnation resets only its own connections: none so far.
  f.world.restart(0);
  f.world.crash(0);
  f.world.run_until(millis(60));
  CHECK(f.world.network().stats().resets == 2);
  // 3 <-> 4 is still connected: 4's crash resets 3 only.
  f.world.crash(4);
  f.world.run_until(millis(90));
  CHECK(f.resets(3) == std::map<ProcessId, int>{{4, 1}});
  CHECK(f.world.network().stats().resets == 3);
}

TEST_CASE("no reset for a pause or a partition; a reset across a cut link is lost") {
  Fixture f(4);
  f.send(0, 1, 1);
  f.send(0, 2, 2);
  f.send(3, 1, 3);
  f.world.run_until(millis(10));
  f.world.pause(1);
  f.world.network().partition({{0}, {2}});
  f.world.run_until(seconds(1));
  f.world.resume(1);
  f.world.run_until(seconds(2));
  CHECK(f.world.network().stats().resets == 0);
  for (ProcessId p = 0; p < 4; ++p) CHECK(f.resets(p).empty());
  // 0 crashes while cut off from 2: 1 hears of it, 2 does not (the RST is
  // dropped like any message on a cut link).
  f.world.crash(0);
  f.world.run_until(seconds(3));
  CHECK(f.world.network().stats().resets == 2);
  CHECK(f.resets(1) == std::map<ProcessId, int>{{0, 1}});
  CHECK(f.resets(2).empty());
  CHECK(f.world.network().stats().dropped_partition == 1);
}

TEST_CASE("resets are deterministic: same seed, same trace") {
  auto run = [] {
    WorldConfig config;
    config.seed = 42;
    config.default_link.latency = DurationDistribution::uniform(millis(1), millis(9));
    Fixture f(4, config);
    std::vector<std::string> trace;
    f.world.trace().add_observer([&](const TraceRecord& record) {
      if (record.kind == "net.reset" || record.kind == "net.deliver")
        trace.push_back(std::string(record.kind) + " " + std::to_string(record.number("to")) + " " +
                        std::to_string(record.time));
    });
    for (ProcessId p = 1; p < 4; ++p) f.send(p, 0, 1);
    f.world.run_until(millis(20));
    f.world.crash(0);
    f.world.run_until(millis(40));
    return trace;
  };
  const auto first = run();
  CHECK(first.size() == 9);  // 3 requests delivered, 3 resets sent and delivered
  CHECK(first == run());
}

}  // namespace simrun::sim
