#include "tools/python/bindings.h"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <memory>

#include "sim/hash.h"
#include "tools/simrun/cli.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/overrides.h"
#include "tools/simrun/run_report.h"
#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/simulation.h"

namespace simrun::python {

namespace py = pybind11;
using cli::InputError;
using cli::RunOutcome;
using cli::Simulation;

namespace {

// --- the script budget -----------------------------------------------------
// Not a wall-clock limit: a count of Python lines, so a script stopped by
// it is stopped at the same line on every machine.
std::uint64_t line_budget = 0;
std::uint64_t lines_since_yield = 0;

int count_lines(PyObject*, PyFrameObject*, int what, PyObject*) {
  if (what != PyTrace_LINE || line_budget == 0) return 0;
  if (++lines_since_yield <= line_budget) return 0;
  lines_since_yield = 0;
  const std::string message = "the script ran " + std::to_string(line_budget) +
                              " Python lines without calling into the simulator (the script "
                              "budget); a loop that never yields?";
  PyErr_SetString(PyExc_TimeoutError, message.c_str());
  return -1;
}

// Every call into the module is a yield to the simulator.
void yielded() { lines_since_yield = 0; }

// --- conversions -------------------------------------------------------------
nlohmann::json to_json(const py::handle& value) {
  const auto text = py::module_::import("json").attr("dumps")(value).cast<std::string>();
  return nlohmann::json::parse(text);
}

py::object to_python(const nlohmann::json& value) {
  return py::module_::import("json").attr("loads")(value.dump());
}

// A simulated time or duration: integer milliseconds or "30s", "500ms", "2m".
std::int64_t millis_from(const py::handle& value, const char* what) {
  if (py::isinstance<py::bool_>(value)) {
    throw InputError(std::string(what) + ": expected milliseconds or a duration like \"30s\"");
  }
  if (py::isinstance<py::int_>(value)) return value.cast<std::int64_t>();
  if (py::isinstance<py::str>(value)) return cli::parse_duration_ms(value.cast<std::string>());
  throw InputError(std::string(what) + ": expected milliseconds or a duration like \"30s\"");
}

py::dict event_dict(const cli::SimEvent& event) {
  py::dict result;
  result["kind"] = std::string(cli::to_string(event.kind));
  result["time_ms"] = event.time_ms;
  result["group"] = event.group.empty() ? py::object(py::none()) : py::object(py::str(event.group));
  result["node"] = event.node == 0 ? py::object(py::none()) : py::object(py::int_(event.node));
  result["term"] = event.term;
  result["fields"] = to_python(event.fields);
  return result;
}

py::dict node_dict(const cli::NodeState& state) {
  py::dict result;
  result["node"] = state.node;
  result["process_state"] = state.process_state;
  result["up"] = state.up;
  py::dict groups;
  for (const cli::ReplicaState& replica : state.replicas) {
    py::dict group;
    group["role"] = replica.role;
    group["term"] = replica.term;
    group["leader"] =
        replica.leader == 0 ? py::object(py::none()) : py::object(py::int_(replica.leader));
    group["commit_index"] = replica.commit_index;
    group["applied_index"] = replica.applied_index;
    groups[py::str(replica.group)] = group;
  }
  result["groups"] = groups;
  return result;
}

nlohmann::json summary_with_args(const RunOutcome& outcome,
                                 const std::vector<std::string>& override_texts) {
  nlohmann::json summary = cli::summary_json(outcome);
  summary["override_args"] = override_texts;  // as summary.json has them
  return summary;
}

}  // namespace

// --- the Simulation object as Python sees it -------------------------------
class PySimulation {
 public:
  PySimulation(const py::object& scenario, std::optional<std::uint64_t> seed,
               std::optional<std::vector<std::string>> set, const py::object& duration,
               std::optional<std::string> report)
      : report_(std::move(report)) {
    const ScriptSession& session = script_session();
    cli::LoadOptions options;
    if (set) override_texts_ = *set;
    for (const std::string& text : session.sets) override_texts_.push_back(text);
    for (const std::string& text : override_texts_) {
      options.overrides.push_back(cli::parse_override(text));
    }
    options.seed = seed ? seed : session.seed;
    if (!duration.is_none()) {
      options.duration_ms = millis_from(duration, "duration");
    } else {
      options.duration_ms = session.duration_ms;
    }
    if (options.duration_ms && *options.duration_ms <= 0) {
      throw InputError("duration must be positive");
    }
    cli::Scenario loaded;
    if (py::isinstance<py::dict>(scenario)) {
      loaded = cli::load_scenario_text(to_json(scenario).dump(), "<dict>", options);
    } else {
      const auto path = py::str(py::module_::import("os").attr("fspath")(scenario));
      loaded = cli::load_scenario_file(path.cast<std::string>(), options);
    }
    cli::RunOptions run_options;
    run_options.duration_override_ms =
        duration.is_none() ? session.duration_ms.value_or(0) : options.duration_ms.value_or(0);
    simulation_ = std::make_unique<Simulation>(loaded, run_options);
    // The files --report writes beside summary.json (junit.xml, trace.json,
    // ...) come from observers attached before the run, as in the CLI.
    if (report_ || (session.active && session.reports)) {
      run_report_ = std::make_shared<cli::RunReport>();
      run_report_->attach(*simulation_);
    }
  }

  Simulation& running() {
    yielded();
    if (outcome_) throw std::runtime_error("this simulation is finished");
    return *simulation_;
  }
  const Simulation& any() const {
    yielded();
    if (!simulation_)
      throw std::runtime_error("this simulation was released when its script ended");
    return *simulation_;
  }

  void run_until(const py::object& time) { running().run_until(millis_from(time, "time")); }
  void run_for(const py::object& duration) { running().run_for(millis_from(duration, "duration")); }
  bool run_until_true(const py::function& condition, const py::object& check_every,
                      const py::object& limit) {
    Simulation& simulation = running();
    const std::int64_t every = millis_from(check_every, "check_every");
    const std::int64_t limit_ms =
        limit.is_none() ? simulation.end_ms() : millis_from(limit, "limit");
    return simulation.run_until_condition(
        [&] {
          const bool held = py::bool_(condition());
          yielded();
          return held;
        },
        every, limit_ms);
  }

  bool inject(const py::dict& fault) { return running().inject(to_json(fault)); }

  void add_assertion(const std::string& metric, const std::string& op, double bound,
                     const std::optional<std::string>& group,
                     const std::optional<std::string>& name,
                     const std::optional<std::pair<py::object, py::object>>& window) {
    cli::AssertionSpec spec;
    spec.metric = metric;
    spec.op = op;
    spec.bound = bound;
    spec.group = group.value_or("");
    if (window) {
      spec.window = cli::TimeWindow{millis_from(window->first, "window start"),
                                    millis_from(window->second, "window end")};
    }
    spec.name =
        name.value_or(metric + " " + op + " " + py::str(py::float_(bound)).cast<std::string>() +
                      (spec.group.empty() ? "" : " [" + spec.group + "]"));
    running().add_assertion(std::move(spec));
  }

  bool check(const std::string& name, double value, const std::string& op, double bound) {
    cli::AssertionResult result;
    result.name = name;
    result.metric = "script";
    result.op = op;
    result.value = value;
    result.bound = bound;
    try {
      result.passed = cli::compare(value, op, bound);
    } catch (const std::invalid_argument& error) {
      throw InputError("check \"" + name + "\": " + error.what());
    }
    running().add_check(result);
    return result.passed;
  }

  py::function on(const std::string& event, const py::function& callback) {
    running().on_event(cli::sim_event_kind_from_string(event), [callback](const cli::SimEvent& e) {
      yielded();
      callback(event_dict(e));
      yielded();
    });
    return callback;  // usable as a decorator
  }

  std::int64_t now_ms() const { return any().now_ms(); }
  std::int64_t end_ms() const { return any().end_ms(); }
  bool finished() const { return outcome_.has_value(); }
  std::optional<int> leader(const std::string& group) const { return any().leader(group); }
  std::vector<std::string> groups() const { return any().group_names(); }
  int node_count() const { return any().node_count(); }
  py::dict node(int node) const { return node_dict(any().node_state(node - 1)); }
  py::list nodes() const {
    py::list result;
    for (int i = 0; i < any().node_count(); ++i) result.append(node_dict(any().node_state(i)));
    return result;
  }
  py::object metrics() const {
    if (outcome_) return to_python(cli::to_json(outcome_->metrics));
    return to_python(cli::to_json(any().metrics_now()));
  }
  double metric(const std::string& name, const std::optional<std::string>& group) const {
    const cli::Metrics metrics = outcome_ ? outcome_->metrics : any().metrics_now();
    const cli::GroupMetrics* values = &metrics.totals;
    if (group) {
      const auto found = metrics.groups.find(*group);
      if (found == metrics.groups.end()) {
        throw InputError("metric " + name + ": no group \"" + *group + "\" has metrics yet");
      }
      values = &found->second;
    }
    const auto value = cli::metric_value(*values, name);
    if (!value) throw InputError("unknown metric \"" + name + "\"");
    return *value;
  }
  std::string trace_hash() const {
    return cli::format_hash(outcome_ ? outcome_->trace_hash : any().trace_hash());
  }
  std::uint64_t random_below(std::uint64_t bound) {
    if (bound == 0) throw InputError("random_below: the bound must be positive");
    return running().world().stream("script").next_u64() % bound;
  }

  py::object finish() {
    if (!outcome_) {
      outcome_ = running().finish();
      if (report_) {
        cli::write_report(*report_, *outcome_, override_texts_);
        run_report_->write(*report_, *outcome_);
      }
    }
    yielded();
    return to_python(summary_with_args(*outcome_, override_texts_));
  }

  // For the script session: finishes if the script did not, then frees the
  // run. Its callbacks hold the script's functions, whose globals hold this
  // object: a cycle through C++ that Python's collector cannot see, which
  // kept every run with a callback alive past the interpreter (a leak
  // LeakSanitizer found in scenarios/leader_hunt.py).
  SessionRun session_run() {
    if (!outcome_) finish();
    SessionRun run{*outcome_, override_texts_, run_report_};
    simulation_.reset();
    return run;
  }

 private:
  // Declared before the simulation: its observers must outlive it.
  std::shared_ptr<cli::RunReport> run_report_;
  std::unique_ptr<Simulation> simulation_;
  std::vector<std::string> override_texts_;
  std::optional<std::string> report_;
  std::optional<RunOutcome> outcome_;
};

ScriptSession& script_session() {
  static ScriptSession session;
  return session;
}

void set_line_budget(std::uint64_t lines) {
  line_budget = lines;
  lines_since_yield = 0;
  PyEval_SetTrace(lines == 0 ? nullptr : count_lines, nullptr);
}

std::vector<SessionRun> end_script_session() {
  ScriptSession& session = script_session();
  std::vector<SessionRun> runs;
  for (const auto& simulation : session.simulations) runs.push_back(simulation->session_run());
  session = ScriptSession{};
  return runs;
}

void define_module(py::module_& simrun_module) {
  simrun_module.doc() =
      "simrun: the deterministic cluster simulator, from Python.\n\n"
      "A Simulation runs one scenario (a file or a dict in the format of\n"
      "scenarios/README.md) step by step: run_until / run_for / run_until_true,\n"
      "read nodes, leaders and metrics, inject faults, react to events with\n"
      "callbacks at their simulated time, add assertions, then finish() into\n"
      "the summary.json dict. The same scenario and seed give the same\n"
      "trace_hash as the simrun command.";
  simrun_module.attr("__version__") = SIMRUN_VERSION;
  py::register_exception<InputError>(simrun_module, "InputError", PyExc_ValueError);

  py::class_<PySimulation, std::shared_ptr<PySimulation>>(
      simrun_module, "Simulation", "One scenario run, advanced step by step in simulated time.")
      .def(py::init([](const py::object& scenario, std::optional<std::uint64_t> seed,
                       std::optional<std::vector<std::string>> set, const py::object& duration,
                       std::optional<std::string> report) {
             yielded();
             auto simulation = std::make_shared<PySimulation>(scenario, seed, std::move(set),
                                                              duration, std::move(report));
             if (script_session().active) script_session().simulations.push_back(simulation);
             return simulation;
           }),
           py::arg("scenario"), py::kw_only(), py::arg("seed") = py::none(),
           py::arg("set") = py::none(), py::arg("duration") = py::none(),
           py::arg("report") = py::none(),
           "Loads `scenario` (a path or a dict) with the schema and messages of the\n"
           "command line (simrun.InputError on bad input); `set` is a list of\n"
           "'PATH=JSON' overrides, `duration` milliseconds or '30s', `report` a\n"
           "directory for summary.json at finish(). Builds the cluster at time 0.")
      .def("run_until", &PySimulation::run_until, py::arg("time"),
           "Runs every event up to simulated `time` (ms or '12s'), clamped to the end.")
      .def("run_for", &PySimulation::run_for, py::arg("duration"),
           "Runs for `duration` (ms or '2s') of simulated time, clamped to the end.")
      .def("run_until_true", &PySimulation::run_until_true, py::arg("condition"),
           py::arg("check_every") = 10, py::arg("limit") = py::none(),
           "Runs until condition() is true, checking it after every event a callback\n"
           "waits for and every `check_every` ms; stops at `limit` (default: the end).\n"
           "Returns whether the condition held.")
      .def("inject", &PySimulation::inject, py::arg("fault"),
           "Applies a fault now: a `faults` entry of the scenario format without 'at',\n"
           "e.g. {'action': 'crash', 'targets': ['leader:__meta'], 'duration': '2s'}.\n"
           "Returns whether it hit anything.")
      .def("add_assertion", &PySimulation::add_assertion, py::arg("metric"), py::arg("op"),
           py::arg("bound"), py::kw_only(), py::arg("group") = py::none(),
           py::arg("name") = py::none(), py::arg("window") = py::none(),
           "An assertion like the scenario's `assertions`, evaluated at finish().")
      .def("check", &PySimulation::check, py::arg("name"), py::arg("value"),
           py::arg("op") = "==", py::arg("bound") = 1.0,
           "Records a check on a value the script computed, reported with the\n"
           "assertions: check('leaders hunted', n, '>=', 10), or check('ok', flag)\n"
           "for a bool (True is 1). A failed one fails the run (exit 1). Returns\n"
           "whether it held.")
      .def("on", &PySimulation::on, py::arg("event"), py::arg("callback"),
           "Calls callback(event) for every event of this kind, at its simulated time:\n"
           "'election_started', 'leader_elected', 'leader_lost', 'fault_applied',\n"
           "'violation'. Returns the callback (usable as a decorator via functools.partial).")
      .def_property_readonly("now_ms", &PySimulation::now_ms, "Simulated time now, in ms.")
      .def_property_readonly("end_ms", &PySimulation::end_ms, "Where the run ends, in ms.")
      .def_property_readonly("finished", &PySimulation::finished)
      .def("leader", &PySimulation::leader, py::arg("group"),
           "The node (1-based) leading `group` now, or None.")
      .def("groups", &PySimulation::groups, "The Raft groups: '__meta', 'topic/partition', ...")
      .def_property_readonly("node_count", &PySimulation::node_count)
      .def("node", &PySimulation::node, py::arg("node"),
           "Node `node` (1-based): process state, and each group's role, term, leader,\n"
           "commit and applied index as that node sees them.")
      .def("nodes", &PySimulation::nodes, "node(n) for every node, in order.")
      .def("metrics", &PySimulation::metrics,
           "Every metric so far (totals, and per group under 'groups').")
      .def("metric", &PySimulation::metric, py::arg("name"), py::arg("group") = py::none(),
           "One metric so far by its scenario name ('max_term', ...).")
      .def_property_readonly("trace_hash", &PySimulation::trace_hash,
                             "The trace hash so far (16 hex digits).")
      .def("random_below", &PySimulation::random_below, py::arg("bound"),
           "A number in [0, bound) from the run's own 'script' random stream; use it\n"
           "instead of Python's random module so the seed decides everything.")
      .def("finish", &PySimulation::finish,
           "Runs to the end, evaluates assertions and checkers, writes the report if\n"
           "one was asked for, and returns summary.json's dict. Idempotent.");

  simrun_module.def(
      "run",
      [](const py::object& scenario, std::optional<std::uint64_t> seed,
         std::optional<std::vector<std::string>> set, const py::object& duration,
         std::optional<std::string> report) {
        yielded();
        auto simulation = std::make_shared<PySimulation>(scenario, seed, std::move(set), duration,
                                                         std::move(report));
        if (script_session().active) script_session().simulations.push_back(simulation);
        return simulation->finish();
      },
      py::arg("scenario"), py::arg("seed") = py::none(), py::arg("set") = py::none(),
      py::arg("duration") = py::none(), py::arg("report") = py::none(),
      "Runs a scenario (path or dict) to its end and returns summary.json's dict;\n"
      "the same scenario and seed give the command line's trace_hash.");
  simrun_module.def(
      "load",
      [](const py::object& scenario, std::optional<std::vector<std::string>> set) {
        yielded();
        cli::LoadOptions options;
        for (const std::string& text : set.value_or(std::vector<std::string>{})) {
          options.overrides.push_back(cli::parse_override(text));
        }
        const cli::Scenario loaded =
            py::isinstance<py::dict>(scenario)
                ? cli::load_scenario_text(to_json(scenario).dump(), "<dict>", options)
                : cli::load_scenario_file(
                      py::str(py::module_::import("os").attr("fspath")(scenario))
                          .cast<std::string>(),
                      options);
        return to_python(loaded.document);
      },
      py::arg("scenario"), py::arg("set") = py::none(),
      "Validates a scenario (path or dict, with overrides) and returns the document.");
  simrun_module.def("event_kinds", &cli::sim_event_kind_names, "The event names on() accepts.");
  simrun_module.def("metric_names", &cli::metric_names, "Every metric name assertions accept.");
}

}  // namespace simrun::python
