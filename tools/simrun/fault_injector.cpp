#include "tools/simrun/fault_injector.h"

#include <set>

#include "sim/assert.h"
#include "sim/hash.h"
#include "sim/trace_kinds.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/scenario_loader.h"

namespace simrun::cli {

using nlohmann::json;

FaultInjector::FaultInjector(sim::World& world, broker::Cluster& cluster,
                             const MetricsObserver& leadership)
    : world_(world), cluster_(cluster), leadership_(leadership) {}

void FaultInjector::schedule(const std::vector<ScheduledFault>& faults) {
  for (const ScheduledFault& fault : faults) {
    world_.loop().schedule_at(sim::millis(fault.at_ms), [this, fault] { apply(fault); });
  }
}

void FaultInjector::later(std::int64_t delay_ms, std::function<void()> action) {
  world_.loop().schedule_after(sim::millis(delay_ms), std::move(action));
}

std::vector<int> FaultInjector::resolve(const std::vector<std::string>& refs,
                                        std::uint64_t draw) const {
  const int nodes = cluster_.node_count();
  std::set<int> resolved;
  std::uint64_t salt = 0;
  for (const std::string& ref : refs) {
    const std::uint64_t pick = sim::mix64(draw ^ salt++);
    if (ref == "random") {
      resolved.insert(static_cast<int>(pick % static_cast<std::uint64_t>(nodes)));
    } else if (ref.rfind("leader:", 0) == 0) {
      if (const auto leader = leadership_.current_leader(ref.substr(7)))
        resolved.insert(*leader - 1);
    } else if (ref.rfind("followers:", 0) == 0) {
      // Every node but the leader: with leader:<group>, a partition that
      // leaves the leader alone while clients still reach it.
      const auto leader = leadership_.current_leader(ref.substr(10));
      if (!leader) continue;
      for (int node = 0; node < nodes; ++node) {
        if (node != *leader - 1) resolved.insert(node);
      }
    } else if (ref.rfind("follower", 0) == 0 && ref.size() > 9 && ref[8] >= '1' && ref[8] <= '8' &&
               ref[9] == ':') {
      // follower<k>:<group>: the k-th follower in node order, so a scenario
      // can hit both followers one after the other.
      const auto leader = leadership_.current_leader(ref.substr(10));
      if (!leader) continue;
      int rank = ref[8] - '0';
      for (int node = 0; node < nodes; ++node) {
        if (node == *leader - 1) continue;
        if (--rank == 0) {
          resolved.insert(node);
          break;
        }
      }
    } else if (ref.rfind("follower:", 0) == 0) {
      const auto leader = leadership_.current_leader(ref.substr(9));
      if (!leader || nodes < 2) continue;
      int follower = static_cast<int>(pick % static_cast<std::uint64_t>(nodes - 1));
      if (follower >= *leader - 1) ++follower;
      resolved.insert(follower);
    } else {
      resolved.insert(ref[1] - '1');
    }
  }
  return {resolved.begin(), resolved.end()};
}

std::vector<sim::ProcessId> FaultInjector::processes(const std::vector<int>& nodes) const {
  std::vector<sim::ProcessId> result;
  for (int node : nodes) result.push_back(cluster_.node_process(node));
  return result;
}

void FaultInjector::trace(const ScheduledFault& fault, std::string_view what,
                          const std::vector<int>& nodes) {
  std::string names;
  for (int node : nodes) names += (names.empty() ? "n" : ",n") + std::to_string(node + 1);
  world_.trace().record(what, {{"action", fault_kind_name(fault.kind)},
                               {"targets", names},
                               {"duration_ms", fault.duration_ms},
                               {"origin", fault.origin}});
}

void FaultInjector::apply(const ScheduledFault& fault) {
  const std::vector<int> nodes = resolve(fault.targets, fault.random_draw);
  const bool needs_targets = !fault.targets.empty();
  if (needs_targets && nodes.empty()) {
    // "leader:G" with no leader at this moment: nothing to hit.
    ++skipped_;
    trace(fault, sim::trace_kinds::kFaultSkipped, nodes);
    return;
  }
  ++applied_;
  trace(fault, sim::trace_kinds::kFault, nodes);
  const auto targets = processes(nodes);
  const std::int64_t duration = fault.duration_ms;
  const json& params = fault.params;
  switch (fault.kind) {
    // Node processes.
    case FaultKind::crash:
      return crash(targets, duration);
    case FaultKind::restart:
      return restart(targets);
    case FaultKind::pause:
      return pause(targets, duration);
    case FaultKind::resume:
      return resume(targets);
    // Local clocks.
    case FaultKind::clock_offset:
      return set_clock_offset(targets, params.at("offset_ms").get<std::int64_t>(), duration);
    case FaultKind::clock_drift:
      return set_clock_drift(targets, params.at("drift_ppm").get<std::int64_t>(), duration);
    case FaultKind::clock_jump:
      for (sim::ProcessId p : targets) {
        world_.jump_clock(p, sim::millis(params.at("delta_ms").get<std::int64_t>()));
      }
      return;
    // The network.
    case FaultKind::partition:
      return partition(fault);
    case FaultKind::cut_one_way:
      for (sim::ProcessId from : targets) {
        for (sim::ProcessId to : param_targets(fault, "to")) {
          if (from != to) world_.network().cut_one_way(from, to);
        }
      }
      return heal_after(duration);
    case FaultKind::isolate:
      for (sim::ProcessId p : targets) world_.network().isolate(p);
      return heal_after(duration);
    case FaultKind::bridge:
      return bridge(fault);
    case FaultKind::clog:
      SIMRUN_ASSERT(duration > 0, "the loader requires a duration for clog");
      for (sim::ProcessId from : targets) {
        for (sim::ProcessId to : param_targets(fault, "to")) {
          if (from != to) world_.network().clog(from, to, sim::millis(duration));
        }
      }
      return;
    case FaultKind::heal:
      world_.network().heal();
      return;
    case FaultKind::latency_spike:
      return latency_spike(fault, targets);
    // Disks.
    case FaultKind::disk_stall:
      SIMRUN_ASSERT(duration > 0, "the loader requires a duration for disk_stall");
      for (sim::ProcessId p : targets) world_.disk(p).stall(sim::millis(duration));
      return;
  }
  SIMRUN_ASSERT(false, "FaultInjector::apply: a FaultKind value outside the enum");
}

std::vector<sim::ProcessId> FaultInjector::param_targets(const ScheduledFault& fault,
                                                         const char* key) const {
  return processes(resolve(fault.params.at(key).get<std::vector<std::string>>(),
                           sim::mix64(fault.random_draw + 1)));
}

void FaultInjector::heal_after(std::int64_t duration_ms) {
  if (duration_ms > 0) later(duration_ms, [this] { world_.network().heal(); });
}

void FaultInjector::crash(const std::vector<sim::ProcessId>& targets, std::int64_t duration_ms) {
  for (sim::ProcessId p : targets) {
    if (world_.state(p) == sim::ProcessState::crashed) continue;
    world_.crash(p);
    if (duration_ms > 0) {
      later(duration_ms, [this, p] {
        if (world_.state(p) == sim::ProcessState::crashed) world_.restart(p);
      });
    }
  }
}

void FaultInjector::restart(const std::vector<sim::ProcessId>& targets) {
  for (sim::ProcessId p : targets) {
    if (world_.state(p) == sim::ProcessState::crashed) world_.restart(p);
  }
}

void FaultInjector::pause(const std::vector<sim::ProcessId>& targets, std::int64_t duration_ms) {
  for (sim::ProcessId p : targets) {
    if (world_.state(p) != sim::ProcessState::running) continue;
    world_.pause(p);
    if (duration_ms > 0) {
      later(duration_ms, [this, p] {
        if (world_.state(p) == sim::ProcessState::paused) world_.resume(p);
      });
    }
  }
}

void FaultInjector::resume(const std::vector<sim::ProcessId>& targets) {
  for (sim::ProcessId p : targets) {
    if (world_.state(p) == sim::ProcessState::paused) world_.resume(p);
  }
}

void FaultInjector::set_clock_offset(const std::vector<sim::ProcessId>& targets,
                                     std::int64_t offset_ms, std::int64_t duration_ms) {
  for (sim::ProcessId p : targets) {
    world_.set_clock_offset(p, sim::millis(offset_ms));
    if (duration_ms > 0) later(duration_ms, [this, p] { world_.set_clock_offset(p, 0); });
  }
}

void FaultInjector::set_clock_drift(const std::vector<sim::ProcessId>& targets,
                                    std::int64_t drift_ppm, std::int64_t duration_ms) {
  for (sim::ProcessId p : targets) {
    world_.set_clock_drift_ppm(p, drift_ppm);
    if (duration_ms > 0) later(duration_ms, [this, p] { world_.set_clock_drift_ppm(p, 0); });
  }
}

void FaultInjector::partition(const ScheduledFault& fault) {
  std::vector<std::vector<sim::ProcessId>> groups;
  std::uint64_t salt = 2;
  for (const auto& group : fault.params.at("groups")) {
    groups.push_back(processes(
        resolve(group.get<std::vector<std::string>>(), sim::mix64(fault.random_draw + salt++))));
  }
  world_.network().partition(groups);
  heal_after(fault.duration_ms);
}

void FaultInjector::bridge(const ScheduledFault& fault) {
  const auto bridge_nodes =
      resolve({fault.params.at("bridge").get<std::string>()}, sim::mix64(fault.random_draw + 9));
  if (bridge_nodes.empty()) return;  // "leader:G" without a leader now
  world_.network().bridge(param_targets(fault, "left"), param_targets(fault, "right"),
                          cluster_.node_process(bridge_nodes.front()));
  heal_after(fault.duration_ms);
}

void FaultInjector::latency_spike(const ScheduledFault& fault,
                                  const std::vector<sim::ProcessId>& targets) {
  SIMRUN_ASSERT(fault.duration_ms > 0, "the loader requires a duration for latency_spike");
  sim::Network& network = world_.network();
  const sim::DurationDistribution latency =
      distribution_from_json(fault.params.at("latency"), "", fault.origin + "/params/latency");
  std::vector<std::tuple<sim::ProcessId, sim::ProcessId, sim::LinkConfig>> saved;
  const auto count = static_cast<sim::ProcessId>(world_.process_count());
  for (sim::ProcessId p : targets) {
    for (sim::ProcessId q = 0; q < count; ++q) {
      if (q == p) continue;
      for (const auto& [from, to] : {std::pair{p, q}, std::pair{q, p}}) {
        saved.emplace_back(from, to, network.link(from, to));
        sim::LinkConfig spiked = network.link(from, to);
        spiked.latency = latency;
        network.set_link(from, to, spiked);
      }
    }
  }
  later(fault.duration_ms, [this, saved] {
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
      world_.network().set_link(std::get<0>(*it), std::get<1>(*it), std::get<2>(*it));
    }
  });
}

}  // namespace simrun::cli
