#include "tools/simrun/fault_schedule.h"

#include <algorithm>
#include <cmath>

#include "sim/assert.h"

namespace simrun::cli {

std::vector<ScheduledFault> build_fault_schedule(const Scenario& scenario, sim::Rng& faults_rng) {
  std::vector<ScheduledFault> schedule;
  for (const FaultSpec& fault : scenario.faults) {
    SIMRUN_ASSERT(fault.at_ms >= 0 && fault.duration_ms >= 0,
                  "the loader keeps times non-negative");
    SIMRUN_ASSERT(fault_kind_info(fault.kind).needs_targets == !fault.targets.empty(),
                  "the loader requires targets exactly where the kind needs them");
    schedule.push_back(ScheduledFault{fault.at_ms, fault.kind, fault.targets, fault.duration_ms,
                                      fault.params, fault.json_path, faults_rng.next_u64(),
                                      fault.when, fault.until, std::nullopt, fault.bind});
  }
  if (scenario.nemesis) {
    const NemesisSpec& nemesis = *scenario.nemesis;
    SIMRUN_ASSERT(nemesis.from_ms <= nemesis.to_ms, "the loader orders the nemesis window");
    for (const NemesisKind& kind : nemesis.kinds) {
      SIMRUN_ASSERT(kind.mean_interval_ms > 0, "the schema keeps mean intervals positive");
      double at_ms = static_cast<double>(nemesis.from_ms);
      for (std::size_t n = 0; n < kMaxNemesisFaultsPerKind; ++n) {
        at_ms += faults_rng.exponential(static_cast<double>(kind.mean_interval_ms));
        const std::uint64_t draw = faults_rng.next_u64();
        if (at_ms >= static_cast<double>(nemesis.to_ms)) break;
        schedule.push_back(ScheduledFault{
            static_cast<std::int64_t>(std::floor(at_ms)), kind.kind, kind.targets, kind.duration_ms,
            kind.params,
            "nemesis/" + std::string(fault_kind_name(kind.kind)) + "#" + std::to_string(n), draw,
            kind.when, kind.until, std::nullopt, std::string()});
      }
    }
  }
  // Stable: faults at one instant keep their order (file order, then nemesis).
  std::stable_sort(
      schedule.begin(), schedule.end(),
      [](const ScheduledFault& a, const ScheduledFault& b) { return a.at_ms < b.at_ms; });
  SIMRUN_ASSERT(schedule.size() <= scenario.faults.size() +
                                       (scenario.nemesis ? scenario.nemesis->kinds.size() : 0) *
                                           kMaxNemesisFaultsPerKind,
                "the schedule is bounded by the timeline and the per-kind nemesis cap");
  return schedule;
}

std::int64_t trigger_deadline_ms(const TriggerSpec& trigger, std::int64_t armed_at_ms,
                                 std::int64_t scenario_end_ms) {
  return trigger.within_ms ? armed_at_ms + *trigger.within_ms
                           : std::max(armed_at_ms, scenario_end_ms);
}

std::int64_t last_fault_end_ms(const std::vector<ScheduledFault>& schedule,
                               std::int64_t scenario_end_ms) {
  std::int64_t end = 0;
  for (const ScheduledFault& fault : schedule) {
    SIMRUN_ASSERT(fault.at_ms >= 0 && fault.duration_ms >= 0, "scheduled times are non-negative");
    const std::int64_t start =
        fault.when
            ? trigger_deadline_ms(*fault.when, fault.at_ms, scenario_end_ms) + fault.when->delay_ms
            : fault.at_ms;
    end = std::max(end, start + fault.duration_ms);
  }
  return end;
}

}  // namespace simrun::cli
