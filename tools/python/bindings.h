#pragma once
// The Python module `simrun` (pybind11), shared by the extension module
// build/python/simrun*.so (module.cpp) and the interpreter the simrun
// command embeds to run scenarios/NAME.py (script_runner.cpp).
//
// A script session: while the command line runs a script, every Simulation
// the script creates is recorded here in creation order, the command's
// --seed, --set and --duration apply to each (as defaults under the
// script's own arguments), and the script has a budget of Python lines
// between two calls into the simulator. Outside the command line there is
// no session and none of that applies.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "tools/simrun/report.h"

namespace simrun::cli {
class RunReport;
}

namespace simrun::python {

void define_module(pybind11::module_& simrun_module);

class PySimulation;  // simrun.Simulation

struct ScriptSession {
  bool active = false;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;  // "PATH=JSON", applied after the script's own
  std::optional<std::int64_t> duration_ms;
  bool reports = false;  // --report DIR: attach the report observers to each run
  // Simulations the script created, in order (kept alive until the
  // session ends, so none is lost to garbage collection).
  std::vector<std::shared_ptr<PySimulation>> simulations;
};

// The one session of this process (the command line runs one script).
ScriptSession& script_session();

// Finishes every simulation of the session that the script left running
// and returns all outcomes in creation order, each with the override
// arguments it ran with.
struct SessionRun {
  cli::RunOutcome outcome;
  std::vector<std::string> override_texts;
  std::shared_ptr<cli::RunReport> report;  // set when the session writes reports
};
std::vector<SessionRun> end_script_session();

// Counts Python lines executed since the script last called into simrun;
// past `lines` the script is stopped with simrun.BudgetExceeded. 0: off.
void set_line_budget(std::uint64_t lines);

}  // namespace simrun::python
