#pragma once
// The all-faults determinism scenario: N processes exchanging random
// messages, sleeping random times, appending what they receive to disk and
// fsyncing, while a schedule drawn from the "faults" stream applies every
// fault kind the kernel has (crash/restart, pause/resume, clock offset,
// drift and jump, partition, one-way cut, isolate, bridge, clog, heal, disk
// stall, torn writes, bit flips, lossy/duplicating/reordering links) through
// the same mechanisms as simrun's fault injector (sim/fault_actions.h).
// sim/chaos_workload_test.cpp and tools/determinism_probe run exactly this,
// so a seed gives one trace hash under every compiler.

#include <array>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>

#include "sim/network.h"
#include "sim/time.h"

namespace simrun::sim {

// The fault kinds the workload draws, each named as the row of
// tools/simrun/fault_kinds.h it exercises (fault_kinds_test checks that every
// name is one). restart, resume and heal are the undos the faults schedule.
enum class ChaosFault : std::uint8_t {
  crash,
  pause,
  clock_offset,
  clock_drift,
  clock_jump,
  partition,
  cut_one_way,
  isolate,
  bridge,
  clog,
  disk_stall,
  disk_torn_writes,
  disk_corrupt,
  net_loss,
  net_duplicate,
  net_reorder,
};
inline constexpr std::array kChaosFaults = {
    ChaosFault::crash,        ChaosFault::pause,      ChaosFault::clock_offset,
    ChaosFault::clock_drift,  ChaosFault::clock_jump, ChaosFault::partition,
    ChaosFault::cut_one_way,  ChaosFault::isolate,    ChaosFault::bridge,
    ChaosFault::clog,         ChaosFault::disk_stall, ChaosFault::disk_torn_writes,
    ChaosFault::disk_corrupt, ChaosFault::net_loss,   ChaosFault::net_duplicate,
    ChaosFault::net_reorder};
std::string_view chaos_fault_name(ChaosFault fault);

struct ChaosOptions {
  std::uint64_t seed = 1;
  int processes = 5;
  duration_ns duration = seconds(20);
  std::ostream* json_trace = nullptr;  // optional JSON-lines sink
};

struct ChaosResult {
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;  // event-loop events executed
  std::uint64_t trace_records = 0;
  NetworkStats network;
  std::map<std::string, std::uint64_t> faults;  // by kind
};

ChaosResult run_chaos_workload(const ChaosOptions& options);

}  // namespace simrun::sim
