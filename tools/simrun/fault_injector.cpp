#include "tools/simrun/fault_injector.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "sim/assert.h"
#include "sim/fault_actions.h"
#include "sim/hash.h"
#include "sim/trace_kinds.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/scenario_loader.h"

namespace simrun::cli {

using nlohmann::json;

FaultInjector::FaultInjector(sim::World& world, broker::Cluster& cluster,
                             const MetricsObserver& leadership)
    : world_(world), cluster_(cluster), leadership_(leadership), windows_(world) {
  for (int node = 0; node < cluster_.node_count(); ++node) {
    triggers_.set_node_process(node + 1, cluster_.node_process(node));
  }
}

void FaultInjector::schedule(const std::vector<ScheduledFault>& faults,
                             std::int64_t scenario_end_ms) {
  scenario_end_ms_ = scenario_end_ms;
  for (const ScheduledFault& fault : faults) {
    SIMRUN_ASSERT(fault.at_ms >= 0, "a fault fires (or is armed) at a non-negative time");
    SIMRUN_ASSERT(!fault.origin.empty(), "every fault names where it came from");
    if (fault.when) {
      arm(fault);
    } else {
      world_.loop().schedule_at(sim::millis(fault.at_ms), [this, fault] { apply(fault); });
    }
  }
}

// A `when` fault waits for its event from `at_ms` (when.after, or its
// nemesis arrival) to its deadline. Firing happens inside the trace
// observer, possibly inside a node's fiber: it only queues the fault on
// the loop (behind every event already due at that instant), so the fault
// applies from the scheduler context like a timed one.
void FaultInjector::arm(const ScheduledFault& fault) {
  const TriggerSpec& when = *fault.when;
  const std::int64_t deadline_ms = trigger_deadline_ms(when, fault.at_ms, scenario_end_ms_);
  triggers_.arm(when, sim::millis(fault.at_ms), sim::millis(deadline_ms),
                [this, fault](const TriggerMatch& match) {
                  ScheduledFault fired = fault;
                  fired.event = match;
                  later(fault.when->delay_ms, [this, fired] { apply(fired); });
                });
}

void FaultInjector::later(std::int64_t delay_ms, std::function<void()> action) {
  SIMRUN_ASSERT(delay_ms >= 0, "an undo or a triggered fault is never scheduled in the past");
  world_.loop().schedule_after(sim::millis(delay_ms), std::move(action));
}

std::vector<int> FaultInjector::resolve(const std::vector<std::string>& refs,
                                        std::uint64_t draw) const {
  const int nodes = cluster_.node_count();
  SIMRUN_ASSERT(nodes >= 1 && nodes <= 9, "the schema allows 1..9 nodes");
  std::set<int> resolved;
  std::uint64_t salt = 0;
  for (const std::string& ref : refs) {
    const std::uint64_t pick = sim::mix64(draw ^ salt++);
    if (!ref.empty() && ref.front() == kBindingPrefix) {
      // "$name": what an earlier fault bound; nothing if it never fired.
      const auto bound = bindings_.find(std::string_view(ref).substr(1));
      if (bound != bindings_.end()) resolved.insert(bound->second.begin(), bound->second.end());
    } else if (ref == "random") {
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
    } else if (ref.size() == 2 && ref[0] == 'n') {
      resolved.insert(ref[1] - '1');
    }
    // "event" and client names are resolved by resolve_processes.
  }
  SIMRUN_ASSERT(resolved.empty() || (*resolved.begin() >= 0 && *resolved.rbegin() < nodes),
                "the loader checks node references against the cluster size");
  return {resolved.begin(), resolved.end()};
}

std::optional<sim::ProcessId> FaultInjector::client_process(std::string_view name) const {
  for (sim::ProcessId process : cluster_.client_processes()) {
    if (world_.name(process) == name) return process;
  }
  return std::nullopt;
}

std::vector<sim::ProcessId> FaultInjector::resolve_processes(
    const std::vector<std::string>& refs, std::uint64_t draw,
    const std::optional<TriggerMatch>& event) const {
  std::set<sim::ProcessId> resolved;
  for (sim::ProcessId process : processes(resolve(refs, draw))) resolved.insert(process);
  for (const std::string& ref : refs) {
    if (ref == "event") {
      SIMRUN_ASSERT(event.has_value(), "the loader lets \"event\" only into triggered faults");
      if (event->node > 0) {
        resolved.insert(cluster_.node_process(event->node - 1));
      } else if (const auto client = client_process(event->client)) {
        resolved.insert(*client);
      }
    } else if (is_client_ref(ref)) {
      const auto client = client_process(ref);
      SIMRUN_ASSERT(client.has_value(), "the loader checks client names");
      resolved.insert(*client);
    }
  }
  return {resolved.begin(), resolved.end()};
}

std::optional<std::vector<int>> FaultInjector::binding(const std::string& name) const {
  const auto it = bindings_.find(name);
  if (it == bindings_.end()) return std::nullopt;
  return it->second;
}

std::vector<int> FaultInjector::nodes_among(const std::vector<sim::ProcessId>& targets) const {
  std::vector<int> nodes;
  for (int node = 0; node < cluster_.node_count(); ++node) {
    if (std::find(targets.begin(), targets.end(), cluster_.node_process(node)) != targets.end()) {
      nodes.push_back(node);
    }
  }
  return nodes;
}

std::vector<sim::ProcessId> FaultInjector::processes(const std::vector<int>& nodes) const {
  std::vector<sim::ProcessId> result;
  for (int node : nodes) {
    SIMRUN_ASSERT(node >= 0 && node < cluster_.node_count(), "a resolved node exists");
    result.push_back(cluster_.node_process(node));
  }
  return result;
}

void FaultInjector::trace(const ScheduledFault& fault, std::string_view what,
                          const std::vector<sim::ProcessId>& targets) {
  std::string names;
  for (sim::ProcessId process : targets) names += (names.empty() ? "" : ",") + world_.name(process);
  world_.trace().record(what, {{"action", fault_kind_name(fault.kind)},
                               {"targets", names},
                               {"duration_ms", fault.duration_ms},
                               {"origin", fault.origin}});
}

void FaultInjector::apply(const ScheduledFault& fault) {
  const std::vector<sim::ProcessId> targets =
      resolve_processes(fault.targets, fault.random_draw, fault.event);
  const bool needs_targets = !fault.targets.empty();
  if (needs_targets && targets.empty()) {
    // "leader:G" with no leader at this moment: nothing to hit.
    ++skipped_;
    trace(fault, sim::trace_kinds::kFaultSkipped, targets);
    return;
  }
  ++applied_;
  trace(fault, sim::trace_kinds::kFault, targets);
  if (!fault.bind.empty()) {
    SIMRUN_ASSERT(bindings_.count(fault.bind) == 0, "the loader allows one fault per bind name");
    bindings_.emplace(fault.bind, nodes_among(targets));
  }
  const std::int64_t duration = fault.duration_ms;
  const json& params = fault.params;
  switch (fault.kind) {
    // Node processes.
    case FaultKind::crash:
      return crash(targets, duration);
    case FaultKind::restart:
      return restart(targets);
    case FaultKind::controlled_shutdown:
      return controlled_shutdown(fault, targets);
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
      return clog(fault, targets);
    case FaultKind::heal:
      world_.network().heal();
      return;
    case FaultKind::latency_spike:
      return latency_spike(fault, targets);
    case FaultKind::net_loss:
      return link_window(fault, targets, WindowedSetting::link_drop);
    case FaultKind::net_duplicate:
      return link_window(fault, targets, WindowedSetting::link_duplicate);
    case FaultKind::net_reorder:
      return link_window(fault, targets, WindowedSetting::link_reorder);
    // Disks.
    case FaultKind::disk_stall:
      SIMRUN_ASSERT(duration > 0, "the loader requires a duration for disk_stall");
      for (sim::ProcessId p : targets) world_.disk(p).stall(sim::millis(duration));
      return;
    case FaultKind::disk_corrupt:
      return disk_window(fault, targets, WindowedSetting::disk_bit_flip);
    case FaultKind::disk_torn_writes:
      return disk_window(fault, targets, WindowedSetting::disk_torn_write);
    case FaultKind::disk_slow:
      return disk_window(fault, targets, WindowedSetting::disk_fsync_latency);
  }
  SIMRUN_ASSERT(false, "FaultInjector::apply: a FaultKind value outside the enum");
}

std::vector<sim::ProcessId> FaultInjector::param_targets(const ScheduledFault& fault,
                                                         const char* key) const {
  return resolve_processes(fault.params.at(key).get<std::vector<std::string>>(),
                           sim::mix64(fault.random_draw + 1), fault.event);
}

void FaultInjector::heal_after(std::int64_t duration_ms) {
  sim::fault_actions::heal_after(world_, sim::millis(duration_ms));
}

void FaultInjector::crash(const std::vector<sim::ProcessId>& targets, std::int64_t duration_ms) {
  for (sim::ProcessId p : targets)
    sim::fault_actions::crash_for(world_, p, sim::millis(duration_ms));
}

void FaultInjector::restart(const std::vector<sim::ProcessId>& targets) {
  for (sim::ProcessId p : targets) sim::fault_actions::restart_if_crashed(world_, p);
}

// Through the broker: the node's own fiber hands its leaderships over and
// the process stops when that is done or its bound passed, so the stop (and
// the restart `duration_ms` after it) comes later than this fault's record.
// A node that is down or already shutting down is left alone: a
// fault.skipped record names it.
void FaultInjector::controlled_shutdown(const ScheduledFault& fault,
                                        const std::vector<sim::ProcessId>& targets) {
  for (const int node : nodes_among(targets)) {
    if (cluster_.controlled_shutdown(node, sim::millis(fault.duration_ms))) continue;
    trace(fault, sim::trace_kinds::kFaultSkipped, {cluster_.node_process(node)});
  }
}

void FaultInjector::pause(const std::vector<sim::ProcessId>& targets, std::int64_t duration_ms) {
  for (sim::ProcessId p : targets)
    sim::fault_actions::pause_for(world_, p, sim::millis(duration_ms));
}

void FaultInjector::resume(const std::vector<sim::ProcessId>& targets) {
  for (sim::ProcessId p : targets) sim::fault_actions::resume_if_paused(world_, p);
}

void FaultInjector::set_clock_offset(const std::vector<sim::ProcessId>& targets,
                                     std::int64_t offset_ms, std::int64_t duration_ms) {
  for (sim::ProcessId p : targets) {
    sim::fault_actions::clock_offset_for(world_, p, sim::millis(offset_ms),
                                         sim::millis(duration_ms));
  }
}

void FaultInjector::set_clock_drift(const std::vector<sim::ProcessId>& targets,
                                    std::int64_t drift_ppm, std::int64_t duration_ms) {
  for (sim::ProcessId p : targets) {
    sim::fault_actions::clock_drift_for(world_, p, drift_ppm, sim::millis(duration_ms));
  }
}

void FaultInjector::clog(const ScheduledFault& fault, const std::vector<sim::ProcessId>& targets) {
  const std::int64_t duration = fault.duration_ms;
  SIMRUN_ASSERT(duration > 0, "the loader requires a duration for clog");
  std::vector<std::pair<sim::ProcessId, sim::ProcessId>> clogged;
  for (sim::ProcessId from : targets) {
    for (sim::ProcessId to : param_targets(fault, "to")) {
      if (from == to) continue;
      world_.network().clog(from, to, sim::millis(duration));
      clogged.emplace_back(from, to);
    }
  }
  if (!fault.until) return;
  // Held until the event (a leader change: the deposed leader's late
  // appends arrive after it), at most for the clog's duration.
  const std::int64_t delay_ms = fault.until->delay_ms;
  triggers_.arm(*fault.until, world_.now(), world_.now() + sim::millis(duration),
                [this, clogged, delay_ms](const TriggerMatch&) {
                  later(delay_ms, [this, clogged] {
                    for (const auto& [from, to] : clogged) world_.network().unclog(from, to);
                  });
                });
}

void FaultInjector::partition(const ScheduledFault& fault) {
  std::vector<std::vector<sim::ProcessId>> groups;
  std::set<sim::ProcessId> placed;
  std::uint64_t salt = 2;
  for (const auto& group : fault.params.at("groups")) {
    // References resolve independently ("random" in two groups, a leader
    // that is also "follower1" of another group): a process already in an
    // earlier group stays there, so the groups are disjoint.
    std::vector<sim::ProcessId> members;
    for (sim::ProcessId process :
         resolve_processes(group.get<std::vector<std::string>>(),
                           sim::mix64(fault.random_draw + salt++), fault.event)) {
      if (placed.insert(process).second) members.push_back(process);
    }
    groups.push_back(std::move(members));
  }
  world_.network().partition(groups);
  heal_after(fault.duration_ms);
}

void FaultInjector::bridge(const ScheduledFault& fault) {
  const auto bridge_nodes = resolve_processes({fault.params.at("bridge").get<std::string>()},
                                              sim::mix64(fault.random_draw + 9), fault.event);
  if (bridge_nodes.empty()) return;  // "leader:G" without a leader now
  // Disjoint sides without the bridge, whatever the references drew.
  const sim::ProcessId bridge_process = bridge_nodes.front();
  std::vector<sim::ProcessId> left = param_targets(fault, "left");
  std::erase(left, bridge_process);
  std::vector<sim::ProcessId> right = param_targets(fault, "right");
  std::erase_if(right, [&](sim::ProcessId process) {
    return process == bridge_process || std::find(left.begin(), left.end(), process) != left.end();
  });
  world_.network().bridge(left, right, bridge_process);
  heal_after(fault.duration_ms);
}

// Every link to and from the targets, as a windowed setting: a spike that
// overlaps a net_loss window on the same link keeps its loss and vice versa.
void FaultInjector::latency_spike(const ScheduledFault& fault,
                                  const std::vector<sim::ProcessId>& targets) {
  SIMRUN_ASSERT(fault.duration_ms > 0, "the loader requires a duration for latency_spike");
  SettingValue value;
  value.latency =
      distribution_from_json(fault.params.at("latency"), "", fault.origin + "/params/latency");
  std::vector<std::uint64_t> windows;
  const auto count = static_cast<sim::ProcessId>(world_.process_count());
  for (const auto& [from, to] : WindowedSettings::links(targets, {}, false, count)) {
    windows.push_back(windows_.begin(WindowedSetting::link_latency, from, to, value));
  }
  end_windows_after(fault.duration_ms, std::move(windows));
}

namespace {
// The value a windowed fault imposes, from its params (validated at load).
SettingValue window_value(const ScheduledFault& fault, WindowedSetting setting) {
  const nlohmann::json& params = fault.params;
  SettingValue value;
  switch (setting) {
    case WindowedSetting::disk_bit_flip:
      value.probability = params.at("bit_flip_probability").get<double>();
      break;
    case WindowedSetting::disk_torn_write:
      value.probability = params.at("torn_write_probability").get<double>();
      break;
    case WindowedSetting::disk_fsync_latency:
      value.latency = distribution_from_json(params.at("fsync_latency"), "",
                                             fault.origin + "/params/fsync_latency");
      break;
    case WindowedSetting::link_drop:
      value.probability = params.at("drop_probability").get<double>();
      break;
    case WindowedSetting::link_duplicate:
      value.probability = params.at("duplicate_probability").get<double>();
      break;
    case WindowedSetting::link_reorder:
      value.probability = params.at("reorder_probability").get<double>();
      value.reorder_delay_max_ns = static_cast<sim::duration_ns>(
          std::llround(params.at("reorder_delay_max_ms").get<double>() * 1e6));
      break;
    case WindowedSetting::link_latency:
      value.latency =
          distribution_from_json(params.at("latency"), "", fault.origin + "/params/latency");
      break;
  }
  return value;
}
}  // namespace

void FaultInjector::disk_window(const ScheduledFault& fault,
                                const std::vector<sim::ProcessId>& targets,
                                WindowedSetting setting) {
  SIMRUN_ASSERT(fault.duration_ms > 0, "the loader requires a duration for a disk window");
  SIMRUN_ASSERT(is_disk_setting(setting), "a link setting in a disk window");
  const SettingValue value = window_value(fault, setting);
  std::vector<std::uint64_t> windows;
  for (sim::ProcessId p : targets) windows.push_back(windows_.begin(setting, p, p, value));
  end_windows_after(fault.duration_ms, std::move(windows));
}

// One way, targets -> params.to: a fault for the way back is a second fault.
void FaultInjector::link_window(const ScheduledFault& fault,
                                const std::vector<sim::ProcessId>& targets,
                                WindowedSetting setting) {
  SIMRUN_ASSERT(fault.duration_ms > 0, "the loader requires a duration for a link window");
  SIMRUN_ASSERT(!is_disk_setting(setting), "a disk setting in a link window");
  const SettingValue value = window_value(fault, setting);
  std::vector<std::uint64_t> windows;
  const auto count = static_cast<sim::ProcessId>(world_.process_count());
  for (const auto& [from, to] :
       WindowedSettings::links(targets, param_targets(fault, "to"), true, count)) {
    windows.push_back(windows_.begin(setting, from, to, value));
  }
  end_windows_after(fault.duration_ms, std::move(windows));
}

void FaultInjector::end_windows_after(std::int64_t duration_ms,
                                      std::vector<std::uint64_t> windows) {
  if (windows.empty()) return;
  later(duration_ms, [this, windows = std::move(windows)] {
    for (const std::uint64_t window : windows) windows_.end(window);
  });
}

}  // namespace simrun::cli
