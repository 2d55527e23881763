// Kernel throughput, in events per wall-clock second:
//   timers     1,000 pending timers on a bare EventLoop, each re-scheduling
//              itself when it fires;
//   fibers     1,000 fibers in one process, each sleeping in a loop (every
//              wake-up is an event plus two context switches);
//   network    4 processes; a sender fiber in each sends bursts to random
//              peers, a receiver fiber drains the inbox (every delivery is a
//              traced send, a traced delivery and a fiber wake-up).
// Usage: sim_bench [--scale F] (F multiplies the work; default 1).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "sim/event_loop.h"
#include "sim/scheduler.h"
#include "sim/world.h"

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
  const auto start = Clock::now();
  const auto result = loop.run_until(simrun::sim::kTimeMax, total_events);
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
        while (true) env.sleep_for(period);
      });
    }
  });
  world.start(process);
  world.run_until(0);
  const std::uint64_t before = world.scheduler().wakeups();
  const auto start = Clock::now();
  world.run_until(simrun::sim::kTimeMax, total_wakeups);
  const double wall = seconds_since(start);
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
        env.sleep_for(simrun::sim::micros(100));
      }
    });
    world.start(id);
  }
  const auto start = Clock::now();
  while (world.network().stats().delivered < total_deliveries) {
    world.run_until(simrun::sim::kTimeMax, 100'000);
  }
  const double wall = seconds_since(start);
  const auto& stats = world.network().stats();
  report("network", stats.delivered, wall, "deliveries");
  std::printf("         (%llu loop events, %llu trace records in that run)\n",
              static_cast<unsigned long long>(world.loop().events_executed()),
              static_cast<unsigned long long>(world.trace().records()));
}
}  // namespace

int main(int argc, char** argv) {
  double scale = 1.0;
  if (argc == 3 && std::string(argv[1]) == "--scale") scale = std::atof(argv[2]);
  if (!(scale > 0.0)) {
    std::fprintf(stderr, "usage: sim_bench [--scale F]\n");
    return 2;
  }
  const auto scaled = [scale](double n) { return static_cast<std::uint64_t>(n * scale); };
  bench_timers(scaled(20e6));
  bench_fibers(scaled(10e6));
  bench_network(scaled(2e6));
  return 0;
}
