#pragma once
// Runs one loaded scenario: builds the World and the broker Cluster, wires
// the metrics observers and checkers to the trace, schedules the faults,
// runs the simulated clock to the end, then evaluates assertions, liveness
// and the end-of-run checks. Wall time is measured around the run only for
// the report; nothing inside the simulation can see it.

#include <functional>
#include <iosfwd>
#include <string>

#include "tools/simrun/report.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

struct RunOptions {
  std::ostream* trace_sink = nullptr;  // --trace FILE: JSON lines
  // Called about once per simulated second with (now_ms, end_ms).
  std::function<void(std::int64_t, std::int64_t)> progress;
  std::int64_t duration_override_ms = 0;  // for the repro line
};

RunOutcome run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace simrun::cli
