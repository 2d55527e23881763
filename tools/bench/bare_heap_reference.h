#pragma once
// The bare-heap reference every speed figure is printed beside: 1,000
// self-rescheduling timers on a std::priority_queue of (time, sequence),
// with no callbacks. It is what the simulation kernel's event heap would
// cost with nothing else to do, so figures from different machines (or a
// loaded one) can be compared through it. Used by sim_bench ("pq-ref") and
// load_bench. Plain wall-clock timing: tools/ is outside the determinism
// lint on purpose.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <queue>
#include <vector>

namespace simrun::bench {

inline constexpr std::uint32_t kReferenceTimers = 1000;

// Runs `total_events` timer firings and returns the wall seconds they took;
// `around_timing` (if set) is called just before and just after the timed
// loop (sim_bench toggles callgrind's collection there).
inline double bare_heap_reference_seconds(std::uint64_t total_events,
                                          const std::function<void()>& around_timing = {}) {
  struct Entry {
    std::int64_t at;
    std::uint64_t sequence;
    std::uint32_t timer;
    bool operator>(const Entry& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  std::vector<std::int64_t> periods;
  std::uint64_t sequence = 0;
  for (std::uint32_t i = 0; i < kReferenceTimers; ++i) {
    periods.push_back(1000 + (i * 7919) % 5000);  // spread periods: 1..6 us
    queue.push(Entry{periods.back(), sequence++, i});
  }
  if (around_timing) around_timing();
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t n = 0; n < total_events; ++n) {
    const Entry top = queue.top();
    queue.pop();
    queue.push(Entry{top.at + periods[top.timer], sequence++, top.timer});
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (around_timing) around_timing();
  if (queue.size() != kReferenceTimers) std::abort();  // keeps the loop observable
  return wall_s;
}

}  // namespace simrun::bench
