#pragma once
// Applies the fault schedule to a running World: each fault becomes an event
// on the simulator's loop, so it fires at its exact simulated time, between
// fibers. Node references resolve when the fault fires ("leader:__meta" is
// whoever leads __meta then); a fault with a duration undoes itself on the
// nodes it actually hit. Every applied or skipped fault is traced.

#include <string>
#include <vector>

#include "broker/cluster.h"
#include "sim/world.h"
#include "tools/simrun/fault_schedule.h"
#include "tools/simrun/metrics.h"

namespace simrun::cli {

class FaultInjector {
 public:
  // `leadership` answers "who leads group G now" (the run's metrics observer).
  FaultInjector(sim::World& world, broker::Cluster& cluster, const MetricsObserver& leadership);
  void schedule(const std::vector<ScheduledFault>& faults);
  // Applies one fault at the current simulated time (a script's inject);
  // call from the scheduler context, never from a fiber.
  void apply_now(const ScheduledFault& fault) { apply(fault); }
  std::uint64_t applied() const { return applied_; }
  std::uint64_t skipped() const { return skipped_; }

 private:
  std::vector<int> resolve(const std::vector<std::string>& refs, std::uint64_t draw) const;
  std::vector<sim::ProcessId> processes(const std::vector<int>& nodes) const;
  void apply(const ScheduledFault& fault);
  void later(std::int64_t delay_ms, std::function<void()> action);
  void trace(const ScheduledFault& fault, std::string_view what, const std::vector<int>& nodes);

  sim::World& world_;
  broker::Cluster& cluster_;
  const MetricsObserver& leadership_;
  std::uint64_t applied_ = 0;
  std::uint64_t skipped_ = 0;
};

}  // namespace simrun::cli
