// simrun: run a scenario against the simulated broker cluster. See
// tools/simrun/cli.h for the commands and scenarios/README.md for the format.
#include "tools/simrun/cli.h"

int main(int argc, char** argv) { return simrun::cli::main_entry(argc, argv); }
