// Process lifecycle and clock faults, observed through fibers and Env.
#include "sim/world.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "sim/scheduler.h"

namespace simrun::sim {

TEST_CASE("a paused process's timers fire late, at resume, in their original order") {
  World world(WorldConfig{});
  std::vector<std::pair<int, time_ns>> fired;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    env.spawn("a", [&] {
      env.sleep(millis(10));
      fired.emplace_back(1, env.now());
    });
    env.spawn("b", [&] {
      env.sleep(millis(20));
      fired.emplace_back(2, env.now());
    });
    env.sleep(millis(30));
    fired.emplace_back(3, env.now());
  });
  world.start(p);
  world.loop().schedule_at(millis(5), [&] { world.pause(p); });
  world.loop().schedule_at(millis(100), [&] { world.resume(p); });
  world.run_until(millis(99));
  CHECK(fired.empty());
  CHECK(world.state(p) == ProcessState::paused);
  world.run_until(seconds(1));
  const std::vector<std::pair<int, time_ns>> expected{
      {1, millis(100)}, {2, millis(100)}, {3, millis(100)}};
  CHECK(fired == expected);
}

namespace {
struct Sentinel {
  std::vector<std::string>* log;
  std::string name;
  ~Sentinel() { log->push_back("destroyed " + name); }
};
}  // namespace

TEST_CASE("crash unwinds every fiber (children first); restart boots fresh over durable disk") {
  World world(WorldConfig{});
  std::vector<std::string> log;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    Sentinel main_guard{&log, "main"};
    if (env.incarnation() == 1) {
      env.spawn("child", [&] {
        Sentinel child_guard{&log, "child"};
        env.inbox().receive();  // blocked in a wait queue when the crash comes
        log.push_back("child must not get here");
      });
      env.disk().write("state", Bytes{1, 2, 3});
      env.disk().fsync();
      env.disk().write("volatile", Bytes{9});
      env.sleep(seconds(100));
      log.push_back("main must not get here");
    } else {
      log.push_back("boot " + std::to_string(env.incarnation()) + " sees " +
                    std::to_string(env.disk().list().size()) + " file(s)");
      CHECK(env.disk().read("state") == Bytes{1, 2, 3});
    }
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(world.scheduler().fiber_count(p) == 2);
  world.crash(p);
  CHECK(world.state(p) == ProcessState::crashed);
  CHECK(world.scheduler().fiber_count(p) == 0);
  CHECK(world.scheduler().fibers_unwound() == 2);
  CHECK(log == std::vector<std::string>{"destroyed child", "destroyed main"});
  // The stale wake-up of the sleeping main (due at 100 s) must do nothing.
  world.run_until(seconds(200));
  CHECK(log.size() == 2);
  world.restart(p);
  CHECK(world.incarnation(p) == 2);
  world.run_until(seconds(201));
  CHECK(log == std::vector<std::string>{"destroyed child", "destroyed main",
                                        "boot 2 sees 1 file(s)", "destroyed main"});
  CHECK(world.fault_counts().at("crash") == 1);
  CHECK(world.fault_counts().at("restart") == 1);
}

TEST_CASE("crash of a fiber that never ran, and of a paused process") {
  World world(WorldConfig{});
  int ran = 0;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    env.spawn("never", [&] { ++ran; });
    env.sleep(seconds(1));
  });
  world.start(p);
  world.run_until(0, 1);  // one event: main ran and spawned; "never" is due, not run
  CHECK(world.scheduler().fiber_count(p) == 2);
  world.pause(p);
  world.crash(p);
  world.run_until(seconds(5));
  CHECK(ran == 0);
  CHECK(world.scheduler().live_fibers() == 0);
}

TEST_CASE("stop takes a process down like a crash, traced as a stop; restart brings it back") {
  World world(WorldConfig{});
  std::vector<std::string> log;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    Sentinel main_guard{&log, "main " + std::to_string(env.incarnation())};
    if (env.incarnation() == 1) {
      env.disk().write("state", Bytes{7});
      env.disk().fsync();  // what a clean stop keeps: synced before it exits
    } else {
      CHECK(env.disk().read("state") == Bytes{7});
    }
    env.sleep(seconds(100));
  });
  world.start(p);
  world.run_until(seconds(1));
  world.stop(p);
  CHECK(world.state(p) == ProcessState::crashed);
  CHECK(world.scheduler().fiber_count(p) == 0);
  CHECK(log == std::vector<std::string>{"destroyed main 1"});
  CHECK(world.fault_counts().at("stop") == 1);
  CHECK(world.fault_counts().count("crash") == 0);
  world.restart(p);
  world.run_until(seconds(2));
  CHECK(world.incarnation(p) == 2);
  CHECK(world.state(p) == ProcessState::running);
  world.stop(p);
  CHECK(log == std::vector<std::string>{"destroyed main 1", "destroyed main 2"});
  CHECK(world.fault_counts().at("stop") == 2);
}

TEST_CASE("clock offset, drift and jump are seen through Env::now and sleep durations") {
  World world(WorldConfig{});
  std::vector<std::pair<time_ns, time_ns>> readings;  // (local, global)
  const ProcessId p = world.add_process("p", [&](Env& env) {
    readings.emplace_back(env.now(), env.world().now());
    env.sleep(seconds(1));  // offset only: 1 s local == 1 s global
    readings.emplace_back(env.now(), env.world().now());
    env.sleep(seconds(1));  // drift +100,000 ppm: 1 s local is 1/1.1 s global
    readings.emplace_back(env.now(), env.world().now());
    env.sleep(seconds(1));  // after a jump: the rate is unchanged
    readings.emplace_back(env.now(), env.world().now());
  });
  world.set_clock_offset(p, seconds(50));
  world.start(p);
  world.loop().schedule_at(seconds(1), [&] { world.set_clock_drift_ppm(p, 100'000); });
  world.run_until(seconds(2));
  world.jump_clock(p, -seconds(30));
  world.run_until(seconds(10));
  REQUIRE(readings.size() == 4);
  CHECK(readings[0] == std::pair<time_ns, time_ns>{seconds(50), 0});
  CHECK(readings[1] == std::pair<time_ns, time_ns>{seconds(51), seconds(1)});
  // ceil(1e9 / 1.1) = 909,090,910 ns of global time.
  CHECK(readings[2].second == seconds(1) + 909'090'910);
  CHECK(readings[2].first == seconds(52) + 1);  // never early by its own clock
  const duration_ns third_global = readings[3].second - readings[2].second;
  CHECK(third_global == 909'090'910);
  CHECK(readings[3].first - readings[2].first == seconds(1) + 1 - seconds(30));
  CHECK(world.fault_counts().at("clock_offset") == 1);
  CHECK(world.fault_counts().at("clock_drift") == 1);
  CHECK(world.fault_counts().at("clock_jump") == 1);
}

TEST_CASE("wait_for timeouts are in local time") {
  World world(WorldConfig{});
  time_ns global_waited = -1;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    WaitQueue queue(env.scheduler());
    const time_ns start = env.world().now();
    CHECK_FALSE(queue.wait_for(seconds(2)));
    global_waited = env.world().now() - start;
  });
  world.set_clock_drift_ppm(p, -500'000);  // half speed: 2 local s take 4 global s
  world.start(p);
  world.run_until(seconds(10));
  CHECK(global_waited == seconds(4));
}

TEST_CASE("every fault is traced") {
  World world(WorldConfig{});
  std::vector<std::string> types;
  world.trace().add_observer([&](const TraceRecord& record) {
    if (record.kind == "fault") types.emplace_back(record.text("type"));
  });
  const ProcessId p = world.add_process("p", [](Env& env) { env.sleep(seconds(100)); });
  world.start(p);
  world.pause(p);
  world.resume(p);
  world.crash(p);
  world.restart(p);
  world.set_clock_offset(p, 1);
  world.set_clock_drift_ppm(p, 1);
  world.jump_clock(p, 1);
  CHECK(types == std::vector<std::string>{"pause", "resume", "crash", "restart", "clock_offset",
                                          "clock_drift", "clock_jump"});
}

// The connection-reset contract as a process sees it through Env: a client
// that sent a request to a server gets one reset envelope when the server
// crashes (not when it pauses), and a bystander that never talked to it
// gets none.
TEST_CASE("crash sends each connected peer one reset; pause sends none") {
  World world(WorldConfig{});
  std::vector<std::pair<ProcessId, bool>> client_got;  // (from, reset)
  int bystander_got = 0;
  const ProcessId server = world.add_process("server", [](Env& env) {
    while (true) {
      const Envelope request = env.inbox().receive();
      if (!request.reset) env.send(request.from, Bytes{2});
    }
  });
  const ProcessId client = world.add_process("client", [&](Env& env) {
    env.send(0, Bytes{1});
    while (true) {
      const Envelope envelope = env.inbox().receive();
      client_got.emplace_back(envelope.from, envelope.reset);
    }
  });
  const ProcessId bystander = world.add_process("bystander", [&](Env& env) {
    while (true) {
      (void)env.inbox().receive();
      ++bystander_got;
    }
  });
  REQUIRE(server == 0);
  world.start(server);
  world.start(client);
  world.start(bystander);
  world.run_until(seconds(1));
  REQUIRE(client_got == std::vector<std::pair<ProcessId, bool>>{{server, false}});
  world.pause(server);
  world.run_until(seconds(2));
  world.resume(server);
  world.run_until(seconds(3));
  CHECK(client_got.size() == 1);
  world.crash(server);
  world.run_until(seconds(4));
  CHECK(client_got == std::vector<std::pair<ProcessId, bool>>{{server, false}, {server, true}});
  CHECK(bystander_got == 0);
  // The restarted server has no connections: crashing it again resets nothing.
  world.restart(server);
  world.run_until(seconds(5));
  world.crash(server);
  world.run_until(seconds(6));
  CHECK(client_got.size() == 2);
  CHECK(world.network().stats().resets == 1);
}

}  // namespace simrun::sim
