// The shared fault mechanisms: each acts on the world and undoes itself
// after its window, and an undo leaves a process that something else
// already brought back alone.
#include "sim/fault_actions.h"

#include <doctest/doctest.h>

namespace simrun::sim {

namespace {
ProcessId sleeper(World& world) {
  const ProcessId p = world.add_process("p", [](Env& env) {
    for (int i = 0; i < 1000; ++i) env.sleep(millis(10));
  });
  world.start(p);
  return p;
}
}  // namespace

TEST_CASE("crash_for restarts after the window; a crashed process is not crashed twice") {
  World world(WorldConfig{});
  const ProcessId p = sleeper(world);
  world.loop().schedule_at(millis(100), [&] { fault_actions::crash_for(world, p, millis(50)); });
  world.run_until(millis(120));
  CHECK(world.state(p) == ProcessState::crashed);
  CHECK(world.incarnation(p) == 1);
  fault_actions::crash_for(world, p, 0);  // already down: nothing happens
  CHECK(world.state(p) == ProcessState::crashed);
  world.run_until(millis(200));
  CHECK(world.state(p) == ProcessState::running);
  CHECK(world.incarnation(p) == 2);
}

TEST_CASE("stop_for stops cleanly and restarts after the window; a down process is left alone") {
  World world(WorldConfig{});
  const ProcessId p = sleeper(world);
  world.loop().schedule_at(millis(100), [&] { fault_actions::stop_for(world, p, millis(50)); });
  world.run_until(millis(120));
  CHECK(world.state(p) == ProcessState::crashed);
  CHECK(world.fault_counts().at("stop") == 1);
  fault_actions::stop_for(world, p, 0);  // already down: nothing happens
  CHECK(world.fault_counts().at("stop") == 1);
  world.run_until(millis(200));
  CHECK(world.state(p) == ProcessState::running);
  CHECK(world.incarnation(p) == 2);
  CHECK(world.fault_counts().count("crash") == 0);
}

TEST_CASE("an undo leaves a process alone that was brought back meanwhile") {
  World world(WorldConfig{});
  const ProcessId p = sleeper(world);
  world.loop().schedule_at(millis(10), [&] { fault_actions::crash_for(world, p, millis(100)); });
  world.loop().schedule_at(millis(20), [&] { fault_actions::restart_if_crashed(world, p); });
  world.loop().schedule_at(millis(30), [&] { fault_actions::pause_for(world, p, 0); });
  world.run_until(millis(200));
  // The crash's restart at 110 ms found the process paused, not crashed.
  CHECK(world.state(p) == ProcessState::paused);
  CHECK(world.incarnation(p) == 2);
  fault_actions::resume_if_paused(world, p);
  CHECK(world.state(p) == ProcessState::running);
}

TEST_CASE("pause_for resumes after the window and leaves a non-running process alone") {
  World world(WorldConfig{});
  const ProcessId p = sleeper(world);
  world.loop().schedule_at(millis(10), [&] { fault_actions::pause_for(world, p, millis(40)); });
  world.run_until(millis(30));
  CHECK(world.state(p) == ProcessState::paused);
  world.run_until(millis(60));
  CHECK(world.state(p) == ProcessState::running);
  world.crash(p);
  fault_actions::pause_for(world, p, millis(5));
  CHECK(world.state(p) == ProcessState::crashed);
}

TEST_CASE("clock offset and drift are reset after their window, kept without one") {
  World world(WorldConfig{});
  const ProcessId p = sleeper(world);
  world.loop().schedule_at(millis(10), [&] {
    fault_actions::clock_offset_for(world, p, seconds(3), millis(20));
    fault_actions::clock_drift_for(world, p, 100'000, millis(20));
  });
  world.run_until(millis(20));
  CHECK(world.local_now(p) > world.now() + seconds(2));
  world.run_until(millis(40));
  CHECK(world.local_now(p) < world.now() + seconds(1));
  fault_actions::clock_offset_for(world, p, seconds(3), 0);
  world.run_until(seconds(1));
  CHECK(world.local_now(p) > world.now() + seconds(2));
}

TEST_CASE("heal_after heals the network after the window; 0 leaves it cut") {
  World world(WorldConfig{});
  const ProcessId a = sleeper(world);
  const ProcessId b = world.add_process("b", [](Env& env) { env.sleep(seconds(1)); });
  world.start(b);
  world.network().isolate(a);
  fault_actions::heal_after(world, 0);
  fault_actions::heal_after(world, millis(50));
  world.run_until(millis(40));
  CHECK(!world.network().link_up(a, b));
  world.run_until(millis(60));
  CHECK(world.network().link_up(a, b));
}

}  // namespace simrun::sim
