#pragma once
// The fault timeline of a run: the scenario's `faults` plus the nemesis's
// random faults, expanded up front into one list ordered by time. Nemesis
// arrival times and "random" target draws come only from the "faults"
// stream, all drawn before the run starts, so a change of timing elsewhere
// (a timeout, a latency) never reshuffles the schedule.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/random.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

struct ScheduledFault {
  std::int64_t at_ms = 0;
  FaultKind kind = FaultKind::crash;
  std::vector<std::string> targets;
  std::int64_t duration_ms = 0;
  nlohmann::json params = nlohmann::json::object();
  std::string origin;             // "/faults/2" or "nemesis/crash#3"
  std::uint64_t random_draw = 0;  // picks "random" (and follower) targets
  // Event-triggered: `at_ms` is when the trigger is armed (FaultSpec::when).
  std::optional<TriggerSpec> when;
  std::optional<TriggerSpec> until;
  // Filled when a `when` fires: what the target "event" refers to.
  std::optional<TriggerMatch> event;
  std::string bind;  // FaultSpec::bind; empty for nemesis faults
};

// Bound on nemesis faults per kind, whatever the rates say.
inline constexpr std::size_t kMaxNemesisFaultsPerKind = 10'000;

std::vector<ScheduledFault> build_fault_schedule(const Scenario& scenario, sim::Rng& faults_rng);

// When the last fault is over (its start, plus its duration when it has
// one): where the liveness phase begins. 0 without faults. An event-
// triggered fault may fire as late as its trigger's window closes (its
// `within` after arming, else `scenario_end_ms`), plus its delay.
std::int64_t last_fault_end_ms(const std::vector<ScheduledFault>& schedule,
                               std::int64_t scenario_end_ms);
// Where a trigger armed at `armed_at_ms` stops waiting.
std::int64_t trigger_deadline_ms(const TriggerSpec& trigger, std::int64_t armed_at_ms,
                                 std::int64_t scenario_end_ms);

}  // namespace simrun::cli
