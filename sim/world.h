#pragma once
// The World owns one simulation: the event loop, the fiber scheduler, the
// processes (nodes and client endpoints) with their environments, disks and
// clocks, the network, the trace and the named random streams. One seed
// determines everything that happens in it.
//
// Fault entry points (crash, restart, pause, resume, clock faults, and the
// Network's partition functions) are called from the scheduler context (an
// event callback or between run_until calls), never from a fiber.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/connection.h"
#include "sim/coverage.h"
#include "sim/disk.h"
#include "sim/env.h"
#include "sim/event_loop.h"
#include "sim/network.h"
#include "sim/random.h"
#include "sim/trace.h"

namespace simrun::sim {

class LocalClock;

enum class ProcessState : std::uint8_t { created, running, paused, crashed };

struct WorldConfig {
  std::uint64_t seed = 1;
  LinkConfig default_link;
  ConnectionConfig connection;
  DiskConfig default_disk;
  std::size_t inbox_capacity = 4096;
  std::size_t fiber_stack_bytes = 256 * 1024;
  std::size_t max_fibers_per_process = 1024;
};

class Scheduler;

class World {
 public:
  explicit World(WorldConfig config);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Registers a process; `main` runs as its first fiber on every (re)start.
  // Volatile state lives in that fiber (and what it spawns): a crash unwinds
  // it; only fsynced disk content survives.
  ProcessId add_process(std::string name, std::function<void(Env&)> main);
  void start(ProcessId process);

  // Lifecycle faults.
  // Fibers unwound, inbox emptied, unsynced disk lost, and every connected
  // peer sent a connection reset (Network::reset_connections).
  void crash(ProcessId process);
  // A clean exit (a broker's controlled shutdown ends with it): the same as
  // a crash for the process, which is down (state crashed) until restart,
  // but traced as fault type "stop". The process fsyncs what it must keep
  // before it asks for this; the disk model has no page cache that outlives
  // its process, so a write after that fsync would be dropped as at a crash.
  void stop(ProcessId process);
  void restart(ProcessId process);  // fresh main fiber over the durable disk
  void pause(ProcessId process);    // no fiber runs; due wake-ups wait for resume
  void resume(ProcessId process);   // deferred wake-ups fire now, in order
  // Clock faults on the process's local clock.
  void set_clock_offset(ProcessId process, duration_ns offset);
  void set_clock_drift_ppm(ProcessId process, std::int64_t drift_ppm);
  void jump_clock(ProcessId process, duration_ns delta);

  ProcessState state(ProcessId process) const;
  const std::string& name(ProcessId process) const;
  std::size_t process_count() const;
  // How many times the process was started (1 after start, +1 per restart).
  std::uint64_t incarnation(ProcessId process) const;
  // The process's local clock reading now, and the clock itself.
  time_ns local_now(ProcessId process) const;
  const LocalClock& clock(ProcessId process) const;
  // Starts an extra fiber in a running (or paused) process; Env::spawn.
  void spawn(ProcessId process, std::string fiber_name, std::function<void()> body);
  Rng& process_rng(ProcessId process);
  Mailbox<Envelope>& inbox(ProcessId process);

  time_ns now() const { return loop_.now(); }
  std::uint64_t seed() const { return config_.seed; }
  EventLoop& loop() { return loop_; }
  Trace& trace() { return trace_; }
  // The run's coverage probes (sim/coverage.h).
  Coverage& coverage() { return coverage_; }
  Network& network() { return *network_; }
  Scheduler& scheduler() { return *scheduler_; }
  Env& env(ProcessId process);
  Disk& disk(ProcessId process);
  // World-level named stream ("network", "disk", "faults", "workload"),
  // created on first use from (seed, name).
  Rng& stream(std::string_view name);
  const WorldConfig& config() const { return config_; }
  // Faults applied so far, by kind ("crash", "pause", "partition", ...).
  const std::map<std::string, std::uint64_t, std::less<>>& fault_counts() const {
    return fault_counts_;
  }
  // Records a fault in the trace and in fault_counts(); Network and Disk
  // report their faults through here too.
  void trace_fault(std::string_view kind, std::initializer_list<TraceField> fields);

  // Runs the loop (see EventLoop::run_until).
  RunResult run_until(time_ns end, std::uint64_t max_events = UINT64_MAX);

 private:
  struct Process;
  Process& process(ProcessId process);
  const Process& process(ProcessId process) const;
  void boot(ProcessId process);
  // crash and stop: `kind` is the fault type traced.
  void take_down(ProcessId process, std::string_view kind);

  WorldConfig config_;
  EventLoop loop_;
  Trace trace_;
  Coverage coverage_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::map<std::string, Rng, std::less<>> streams_;
  std::map<std::string, std::uint64_t, std::less<>> fault_counts_;
};

}  // namespace simrun::sim
