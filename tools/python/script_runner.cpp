#include "tools/python/script_runner.h"

#include <pybind11/embed.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>

#include "broker/probe.h"
#include "sim/assert.h"
#include "sim/hash.h"
#include "tools/python/bindings.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/overrides.h"
#include "tools/simrun/report.h"
#include "tools/simrun/run_report.h"
#include "tools/simrun/sweep.h"

PYBIND11_EMBEDDED_MODULE(simrun, simrun_module) { simrun::python::define_module(simrun_module); }

namespace simrun::python {

namespace py = pybind11;

namespace {

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitBadInput = 2;

// "simrun scenarios/x.py --seed N [--duration D] [--set 'P=V' ...]": the
// same line a sweep prints for the script (cli::repro_line).
std::string script_repro(const cli::ScriptOptions& options, std::uint64_t seed) {
  std::vector<cli::Override> overrides;
  overrides.reserve(options.sets.size());
  for (const std::string& text : options.sets) overrides.push_back(cli::parse_override(text));
  return cli::repro_line(options.path, seed, overrides, options.duration_ms.value_or(0));
}

// kScriptLineBudget, or SIMRUN_SCRIPT_LINE_BUDGET when set (tests use a
// small one to see a spinning script stopped quickly).
std::uint64_t line_budget() {
  const char* text = std::getenv("SIMRUN_SCRIPT_LINE_BUDGET");
  if (text == nullptr) return kScriptLineBudget;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    throw cli::InputError(std::string("SIMRUN_SCRIPT_LINE_BUDGET: expected a number, got ") + text);
  }
}

// The interpreter, configured so that nothing about the process leaks into
// the script: fixed string hashing, no user site-packages, no environment
// variables (PYTHONHASHSEED, PYTHONPATH...) steering it.
PyConfig interpreter_config() {
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  config.use_hash_seed = 1;
  config.hash_seed = 0;
  config.install_signal_handlers = 1;
  // The interpreter this was built against (Debian's), found from its own
  // executable rather than from PATH.
  const PyStatus status =
      PyConfig_SetBytesString(&config, &config.program_name, SIMRUN_PYTHON_EXECUTABLE);
  if (PyStatus_Exception(status) != 0) throw std::runtime_error("cannot configure Python");
  return config;
}

// Runs the script as __main__; returns the exit status for an exception, or
// nullopt when the script ended normally.
std::optional<int> execute(const cli::ScriptOptions& options, std::ostream& err,
                           std::string* raised_text) {
  try {
    py::module_ sys = py::module_::import("sys");
    sys.attr("argv") = py::make_tuple(options.path);
    if (options.seed_result != nullptr) {
      // A seed of a sweep: what the script prints would interleave with
      // the other workers' and the sweep's own output.
      py::object devnull = py::module_::import("io").attr("StringIO")();
      sys.attr("stdout") = devnull;
      sys.attr("stderr") = devnull;
    }
    const std::string folder =
        std::filesystem::path(options.path).parent_path().lexically_normal().string();
    sys.attr("path").attr("insert")(0, folder.empty() ? "." : folder);
    // Python's own random module, for scripts that use it anyway: seeded
    // from the run's seed, never from the operating system.
    py::module_::import("random").attr("seed")(options.seed.value_or(0));

    ScriptSession& session = script_session();
    session = ScriptSession{};
    session.active = true;
    session.seed = options.seed;
    session.sets = options.sets;
    session.duration_ms = options.duration_ms;
    session.reports = options.report_dir.has_value();
    py::dict globals;
    globals["__name__"] = "__main__";
    globals["__file__"] = options.path;
    globals["__builtins__"] = py::module_::import("builtins");
    set_line_budget(line_budget());
    py::eval_file(options.path, globals);
    set_line_budget(0);
    return std::nullopt;
  } catch (py::error_already_set& error) {
    set_line_budget(0);
    if (error.matches(PyExc_SystemExit)) {
      const py::object code = error.value().attr("code");
      if (code.is_none()) return kExitPass;
      *raised_text = "the script called sys.exit(" + py::repr(code).cast<std::string>() + ")";
      if (py::isinstance<py::int_>(code)) return code.cast<int>();
      err << "simrun: " << options.path << ": " << py::str(code).cast<std::string>() << "\n";
      return kExitFail;
    }
    const bool failed_assertion = error.matches(PyExc_AssertionError);
    *raised_text = "the script raised " +
                   py::str(error.type().attr("__name__")).cast<std::string>() + ": " +
                   py::str(error.value()).cast<std::string>();
    err << "simrun: " << options.path << ": the script raised "
        << (failed_assertion ? "AssertionError (a failed assertion: exit 1)" : "an exception")
        << ":\n";
    error.restore();
    PyErr_Print();  // the traceback, on the interpreter's stderr
    return failed_assertion ? kExitFail : kExitBadInput;
  }
}

// One seed of `simrun sweep SCRIPT.py`: the script's verdict, with the
// metrics of its one simulation (or "run-K.<metric>" for each of several).
cli::SeedResult script_seed_result(const cli::ScriptOptions& options,
                                   const std::vector<SessionRun>& runs, std::optional<int> raised,
                                   const std::string& raised_text) {
  SIMRUN_ASSERT(options.seed.has_value(), "a sweep seed always has its seed");
  cli::SeedResult result;
  result.seed = *options.seed;
  result.repro = script_repro(options, *options.seed);
  bool passed = true;
  sim::Hasher combined;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const cli::SeedResult run = cli::seed_result_of(runs[i].outcome);
    const std::string prefix = runs.size() == 1 ? "" : "run-" + std::to_string(i + 1) + ".";
    for (const auto& [name, value] : run.metrics) result.metrics[prefix + name] = value;
    for (const std::string& check : run.failed) result.failed.push_back(prefix + check);
    if (result.first_failure.empty() && !run.first_failure.empty()) {
      result.first_failure = prefix + run.first_failure;
    }
    result.events += run.events;
    result.sim_time_ms += run.sim_time_ms;
    passed = passed && runs[i].outcome.passed;
    combined.add(runs[i].outcome.trace_hash);
  }
  result.trace_hash = runs.size() == 1 ? cli::format_hash(runs[0].outcome.trace_hash)
                                       : cli::format_hash(combined.value());
  // The probes none of the script's simulations reached (all of them when
  // it ran none), so a sweep's probes_missed stays truthful for scripts.
  std::set<std::string> missed;
  for (const std::string& name : broker::all_probe_names()) missed.insert(name);
  for (const SessionRun& run : runs) {
    const auto& own = run.outcome.probes_missed;
    std::erase_if(missed, [&](const std::string& name) {
      return std::find(own.begin(), own.end(), name) == own.end();
    });
  }
  result.probes_missed.assign(missed.begin(), missed.end());
  const int status = raised.value_or(passed ? kExitPass : kExitFail);
  result.status = status == kExitPass   ? cli::SeedStatus::pass
                  : status == kExitFail ? cli::SeedStatus::fail
                                        : cli::SeedStatus::error;
  if (raised && !raised_text.empty() && result.status != cli::SeedStatus::pass) {
    result.first_failure = raised_text;
  }
  if (result.status != cli::SeedStatus::pass && result.first_failure.empty()) {
    result.first_failure = "the script exited with status " + std::to_string(status);
  }
  return result;
}

}  // namespace

int run_script(const cli::ScriptOptions& options, std::ostream& out, std::ostream& err) {
  if (!std::filesystem::is_regular_file(options.path)) {
    throw cli::InputError(options.path + ": cannot open the scenario file");
  }
  PyConfig config = interpreter_config();
  py::scoped_interpreter interpreter(&config, 0, nullptr, false);
  std::string raised_text;
  const std::optional<int> raised = execute(options, err, &raised_text);

  // Finish what the script left running, even after an exception, so the
  // session's Python objects die before the interpreter does.
  std::vector<SessionRun> runs;
  try {
    runs = end_script_session();
  } catch (py::error_already_set& error) {
    err << "simrun: " << options.path << ": finishing the script's simulations raised:\n";
    error.restore();
    PyErr_Print();
    script_session() = ScriptSession{};
    if (options.seed_result != nullptr) {
      *options.seed_result = script_seed_result(options, runs, kExitBadInput,
                                                "finishing the script's simulations raised");
    }
    return kExitBadInput;
  }
  if (options.seed_result != nullptr) {
    *options.seed_result = script_seed_result(options, runs, raised, raised_text);
    return raised.value_or(options.seed_result->status == cli::SeedStatus::pass ? kExitPass
                                                                                : kExitFail);
  }
  if (raised) return *raised;

  bool passed = true;
  sim::Hasher combined;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    cli::RunOutcome& outcome = runs[i].outcome;
    outcome.repro = script_repro(options, outcome.seed);
    passed = passed && outcome.passed;
    combined.add(outcome.trace_hash);
    if (options.report_dir) {
      const std::string dir = runs.size() == 1
                                  ? *options.report_dir
                                  : *options.report_dir + "/run-" + std::to_string(i + 1);
      cli::write_report(dir, outcome, runs[i].override_texts);
      if (runs[i].report) runs[i].report->write(dir, outcome);
    }
    if (!options.quiet || i + 1 == runs.size()) cli::print_summary(out, outcome, options.quiet);
  }
  if (runs.size() != 1) {
    out << options.path << ": " << runs.size() << " simulations, "
        << (passed ? "all passed" : "some failed") << "; script trace hash "
        << cli::format_hash(combined.value()) << "\n";
  }
  if (options.report_dir && runs.size() != 1) {
    std::filesystem::create_directories(*options.report_dir);
    std::ofstream summary(*options.report_dir + "/summary.json");
    nlohmann::json runs_json = nlohmann::json::array();
    for (const SessionRun& run : runs)
      runs_json.push_back(cli::format_hash(run.outcome.trace_hash));
    summary << nlohmann::json{{"script", options.path},
                              {"passed", passed},
                              {"runs", runs.size()},
                              {"run_trace_hashes", runs_json},
                              {"trace_hash", cli::format_hash(combined.value())}}
                   .dump(2)
            << "\n";
  }
  return passed ? kExitPass : kExitFail;
}

}  // namespace simrun::python
