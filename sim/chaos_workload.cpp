#include "sim/chaos_workload.h"

#include <array>
#include <string_view>
#include <vector>

#include "sim/assert.h"
#include "sim/hash.h"
#include "sim/scheduler.h"
#include "sim/world.h"

namespace simrun::sim {

namespace {

std::int64_t as_number(std::uint64_t value) { return static_cast<std::int64_t>(value); }

// One node: a receiver fiber persists what arrives; the main fiber sends
// random messages to random peers, now and then rewrites a state file, and
// spawns short-lived helper fibers.
void node_main(Env& env, int process_count) {
  Disk& disk = env.disk();
  const std::optional<Bytes> log = disk.read("log");
  env.trace().record("app.boot", {{"process", env.id()},
                                  {"incarnation", as_number(env.incarnation())},
                                  {"log_bytes", as_number(log ? log->size() : 0)},
                                  {"log_digest", as_number(log ? hash_bytes(*log) : 0)}});

  env.spawn("receiver", [&env] {
    std::uint64_t received = 0;
    for (int round = 0; round < 1'000'000; ++round) {
      const std::optional<Envelope> message = env.inbox().receive_for(millis(50));
      if (!message) {
        env.trace().record("app.idle", {{"process", env.id()}, {"local", env.now()}});
        continue;
      }
      env.disk().append("log", message->payload);
      ++received;
      env.trace().record("app.recv", {{"process", env.id()},
                                      {"from", message->from},
                                      {"id", as_number(message->message_id)},
                                      {"local", env.now()}});
      if (received % 4 == 0) env.disk().fsync();
    }
  });

  Rng& rng = env.rng();
  for (int step = 0; step < 1'000'000; ++step) {
    env.sleep(rng.uniform_int(micros(500), millis(20)));
    const auto peer = static_cast<ProcessId>(rng.below(static_cast<std::uint64_t>(process_count)));
    if (peer != env.id()) {
      Bytes payload(static_cast<std::size_t>(rng.uniform_int(1, 32)));
      for (auto& byte : payload) byte = static_cast<std::uint8_t>(rng.below(256));
      env.send(peer, std::move(payload));
    }
    if (rng.bernoulli(0.1)) {
      Bytes state(8);
      for (std::size_t i = 0; i < state.size(); ++i)
        state[i] = static_cast<std::uint8_t>(step >> i);
      disk.write("state", std::move(state));
      disk.fsync();
    }
    if (rng.bernoulli(0.05) && env.scheduler().fiber_count(env.id()) < 8) {
      const duration_ns nap = rng.uniform_int(0, millis(5));
      env.spawn("helper", [&env, nap] {
        env.yield();
        env.sleep(nap);
        env.trace().record("app.helper", {{"process", env.id()}, {"nap", nap}});
      });
    }
  }
}

enum class Fault : std::uint8_t {
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
  torn_write,
  bit_flip,
  lossy_link,
};
constexpr std::array kAllFaults{Fault::crash,       Fault::pause,      Fault::clock_offset,
                                Fault::clock_drift, Fault::clock_jump, Fault::partition,
                                Fault::cut_one_way, Fault::isolate,    Fault::bridge,
                                Fault::clog,        Fault::disk_stall, Fault::torn_write,
                                Fault::bit_flip,    Fault::lossy_link};

// Applies one fault at the current instant, and schedules its undoing.
void apply_fault(World& world, Fault fault, Rng& rng) {
  const auto count = static_cast<ProcessId>(world.process_count());
  const auto target = static_cast<ProcessId>(rng.below(count));
  const auto other = static_cast<ProcessId>((target + 1 + rng.below(count - 1)) % count);
  const duration_ns window = rng.uniform_int(millis(100), millis(900));
  EventLoop& loop = world.loop();
  auto heal_later = [&world, &loop, window] {
    loop.schedule_after(window, [&world] { world.network().heal(); });
  };
  auto crash_and_restart = [&world, &loop, window](ProcessId process) {
    const ProcessState state = world.state(process);
    if (state != ProcessState::running && state != ProcessState::paused) return;
    world.crash(process);
    loop.schedule_after(window, [&world, process] {
      if (world.state(process) == ProcessState::crashed) world.restart(process);
    });
  };
  switch (fault) {
    case Fault::crash:
      crash_and_restart(target);
      break;
    case Fault::pause:
      if (world.state(target) != ProcessState::running) break;
      world.pause(target);
      loop.schedule_after(window, [&world, target] {
        if (world.state(target) == ProcessState::paused) world.resume(target);
      });
      break;
    case Fault::clock_offset:
      world.set_clock_offset(target, rng.uniform_int(-seconds(5), seconds(5)));
      break;
    case Fault::clock_drift:
      world.set_clock_drift_ppm(target, rng.uniform_int(-200'000, 200'000));
      break;
    case Fault::clock_jump:
      world.jump_clock(target, rng.uniform_int(-seconds(2), seconds(2)));
      break;
    case Fault::partition: {
      std::vector<ProcessId> left, right;
      for (ProcessId p = 0; p < count; ++p) (rng.bernoulli(0.5) ? left : right).push_back(p);
      world.network().partition({left, right});
      heal_later();
      break;
    }
    case Fault::cut_one_way:
      world.network().cut_one_way(target, other);
      heal_later();
      break;
    case Fault::isolate:
      world.network().isolate(target);
      heal_later();
      break;
    case Fault::bridge: {
      std::vector<ProcessId> left, right;
      for (ProcessId p = 0; p < count; ++p) {
        if (p != target) (rng.bernoulli(0.5) ? left : right).push_back(p);
      }
      world.network().bridge(left, right, target);
      heal_later();
      break;
    }
    case Fault::clog:
      world.network().clog(target, other, window);
      break;
    case Fault::disk_stall:
      world.disk(target).stall(window);
      break;
    case Fault::torn_write: {
      // Crash with certain tearing, then restore the normal disk.
      DiskConfig torn = world.config().default_disk;
      torn.torn_write_probability = 1.0;
      world.disk(target).set_config(torn);
      crash_and_restart(target);
      world.disk(target).set_config(world.config().default_disk);
      break;
    }
    case Fault::bit_flip: {
      DiskConfig flaky = world.config().default_disk;
      flaky.bit_flip_probability = 0.5;
      world.disk(target).set_config(flaky);
      loop.schedule_after(
          window, [&world, target] { world.disk(target).set_config(world.config().default_disk); });
      break;
    }
    case Fault::lossy_link: {
      LinkConfig lossy = world.config().default_link;
      lossy.drop_probability = 0.2;
      lossy.duplicate_probability = 0.2;
      lossy.reorder_probability = 0.3;
      lossy.reorder_delay_max_ns = millis(30);
      // Every link out of the target, so the window sees enough traffic.
      for (ProcessId peer = 0; peer < count; ++peer) {
        if (peer == target) continue;
        world.network().set_link(target, peer, lossy);
        loop.schedule_after(window, [&world, target, peer] {
          world.network().set_link(target, peer, world.config().default_link);
        });
      }
      break;
    }
  }
}

}  // namespace

ChaosResult run_chaos_workload(const ChaosOptions& options) {
  SIMRUN_ASSERT(options.processes >= 3, "the chaos workload needs at least 3 processes");
  SIMRUN_ASSERT(options.duration >= seconds(5), "the chaos workload needs at least 5 s");
  WorldConfig config;
  config.seed = options.seed;
  config.default_link.latency = DurationDistribution::uniform(micros(200), millis(3));
  config.default_disk.fsync_latency = DurationDistribution::uniform(micros(100), millis(2));
  config.inbox_capacity = 64;
  config.fiber_stack_bytes = 64 * 1024;
  config.max_fibers_per_process = 16;
  World world(config);
  if (options.json_trace != nullptr) world.trace().set_json_sink(options.json_trace);

  const int count = options.processes;
  for (int i = 0; i < count; ++i) {
    std::string name = "node";
    name += std::to_string(i);
    const ProcessId id =
        world.add_process(std::move(name), [count](Env& env) { node_main(env, count); });
    world.start(id);
  }

  // The schedule: every kind twice, in an order and at times drawn from the
  // "faults" stream, during the first 80 % of the run.
  Rng& faults = world.stream("faults");
  std::vector<Fault> order;
  for (int round = 0; round < 2; ++round) {
    order.insert(order.end(), kAllFaults.begin(), kAllFaults.end());
  }
  for (std::size_t i = order.size() - 1; i > 0; --i) {
    std::swap(order[i], order[static_cast<std::size_t>(faults.below(i + 1))]);
  }
  const duration_ns spacing = options.duration * 8 / 10 / static_cast<duration_ns>(order.size());
  time_ns at = millis(500);
  for (const Fault fault : order) {
    at += faults.uniform_int(spacing / 2, spacing);
    world.loop().schedule_at(at, [&world, &faults, fault] { apply_fault(world, fault, faults); });
  }

  world.run_until(options.duration);
  world.trace().set_json_sink(nullptr);

  ChaosResult result;
  result.trace_hash = world.trace().hash();
  result.events = world.loop().events_executed();
  result.trace_records = world.trace().records();
  result.network = world.network().stats();
  for (const auto& [kind, times] : world.fault_counts()) result.faults[kind] = times;
  return result;
}

}  // namespace simrun::sim
