#pragma once
// The files `--report DIR` writes beside summary.json for one run:
// junit.xml (junit.h), trace.json (chrome_trace.h) and report.html
// (timeline.h drawn by pages/run_report.html). The data comes from
// trace observers attached during the run (bounded memory), never from
// re-reading a trace file.

#include <optional>
#include <string>

#include "sim/trace.h"
#include "tools/simrun/chrome_trace.h"
#include "tools/simrun/report.h"
#include "tools/simrun/scenario.h"
#include "tools/simrun/simulation.h"
#include "tools/simrun/timeline.h"

namespace simrun::cli {

class RunReport {
 public:
  RunReport() = default;
  RunReport(const RunReport&) = delete;
  RunReport& operator=(const RunReport&) = delete;

  // Observes `simulation`'s trace from now on (RunOptions::on_start); this
  // object must outlive the simulation.
  void attach(Simulation& simulation);

  // Writes DIR/junit.xml, DIR/trace.json and DIR/report.html; throws
  // InputError when a file cannot be written.
  void write(const std::string& dir, const RunOutcome& outcome) const;

 private:
  ChromeTrace chrome_trace_;
  std::optional<Timeline> timeline_;  // sized to the run when attached
};

}  // namespace simrun::cli
