#pragma once
// `simrun scenarios/NAME.py [--seed N] [--set PATH=JSON ...] [--duration D]
// [--report DIR] [--quiet]`: runs a Python scenario in an interpreter
// embedded in the simrun command, with the `simrun` module built in.
//
// The script runs as __main__. Every Simulation it creates (or simrun.run)
// takes the command's --seed, --set (after its own) and --duration unless
// it passes its own; the ones it leaves unfinished are run to their end.
// Each run's summary is printed as for a JSON scenario; --report DIR
// writes DIR/summary.json for one run, DIR/run-K/summary.json for several.
//
// Exit status: 0 every run passed; 1 a run failed (an assertion, a
// checker, a simrun check) or the script raised AssertionError; 2 any
// other exception (its traceback is printed), bad input, or a script that
// exceeded its budget of Python lines between two calls into simrun.
//
// Determinism: Python's string hashing is fixed (hash seed 0) and its
// `random` module is seeded from --seed, so a script that iterates over a
// set or uses `random` still repeats itself; simulations draw their own
// randomness from the seed only.

#include <cstdint>
#include <iosfwd>

#include "tools/simrun/cli.h"

namespace simrun::python {

// Python lines a script may run between two calls into simrun (the
// environment variable SIMRUN_SCRIPT_LINE_BUDGET overrides it).
inline constexpr std::uint64_t kScriptLineBudget = 50'000'000;

int run_script(const cli::ScriptOptions& options, std::ostream& out, std::ostream& err);

}  // namespace simrun::python
