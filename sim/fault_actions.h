#pragma once
// The kernel's fault mechanisms, each applied to one process and undone
// after a window: the one applier behind both fault dispatchers, simrun's
// scenario faults (tools/simrun/fault_injector.cpp, over the kinds of
// tools/simrun/fault_kinds.h) and the all-faults determinism workload
// (sim/chaos_workload.cpp, whose kinds are named as in that table and checked
// against it by tools/simrun/fault_kinds_test.cpp). A window of 0 means "not
// undone". Undos check the state first: a crash's restart does nothing if
// something else restarted the process meanwhile.

#include <cstdint>

#include "sim/time.h"
#include "sim/world.h"

namespace simrun::sim::fault_actions {

// Crashes `process` unless it is crashed already; with a window, restarts it
// after that long if it is still crashed.
void crash_for(World& world, ProcessId process, duration_ns window);
void restart_if_crashed(World& world, ProcessId process);
// Stops `process` cleanly (World::stop) unless it is down already; with a
// window, restarts it after that long if it is still down. How a broker's
// controlled shutdown ends (broker::Cluster::controlled_shutdown).
void stop_for(World& world, ProcessId process, duration_ns window);

// Pauses `process` if it is running; with a window, resumes it after that
// long if it is still paused.
void pause_for(World& world, ProcessId process, duration_ns window);
void resume_if_paused(World& world, ProcessId process);

// Sets the process's local clock offset (drift); with a window, back to 0
// after it.
void clock_offset_for(World& world, ProcessId process, duration_ns offset, duration_ns window);
void clock_drift_for(World& world, ProcessId process, std::int64_t drift_ppm, duration_ns window);

// With a window, heals the whole network (every partition, cut, isolation,
// bridge and clog) after it: how partition-like faults end.
void heal_after(World& world, duration_ns window);

}  // namespace simrun::sim::fault_actions
