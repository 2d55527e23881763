// simrun: run a scenario against the simulated broker cluster. See
// tools/simrun/cli.h for the commands and scenarios/README.md for the format.
#include "tools/simrun/cli.h"

#ifdef SIMRUN_WITH_PYTHON
#include "tools/python/script_runner.h"
#endif

int main(int argc, char** argv) {
#ifdef SIMRUN_WITH_PYTHON
  return simrun::cli::main_entry(argc, argv, simrun::python::run_script);
#else
  return simrun::cli::main_entry(argc, argv);
#endif
}
