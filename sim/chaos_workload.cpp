#include "sim/chaos_workload.h"

#include <array>
#include <string_view>
#include <vector>

#include "sim/assert.h"
#include "sim/fault_actions.h"
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

// Applies one fault at the current instant, and schedules its undoing,
// through the kernel's fault mechanisms (sim/fault_actions.h) where simrun's
// injector has the same one.
void apply_fault(World& world, ChaosFault fault, Rng& rng) {
  const auto count = static_cast<ProcessId>(world.process_count());
  const auto target = static_cast<ProcessId>(rng.below(count));
  const auto other = static_cast<ProcessId>((target + 1 + rng.below(count - 1)) % count);
  const duration_ns window = rng.uniform_int(millis(100), millis(900));
  EventLoop& loop = world.loop();
  // One setting of every link out of the target for the window (so the
  // window sees enough traffic), then the default back.
  auto link_window = [&world, &loop, target, count, window](auto change) {
    LinkConfig link = world.config().default_link;
    change(link);
    for (ProcessId peer = 0; peer < count; ++peer) {
      if (peer == target) continue;
      world.network().set_link(target, peer, link);
      loop.schedule_after(window, [&world, target, peer] {
        world.network().set_link(target, peer, world.config().default_link);
      });
    }
  };
  switch (fault) {
    case ChaosFault::crash:
      return fault_actions::crash_for(world, target, window);
    case ChaosFault::pause:
      return fault_actions::pause_for(world, target, window);
    case ChaosFault::clock_offset:
      return fault_actions::clock_offset_for(world, target,
                                             rng.uniform_int(-seconds(5), seconds(5)), 0);
    case ChaosFault::clock_drift:
      return fault_actions::clock_drift_for(world, target, rng.uniform_int(-200'000, 200'000), 0);
    case ChaosFault::clock_jump:
      world.jump_clock(target, rng.uniform_int(-seconds(2), seconds(2)));
      return;
    case ChaosFault::partition: {
      std::vector<ProcessId> left, right;
      for (ProcessId p = 0; p < count; ++p) (rng.bernoulli(0.5) ? left : right).push_back(p);
      world.network().partition({left, right});
      return fault_actions::heal_after(world, window);
    }
    case ChaosFault::cut_one_way:
      world.network().cut_one_way(target, other);
      return fault_actions::heal_after(world, window);
    case ChaosFault::isolate:
      world.network().isolate(target);
      return fault_actions::heal_after(world, window);
    case ChaosFault::bridge: {
      std::vector<ProcessId> left, right;
      for (ProcessId p = 0; p < count; ++p) {
        if (p != target) (rng.bernoulli(0.5) ? left : right).push_back(p);
      }
      world.network().bridge(left, right, target);
      return fault_actions::heal_after(world, window);
    }
    case ChaosFault::clog:
      world.network().clog(target, other, window);
      return;
    case ChaosFault::disk_stall:
      world.disk(target).stall(window);
      return;
    case ChaosFault::disk_torn_writes: {
      // Crash with certain tearing, then restore the normal disk.
      DiskConfig torn = world.config().default_disk;
      torn.torn_write_probability = 1.0;
      world.disk(target).set_config(torn);
      fault_actions::crash_for(world, target, window);
      world.disk(target).set_config(world.config().default_disk);
      return;
    }
    case ChaosFault::disk_corrupt: {
      DiskConfig flaky = world.config().default_disk;
      flaky.bit_flip_probability = 0.5;
      world.disk(target).set_config(flaky);
      loop.schedule_after(
          window, [&world, target] { world.disk(target).set_config(world.config().default_disk); });
      return;
    }
    case ChaosFault::net_loss:
      return link_window([](LinkConfig& link) { link.drop_probability = 0.2; });
    case ChaosFault::net_duplicate:
      return link_window([](LinkConfig& link) { link.duplicate_probability = 0.2; });
    case ChaosFault::net_reorder:
      return link_window([](LinkConfig& link) {
        link.reorder_probability = 0.3;
        link.reorder_delay_max_ns = millis(30);
      });
  }
  SIMRUN_ASSERT(false, "apply_fault: a ChaosFault value outside the enum");
}

}  // namespace

std::string_view chaos_fault_name(ChaosFault fault) {
  switch (fault) {
    case ChaosFault::crash:
      return "crash";
    case ChaosFault::pause:
      return "pause";
    case ChaosFault::clock_offset:
      return "clock_offset";
    case ChaosFault::clock_drift:
      return "clock_drift";
    case ChaosFault::clock_jump:
      return "clock_jump";
    case ChaosFault::partition:
      return "partition";
    case ChaosFault::cut_one_way:
      return "cut_one_way";
    case ChaosFault::isolate:
      return "isolate";
    case ChaosFault::bridge:
      return "bridge";
    case ChaosFault::clog:
      return "clog";
    case ChaosFault::disk_stall:
      return "disk_stall";
    case ChaosFault::disk_torn_writes:
      return "disk_torn_writes";
    case ChaosFault::disk_corrupt:
      return "disk_corrupt";
    case ChaosFault::net_loss:
      return "net_loss";
    case ChaosFault::net_duplicate:
      return "net_duplicate";
    case ChaosFault::net_reorder:
      return "net_reorder";
  }
  SIMRUN_ASSERT(false, "chaos_fault_name: a ChaosFault value outside the enum");
  return {};
}

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
  std::vector<ChaosFault> order;
  for (int round = 0; round < 2; ++round) {
    order.insert(order.end(), kChaosFaults.begin(), kChaosFaults.end());
  }
  for (std::size_t i = order.size() - 1; i > 0; --i) {
    std::swap(order[i], order[static_cast<std::size_t>(faults.below(i + 1))]);
  }
  const duration_ns spacing = options.duration * 8 / 10 / static_cast<duration_ns>(order.size());
  time_ns at = millis(500);
  for (const ChaosFault fault : order) {
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
