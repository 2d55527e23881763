// Kernel throughput, in events per wall-clock second:
//   reference  the same 1,000 self-rescheduling timers on a bare
//              std::priority_queue of (time, sequence) with no callbacks:
//              the machine's speed right now, to normalise the others on a
//              shared machine (only with --only reference, or in the full run);
//   timers     1,000 pending timers on a bare EventLoop, each re-scheduling
//              itself when it fires;
//   fibers     1,000 fibers in one process, each sleeping in a loop (every
//              wake-up is an event plus two context switches);
//   network    4 processes; a sender fiber in each sends bursts to random
//              peers, a receiver fiber drains the inbox (every delivery is a
//              traced send, a traced delivery and a fiber wake-up).
// Usage: sim_bench [--scale F] [--only reference|timers|fibers|network]
//   (F multiplies the work; default 1).
// Wall-clock figures are noisy on a shared machine. For a deterministic
// figure, count instructions of the timed regions only:
//   valgrind --tool=callgrind --collect-atstart=no sim_bench --only fibers --scale 0.05
// and divide the reported Ir by the printed event count.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "sim/event_loop.h"
#include "sim/scheduler.h"
#include "sim/world.h"
#include "tools/bench/bare_heap_reference.h"

// Marks the timed regions for callgrind (a no-op when not running under it).
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define SIMRUN_BENCH_TOGGLE() CALLGRIND_TOGGLE_COLLECT
#else
#define SIMRUN_BENCH_TOGGLE() ((void)0)
#endif

namespace {
using simrun::sim::duration_ns;
using Clock = std::chrono::steady_clock;
constexpr int kNetworkProcesses = 4;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(const char* name, std::uint64_t events, double wall_seconds, const char* unit) {
  std::printf("%-8s %12llu %-11s in %7.3f s  = %8.2f M%s/s\n", name,
              static_cast<unsigned long long>(events), unit, wall_seconds,
              static_cast<double>(events) / wall_seconds / 1e6, unit);
}

void bench_reference(std::uint64_t total_events) {
  const double wall =
      simrun::bench::bare_heap_reference_seconds(total_events, [] { SIMRUN_BENCH_TOGGLE(); });
  report("pq-ref", total_events, wall, "events");
}

void bench_timers(std::uint64_t total_events) {
  simrun::sim::EventLoop loop;
  struct Timer {
    simrun::sim::EventLoop* loop;
    duration_ns period;
    void fire() const {
      const Timer* self = this;
      loop->schedule_after(period, [self] { self->fire(); });
    }
  };
  std::vector<Timer> timers;
  timers.reserve(1000);
  for (int i = 0; i < 1000; ++i) timers.push_back(Timer{&loop, 1000 + (i * 7919) % 5000});
  for (const Timer& timer : timers) {
    const Timer* self = &timer;
    loop.schedule_after(self->period, [self] { self->fire(); });
  }
  SIMRUN_BENCH_TOGGLE();
  const auto start = Clock::now();
  const auto result = loop.run_until(simrun::sim::kTimeMax, total_events);
  SIMRUN_BENCH_TOGGLE();
  report("timers", result.events, seconds_since(start), "events");
}

void bench_fibers(std::uint64_t total_wakeups) {
  simrun::sim::WorldConfig config;
  config.fiber_stack_bytes = 64 * 1024;
  config.max_fibers_per_process = 1100;
  simrun::sim::World world(config);
  const auto process = world.add_process("sleepers", [](simrun::sim::Env& env) {
    for (int i = 0; i < 1000; ++i) {
      const duration_ns period = 1000 + (i * 7919) % 5000;
      env.spawn("sleeper", [&env, period] {
        while (true) env.sleep(period);
      });
    }
  });
  world.start(process);
  world.run_until(0);
  const std::uint64_t before = world.scheduler().wakeups();
  SIMRUN_BENCH_TOGGLE();
  const auto start = Clock::now();
  world.run_until(simrun::sim::kTimeMax, total_wakeups);
  const double wall = seconds_since(start);
  SIMRUN_BENCH_TOGGLE();
  report("fibers", world.scheduler().wakeups() - before, wall, "wakeups");
}

void bench_network(std::uint64_t total_deliveries) {
  simrun::sim::WorldConfig config;
  config.inbox_capacity = 100'000;
  simrun::sim::World world(config);
  for (int i = 0; i < kNetworkProcesses; ++i) {
    const auto id = world.add_process("node", [](simrun::sim::Env& env) {
      env.spawn("receiver", [&env] {
        while (true) (void)env.inbox().receive();
      });
      simrun::sim::Rng& rng = env.rng();
      while (true) {
        for (int k = 0; k < 64; ++k) {
          const auto peer = static_cast<simrun::sim::ProcessId>(rng.below(kNetworkProcesses));
          if (peer != env.id()) env.send(peer, simrun::sim::Bytes(32, 7));
        }
        env.sleep(simrun::sim::micros(100));
      }
    });
    world.start(id);
  }
  SIMRUN_BENCH_TOGGLE();
  const auto start = Clock::now();
  while (world.network().stats().delivered < total_deliveries) {
    world.run_until(simrun::sim::kTimeMax, 100'000);
  }
  const double wall = seconds_since(start);
  SIMRUN_BENCH_TOGGLE();
  const auto& stats = world.network().stats();
  report("network", stats.delivered, wall, "deliveries");
  std::printf("         (%llu loop events, %llu trace records in that run)\n",
              static_cast<unsigned long long>(world.loop().events_executed()),
              static_cast<unsigned long long>(world.trace().records()));
}
}  // namespace

int main(int argc, char** argv) {
  double scale = 1.0;
  std::string only;
  bool ok = argc % 2 == 1;
  for (int i = 1; ok && i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--scale") {
      scale = std::atof(argv[i + 1]);
    } else if (flag == "--only") {
      only = argv[i + 1];
      ok = only == "reference" || only == "timers" || only == "fibers" || only == "network";
    } else {
      ok = false;
    }
  }
  if (!ok || !(scale > 0.0)) {
    std::fprintf(stderr, "usage: sim_bench [--scale F] [--only reference|timers|fibers|network]\n");
    return 2;
  }
  const auto scaled = [scale](double n) { return static_cast<std::uint64_t>(n * scale); };
  if (only.empty() || only == "reference") bench_reference(scaled(20e6));
  if (only.empty() || only == "timers") bench_timers(scaled(20e6));
  if (only.empty() || only == "fibers") bench_fibers(scaled(10e6));
  if (only.empty() || only == "network") bench_network(scaled(2e6));
  return 0;
}
