#include "tools/simrun/runner.h"

namespace simrun::cli {

RunOutcome run_scenario(const Scenario& scenario, const RunOptions& options) {
  Simulation simulation(scenario, options);
  if (options.on_start) options.on_start(simulation);
  simulation.run_to_end();
  return simulation.finish();
}

}  // namespace simrun::cli
