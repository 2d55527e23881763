#pragma once
// Runs one loaded scenario from start to end: a Simulation (simulation.h)
// run straight through, then finished into the RunOutcome. Wall time is
// measured around the run only for the report; nothing inside the
// simulation can see it.

#include "tools/simrun/report.h"
#include "tools/simrun/scenario.h"
#include "tools/simrun/simulation.h"

namespace simrun::cli {

RunOutcome run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace simrun::cli
