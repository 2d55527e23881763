#pragma once
// The all-faults determinism scenario: N processes exchanging random
// messages, sleeping random times, appending what they receive to disk and
// fsyncing, while a schedule drawn from the "faults" stream applies every
// fault kind the kernel has (crash/restart, pause/resume, clock offset,
// drift and jump, partition, one-way cut, isolate, bridge, clog, heal, disk
// stall, torn writes, bit flips, lossy/duplicating/reordering links).
// sim/chaos_workload_test.cpp and tools/determinism_probe run exactly this,
// so a seed gives one trace hash under every compiler.

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>

#include "sim/network.h"
#include "sim/time.h"

namespace simrun::sim {

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
