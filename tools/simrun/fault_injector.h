#pragma once
// Applies the fault schedule to a running World: each fault becomes an event
// on the simulator's loop, so it fires at its exact simulated time, between
// fibers. Node references resolve when the fault fires ("leader:__meta" is
// whoever leads __meta then); a fault with a duration undoes itself on the
// nodes it actually hit. Every applied or skipped fault is traced.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/cluster.h"
#include "sim/world.h"
#include "tools/simrun/fault_schedule.h"
#include "tools/simrun/fault_triggers.h"
#include "tools/simrun/metrics.h"
#include "tools/simrun/window_faults.h"

namespace simrun::cli {

class FaultInjector {
 public:
  // `leadership` answers "who leads group G now" (the run's metrics observer).
  FaultInjector(sim::World& world, broker::Cluster& cluster, const MetricsObserver& leadership);
  // Timed faults go on the loop; event-triggered ones (`when`) are armed
  // until their window closes (`scenario_end_ms` when they give no `within`).
  void schedule(const std::vector<ScheduledFault>& faults, std::int64_t scenario_end_ms);
  // Applies one fault at the current simulated time (a script's inject);
  // call from the scheduler context, never from a fiber.
  void apply_now(const ScheduledFault& fault) { apply(fault); }
  // Every trace record of the run, for the triggers (Simulation::observe).
  void observe(const sim::TraceRecord& record, RecordKind kind) { triggers_.observe(record, kind); }
  std::uint64_t applied() const { return applied_; }
  // Faults that hit nothing, and triggers that have not fired (at the end
  // of a run: never fired).
  std::uint64_t skipped() const { return skipped_ + triggers_.armed(); }
  std::uint64_t triggered() const { return triggers_.fired(); }
  // The nodes (0-based) bound to `name` by a fault's `bind`, if it fired.
  std::optional<std::vector<int>> binding(const std::string& name) const;

 private:
  // Node indexes (0-based) of the node references among `refs`; client
  // references ("producer1") and "event" are resolved by resolve_processes.
  std::vector<int> resolve(const std::vector<std::string>& refs, std::uint64_t draw) const;
  // Every process `refs` names, ascending: nodes, clients and "event".
  std::vector<sim::ProcessId> resolve_processes(const std::vector<std::string>& refs,
                                                std::uint64_t draw,
                                                const std::optional<TriggerMatch>& event) const;
  std::vector<sim::ProcessId> processes(const std::vector<int>& nodes) const;
  // The node indexes (0-based) among `targets`, ascending; clients are left out.
  std::vector<int> nodes_among(const std::vector<sim::ProcessId>& targets) const;
  std::optional<sim::ProcessId> client_process(std::string_view name) const;
  // A `when` fault waits for its event.
  void arm(const ScheduledFault& fault);
  // Holds targets -> params.to; with `until`, released at that event.
  void clog(const ScheduledFault& fault, const std::vector<sim::ProcessId>& targets);
  // One case per FaultKind and no default: a kind added to kFaultKinds but
  // not here does not compile (-Werror=switch).
  void apply(const ScheduledFault& fault);
  // Node processes.
  void crash(const std::vector<sim::ProcessId>& targets, std::int64_t duration_ms);
  void restart(const std::vector<sim::ProcessId>& targets);
  void controlled_shutdown(const ScheduledFault& fault, const std::vector<sim::ProcessId>& targets);
  void pause(const std::vector<sim::ProcessId>& targets, std::int64_t duration_ms);
  void resume(const std::vector<sim::ProcessId>& targets);
  // Local clocks.
  void set_clock_offset(const std::vector<sim::ProcessId>& targets, std::int64_t offset_ms,
                        std::int64_t duration_ms);
  void set_clock_drift(const std::vector<sim::ProcessId>& targets, std::int64_t drift_ppm,
                       std::int64_t duration_ms);
  // The network.
  void partition(const ScheduledFault& fault);
  void bridge(const ScheduledFault& fault);
  void latency_spike(const ScheduledFault& fault, const std::vector<sim::ProcessId>& targets);
  void heal_after(std::int64_t duration_ms);
  // Issue 11: one setting of the targets' disks, or of the links targets ->
  // params.to, for the fault's window (window_faults.h).
  void disk_window(const ScheduledFault& fault, const std::vector<sim::ProcessId>& targets,
                   WindowedSetting setting);
  void link_window(const ScheduledFault& fault, const std::vector<sim::ProcessId>& targets,
                   WindowedSetting setting);
  void end_windows_after(std::int64_t duration_ms, std::vector<std::uint64_t> windows);
  // The processes a node-list param ("to", "left", "right") names now.
  std::vector<sim::ProcessId> param_targets(const ScheduledFault& fault, const char* key) const;
  void later(std::int64_t delay_ms, std::function<void()> action);
  void trace(const ScheduledFault& fault, std::string_view what,
             const std::vector<sim::ProcessId>& targets);

  sim::World& world_;
  broker::Cluster& cluster_;
  const MetricsObserver& leadership_;
  TriggerWatcher triggers_;
  std::int64_t scenario_end_ms_ = 0;
  std::uint64_t applied_ = 0;
  std::uint64_t skipped_ = 0;
  WindowedSettings windows_;
  // `bind` name -> the nodes that fault hit; a skipped fault binds nothing,
  // so a later "$name" resolves to no node and that fault is skipped too.
  std::map<std::string, std::vector<int>, std::less<>> bindings_;
};

}  // namespace simrun::cli
