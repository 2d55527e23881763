#pragma once
// The simrun command line.
//
//   simrun SCENARIO.json [--seed N] [--set PATH=JSON ...] [--duration 10m]
//                        [--report DIR] [--trace FILE] [--quiet]
//   simrun replay DIR/summary.json   rerun exactly; exit 1 if the hash differs
//   simrun table SCENARIO.json       the field table over seeds, one column per profile
//   simrun sweep SCENARIO.json ...   many seeds in worker processes (sweep.h)
//   simrun merge DIR... --report OUT shards -> one sweep.json (merge.h)
//   simrun gate --baseline A --candidate B   paired-seed regression gate (gate.h)
//   simrun shrink SCENARIO.json --seed N -o minimal.json   (shrink.h)
//   simrun --help | --version
//
// Exit status: 0 every assertion and checker held; 1 one failed; 2 bad input
// or usage. Every exception is caught here.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace simrun::cli {

struct RunOutcome;
struct SeedResult;

// DIR/summary.json for one run; `override_texts` are the --set arguments in
// order (for replay). Throws InputError when DIR cannot be written.
void write_report(const std::string& dir, const RunOutcome& outcome,
                  const std::vector<std::string>& override_texts);

// A Python scenario (SCENARIO.py) on the command line: what it runs with.
struct ScriptOptions {
  std::string path;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;  // "PATH=JSON", already checked for syntax
  std::optional<std::int64_t> duration_ms;
  std::optional<std::string> report_dir;
  bool quiet = false;
  // `simrun sweep SCRIPT.py`: when set, the script's own output is
  // discarded, nothing is printed, and its result is stored here as one
  // seed of the sweep (see scripts_in_sweeps below).
  SeedResult* seed_result = nullptr;
};
// Runs a Python scenario and returns the exit status. The simrun command
// passes tools/python's embedded interpreter (script_runner.h); without it
// a .py scenario is bad input.
using ScriptCommand =
    std::function<int(const ScriptOptions& options, std::ostream& out, std::ostream& err)>;

bool is_python_scenario(const std::string& path);  // names a .py file

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            const ScriptCommand& run_script = {});
int main_entry(int argc, char** argv, const ScriptCommand& run_script = {});

}  // namespace simrun::cli
