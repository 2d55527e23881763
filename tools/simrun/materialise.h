#pragma once
// A run's fault timeline written out as plain scenario data: the nemesis's
// random faults become explicit `faults` entries at their drawn times, and
// "random" targets become the node the draw picks (the same pick the fault
// injector makes), so the timeline can be read, edited and shrunk. Targets
// that depend on the run's state (leader:, follower:, followers:) stay
// symbolic.
//
// The schedule comes from the "faults" stream alone (fault_schedule.h): it
// depends on the seed and the scenario's faults and nemesis, never on
// timing settings, which is what lets a gate pair seeds.

#include <vector>

#include <nlohmann/json.hpp>

#include "tools/simrun/fault_schedule.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

// The timeline run_scenario schedules for this scenario and seed.
std::vector<ScheduledFault> materialised_schedule(const Scenario& scenario);

// One explicit `faults` entry per scheduled fault, in time order.
nlohmann::json faults_json(const std::vector<ScheduledFault>& schedule, int nodes);

// The scenario document with its seed and duration written in, and the
// nemesis replaced by explicit faults (the document's overrides are already
// applied by the loader).
nlohmann::json materialised_document(const Scenario& scenario);

}  // namespace simrun::cli
