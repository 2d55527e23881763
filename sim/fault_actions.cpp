#include "sim/fault_actions.h"

#include "sim/assert.h"

namespace simrun::sim::fault_actions {

namespace {

// Takes the process down by `down` (a crash, or a clean stop) and, for a
// window, brings it back after it: both fault kinds share the restart rule.
void down_for(World& world, ProcessId process, duration_ns window, void (World::*down)(ProcessId)) {
  SIMRUN_ASSERT(window >= 0, "a fault window is never negative");
  if (world.state(process) == ProcessState::crashed) return;
  (world.*down)(process);
  if (window == 0) return;
  world.loop().schedule_after(window, [&world, process] { restart_if_crashed(world, process); });
}

}  // namespace

void crash_for(World& world, ProcessId process, duration_ns window) {
  down_for(world, process, window, &World::crash);
}

void stop_for(World& world, ProcessId process, duration_ns window) {
  down_for(world, process, window, &World::stop);
}

void restart_if_crashed(World& world, ProcessId process) {
  if (world.state(process) == ProcessState::crashed) world.restart(process);
}

void pause_for(World& world, ProcessId process, duration_ns window) {
  SIMRUN_ASSERT(window >= 0, "a fault window is never negative");
  if (world.state(process) != ProcessState::running) return;
  world.pause(process);
  if (window == 0) return;
  world.loop().schedule_after(window, [&world, process] { resume_if_paused(world, process); });
}

void resume_if_paused(World& world, ProcessId process) {
  if (world.state(process) == ProcessState::paused) world.resume(process);
}

void clock_offset_for(World& world, ProcessId process, duration_ns offset, duration_ns window) {
  SIMRUN_ASSERT(window >= 0, "a fault window is never negative");
  world.set_clock_offset(process, offset);
  if (window == 0) return;
  world.loop().schedule_after(window, [&world, process] { world.set_clock_offset(process, 0); });
}

void clock_drift_for(World& world, ProcessId process, std::int64_t drift_ppm, duration_ns window) {
  SIMRUN_ASSERT(window >= 0, "a fault window is never negative");
  world.set_clock_drift_ppm(process, drift_ppm);
  if (window == 0) return;
  world.loop().schedule_after(window, [&world, process] { world.set_clock_drift_ppm(process, 0); });
}

void heal_after(World& world, duration_ns window) {
  SIMRUN_ASSERT(window >= 0, "a fault window is never negative");
  if (window == 0) return;
  world.loop().schedule_after(window, [&world] { world.network().heal(); });
}

}  // namespace simrun::sim::fault_actions
