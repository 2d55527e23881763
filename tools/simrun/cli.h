#pragma once
// The simrun command line.
//
//   simrun SCENARIO.json [--seed N] [--set PATH=JSON ...] [--duration 10m]
//                        [--report DIR] [--trace FILE] [--quiet]
//   simrun replay DIR/summary.json   rerun exactly; exit 1 if the hash differs
//   simrun table SCENARIO.json       the field table, one column per profile
//   simrun sweep SCENARIO.json ...   many seeds in worker processes (sweep.h)
//   simrun merge DIR... --report OUT shards -> one sweep.json (merge.h)
//   simrun gate --baseline A --candidate B   paired-seed regression gate (gate.h)
//   simrun shrink SCENARIO.json --seed N -o minimal.json   (shrink.h)
//   simrun --help | --version
//
// Exit status: 0 every assertion and checker held; 1 one failed; 2 bad input
// or usage. Every exception is caught here.

#include <iosfwd>
#include <string>
#include <vector>

namespace simrun::cli {

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int main_entry(int argc, char** argv);

}  // namespace simrun::cli
