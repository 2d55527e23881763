#include "tools/simrun/fault_injector.h"

#include <set>

#include "sim/hash.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/scenario_loader.h"

namespace simrun::cli {

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
  world_.trace().record(what, {{"action", fault.action},
                               {"targets", names},
                               {"duration_ms", fault.duration_ms},
                               {"origin", fault.origin}});
}

void FaultInjector::apply(const ScheduledFault& fault) {
  const std::string& action = fault.action;
  const std::vector<int> nodes = resolve(fault.targets, fault.random_draw);
  const bool needs_targets = !fault.targets.empty();
  if (needs_targets && nodes.empty()) {
    // "leader:G" with no leader at this moment: nothing to hit.
    ++skipped_;
    trace(fault, "fault.skipped", nodes);
    return;
  }
  ++applied_;
  trace(fault, "fault", nodes);
  const auto targets = processes(nodes);
  sim::Network& network = world_.network();
  const std::int64_t duration = fault.duration_ms;
  auto heal_later = [&] {
    if (duration > 0) later(duration, [this] { world_.network().heal(); });
  };
  auto refs = [&](const char* key) {
    return processes(resolve(fault.params.value(key, std::vector<std::string>{}),
                             sim::mix64(fault.random_draw + 1)));
  };

  if (action == "crash") {
    for (sim::ProcessId p : targets) {
      if (world_.state(p) == sim::ProcessState::crashed) continue;
      world_.crash(p);
      if (duration > 0) {
        later(duration, [this, p] {
          if (world_.state(p) == sim::ProcessState::crashed) world_.restart(p);
        });
      }
    }
  } else if (action == "restart") {
    for (sim::ProcessId p : targets) {
      if (world_.state(p) == sim::ProcessState::crashed) world_.restart(p);
    }
  } else if (action == "pause") {
    for (sim::ProcessId p : targets) {
      if (world_.state(p) != sim::ProcessState::running) continue;
      world_.pause(p);
      if (duration > 0) {
        later(duration, [this, p] {
          if (world_.state(p) == sim::ProcessState::paused) world_.resume(p);
        });
      }
    }
  } else if (action == "resume") {
    for (sim::ProcessId p : targets) {
      if (world_.state(p) == sim::ProcessState::paused) world_.resume(p);
    }
  } else if (action == "clock_offset") {
    const auto offset = sim::millis(fault.params.value("offset_ms", std::int64_t{0}));
    for (sim::ProcessId p : targets) {
      world_.set_clock_offset(p, offset);
      if (duration > 0) later(duration, [this, p] { world_.set_clock_offset(p, 0); });
    }
  } else if (action == "clock_drift") {
    const auto ppm = fault.params.value("drift_ppm", std::int64_t{0});
    for (sim::ProcessId p : targets) {
      world_.set_clock_drift_ppm(p, ppm);
      if (duration > 0) later(duration, [this, p] { world_.set_clock_drift_ppm(p, 0); });
    }
  } else if (action == "clock_jump") {
    const auto delta = sim::millis(fault.params.value("delta_ms", std::int64_t{0}));
    for (sim::ProcessId p : targets) world_.jump_clock(p, delta);
  } else if (action == "partition") {
    std::vector<std::vector<sim::ProcessId>> groups;
    std::uint64_t salt = 2;
    for (const auto& group : fault.params.at("groups")) {
      groups.push_back(processes(
          resolve(group.get<std::vector<std::string>>(), sim::mix64(fault.random_draw + salt++))));
    }
    network.partition(groups);
    heal_later();
  } else if (action == "cut_one_way") {
    for (sim::ProcessId from : targets) {
      for (sim::ProcessId to : refs("to")) {
        if (from != to) network.cut_one_way(from, to);
      }
    }
    heal_later();
  } else if (action == "isolate") {
    for (sim::ProcessId p : targets) network.isolate(p);
    heal_later();
  } else if (action == "bridge") {
    const auto bridge_nodes =
        resolve({fault.params.at("bridge").get<std::string>()}, sim::mix64(fault.random_draw + 9));
    if (bridge_nodes.empty()) return;
    network.bridge(refs("left"), refs("right"), cluster_.node_process(bridge_nodes.front()));
    heal_later();
  } else if (action == "clog") {
    for (sim::ProcessId from : targets) {
      for (sim::ProcessId to : refs("to")) {
        if (from != to) network.clog(from, to, sim::millis(duration));
      }
    }
  } else if (action == "heal") {
    network.heal();
  } else if (action == "disk_stall") {
    for (sim::ProcessId p : targets) world_.disk(p).stall(sim::millis(duration));
  } else if (action == "latency_spike") {
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
    later(duration, [this, saved] {
      for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
        world_.network().set_link(std::get<0>(*it), std::get<1>(*it), std::get<2>(*it));
      }
    });
  }
}

}  // namespace simrun::cli
