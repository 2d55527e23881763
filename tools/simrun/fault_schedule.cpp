#include "tools/simrun/fault_schedule.h"

#include <algorithm>
#include <cmath>

namespace simrun::cli {

std::vector<ScheduledFault> build_fault_schedule(const Scenario& scenario, sim::Rng& faults_rng) {
  std::vector<ScheduledFault> schedule;
  for (const FaultSpec& fault : scenario.faults) {
    schedule.push_back(ScheduledFault{fault.at_ms, fault.kind, fault.targets, fault.duration_ms,
                                      fault.params, fault.json_path, faults_rng.next_u64(),
                                      fault.when, fault.until, std::nullopt});
  }
  if (scenario.nemesis) {
    const NemesisSpec& nemesis = *scenario.nemesis;
    for (const NemesisKind& kind : nemesis.kinds) {
      double at_ms = static_cast<double>(nemesis.from_ms);
      for (std::size_t n = 0; n < kMaxNemesisFaultsPerKind; ++n) {
        at_ms += faults_rng.exponential(static_cast<double>(kind.mean_interval_ms));
        const std::uint64_t draw = faults_rng.next_u64();
        if (at_ms >= static_cast<double>(nemesis.to_ms)) break;
        schedule.push_back(ScheduledFault{
            static_cast<std::int64_t>(std::floor(at_ms)), kind.kind, kind.targets, kind.duration_ms,
            kind.params,
            "nemesis/" + std::string(fault_kind_name(kind.kind)) + "#" + std::to_string(n), draw,
            kind.when, kind.until, std::nullopt});
      }
    }
  }
  // Stable: faults at one instant keep their order (file order, then nemesis).
  std::stable_sort(
      schedule.begin(), schedule.end(),
      [](const ScheduledFault& a, const ScheduledFault& b) { return a.at_ms < b.at_ms; });
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
    const std::int64_t start =
        fault.when
            ? trigger_deadline_ms(*fault.when, fault.at_ms, scenario_end_ms) + fault.when->delay_ms
            : fault.at_ms;
    end = std::max(end, start + fault.duration_ms);
  }
  return end;
}

}  // namespace simrun::cli
