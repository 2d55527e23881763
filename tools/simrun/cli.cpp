#include "tools/simrun/cli.h"

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "broker/config.h"
#include "sim/assert.h"
#include "tools/simrun/distribution_pages.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/finding.h"
#include "tools/simrun/gate.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/merge.h"
#include "tools/simrun/progress.h"
#include "tools/simrun/run_report.h"
#include "tools/simrun/runner.h"
#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/seed_range.h"
#include "tools/simrun/shrink.h"
#include "tools/simrun/sweep.h"
#include "tools/simrun/table.h"
#include "tools/simrun/table_page.h"
#include "tools/simrun/table_runs.h"

namespace simrun::cli {

namespace po = boost::program_options;

namespace {

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitBadInput = 2;

const char* kUsage =
    "usage:\n"
    "  simrun SCENARIO.json [--seed N] [--set PATH=JSON ...] [--duration 10m]\n"
    "                       [--report DIR] [--trace FILE] [--quiet]\n"
    "  simrun SCENARIO.py [--seed N] [--set PATH=JSON ...] [--duration 10m] [--report DIR]\n"
    "                                   a Python scenario (the simrun module, README)\n"
    "  simrun replay DIR/summary.json   rerun exactly; exit 1 if the trace hash differs\n"
    "  simrun table SCENARIO.json [--seeds N | --seeds A..B] [--first-seed S] [--jobs J]\n"
    "               [--set ...] [--report DIR]\n"
    "                                   the field table: median [min-max] over seeds (20), one\n"
    "                                   column per broker profile, steady state and under the\n"
    "                                   scenario's faults (DIR/table.html, DIR/table.json)\n"
    "  simrun sweep SCENARIO.json|.py [--seeds N | --seeds A..B] [--first-seed S] [--jobs J]\n"
    "               [--shard I/N | --shards N] [--set ...] [--report DIR] [--until-fail] "
    "[--swarm]\n"
    "               [--max-events N] [--seed-wall-budget 10m]\n"
    "                                   seeds in worker processes: metric quantiles over\n"
    "                                   seeds, each failing seed's first failure and repro\n"
    "  simrun merge DIR... --report OUT  shards' report folders -> OUT/sweep.json\n"
    "  simrun gate --baseline A --candidate B [--scenario FILE] [--report DIR]\n"
    "                                   compare two sweeps (folders or sweep.json) seed by seed\n"
    "                                   against the scenario's gates; Markdown + DIR/gate.json\n"
    "  simrun shrink SCENARIO.json --seed N [--set ...] -o minimal.json [--fails NAME]\n"
    "               [--jobs J] [--max-runs N]  reduce a failing run to a small scenario\n"
    "                                   that fails on the same check\n"
    "  simrun --help | --version\n"
    "exit status: 0 all assertions and checkers held; 1 one failed, or an assertion of the\n"
    "system under test (raft/, broker/) failed during the run (a finding); 2 bad input;\n"
    "3 internal error (a defect of simrun itself)\n";

struct Parsed {
  std::vector<std::string> positional;
  std::vector<std::string> given;  // option names on the command line, sorted
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;
  std::optional<std::string> duration;
  std::optional<std::string> report_dir;
  std::optional<std::string> trace_file;
  std::string sweep_seeds = "100";
  bool seeds_given = false;  // table's default is 20 seeds, sweep's 100
  std::optional<std::uint64_t> first_seed;
  unsigned jobs = 0;
  std::optional<std::string> shard;
  std::optional<std::uint64_t> shards;
  bool until_fail = false;
  std::optional<std::uint64_t> max_events;
  std::optional<std::string> seed_wall_budget;
  std::optional<std::string> baseline;
  std::optional<std::string> candidate;
  std::optional<std::string> scenario_option;
  std::optional<std::string> output_file;
  std::vector<std::string> fails;
  std::optional<std::uint64_t> max_runs;
  bool no_control = false;
  bool quiet = false;
  bool help = false;
  bool version = false;
};

po::options_description option_descriptions() {
  po::options_description options("options");
  options.add_options()("seed", po::value<std::uint64_t>(),
                        "seed of the run (default: the scenario's)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "PATH=JSON: override a scenario field before validation (repeatable)")(
      "duration", po::value<std::string>(), "simulated duration: 10m, 30s, 500ms or ms")(
      "report", po::value<std::string>(), "write DIR/summary.json, junit.xml and trace.json")(
      "trace", po::value<std::string>(), "stream trace records to FILE as JSON lines")(
      "quiet", "print only the verdict and the repro line")("seeds", po::value<std::string>(),
                                                            "sweep: N seeds (default 100) or A..B")(
      "first-seed", po::value<std::uint64_t>(), "sweep: the first seed (default: the scenario's)")(
      "jobs", po::value<unsigned>(), "sweep, shrink: worker processes (default: the cores)")(
      "shard", po::value<std::string>(), "sweep: run shard I/N of the seeds (I from 1)")(
      "shards", po::value<std::uint64_t>(),
      "sweep: N shards, this one's index (from 0) in JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID")(
      "until-fail", "sweep: stop at the first failing seed")(
      "swarm", "swarm testing: each seed draws its fault mix (--set nemesis.swarm=true)")(
      "max-events", po::value<std::uint64_t>(), "sweep: per-seed budget of simulated events")(
      "seed-wall-budget", po::value<std::string>(), "sweep: per-seed wall-time budget (10m)")(
      "baseline", po::value<std::string>(), "gate: the baseline sweep (folder or sweep.json)")(
      "candidate", po::value<std::string>(), "gate: the candidate sweep (folder or sweep.json)")(
      "output,o", po::value<std::string>(), "shrink: where to write the minimal scenario")(
      "fails", po::value<std::vector<std::string>>()->composing(),
      "shrink: a check the shrunk run must still fail (default: the first failed)")(
      "max-runs", po::value<std::uint64_t>(), "shrink: at most this many runs (default 2000)")(
      "no-control", "shrink: keep steps even if they fail without the --set overrides too")(
      "scenario", po::value<std::string>(),
      "gate: the scenario with the gates (default: the "
      "baseline's)")("help", "this help")("version", "print the version");
  return options;
}

Parsed parse(const std::vector<std::string>& args) {
  po::options_description options = option_descriptions();
  po::options_description hidden;
  hidden.add_options()("positional", po::value<std::vector<std::string>>(), "");
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("positional", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& error) {
    throw InputError(std::string(error.what()) + "\n" + kUsage);
  }
  Parsed parsed;
  for (const auto& entry : vm) {
    if (entry.first != "positional") parsed.given.push_back(entry.first);
  }
  if (vm.count("positional")) parsed.positional = vm["positional"].as<std::vector<std::string>>();
  if (vm.count("seed")) parsed.seed = vm["seed"].as<std::uint64_t>();
  if (vm.count("set")) parsed.sets = vm["set"].as<std::vector<std::string>>();
  if (vm.count("duration")) parsed.duration = vm["duration"].as<std::string>();
  if (vm.count("report")) parsed.report_dir = vm["report"].as<std::string>();
  if (vm.count("trace")) parsed.trace_file = vm["trace"].as<std::string>();
  if (vm.count("seeds")) parsed.sweep_seeds = vm["seeds"].as<std::string>();
  parsed.seeds_given = vm.count("seeds") != 0;
  if (vm.count("jobs")) parsed.jobs = vm["jobs"].as<unsigned>();
  if (vm.count("shard")) parsed.shard = vm["shard"].as<std::string>();
  if (vm.count("shards")) parsed.shards = vm["shards"].as<std::uint64_t>();
  parsed.until_fail = vm.count("until-fail") != 0;
  // An override like any other, so the repro line and replay carry it.
  if (vm.count("swarm") != 0) parsed.sets.push_back("nemesis.swarm=true");
  if (vm.count("baseline")) parsed.baseline = vm["baseline"].as<std::string>();
  if (vm.count("candidate")) parsed.candidate = vm["candidate"].as<std::string>();
  if (vm.count("scenario")) parsed.scenario_option = vm["scenario"].as<std::string>();
  if (vm.count("output")) parsed.output_file = vm["output"].as<std::string>();
  if (vm.count("fails")) parsed.fails = vm["fails"].as<std::vector<std::string>>();
  if (vm.count("max-runs")) parsed.max_runs = vm["max-runs"].as<std::uint64_t>();
  parsed.no_control = vm.count("no-control") != 0;
  if (vm.count("max-events")) parsed.max_events = vm["max-events"].as<std::uint64_t>();
  if (vm.count("seed-wall-budget"))
    parsed.seed_wall_budget = vm["seed-wall-budget"].as<std::string>();
  if (vm.count("first-seed")) parsed.first_seed = vm["first-seed"].as<std::uint64_t>();
  parsed.quiet = vm.count("quiet") != 0;
  parsed.help = vm.count("help") != 0;
  parsed.version = vm.count("version") != 0;
  return parsed;
}

LoadOptions load_options(const Parsed& parsed) {
  LoadOptions options;
  for (const auto& set : parsed.sets) options.overrides.push_back(parse_override(set));
  options.seed = parsed.seed;
  if (parsed.duration) {
    options.duration_ms = parse_duration_ms(*parsed.duration);
    if (*options.duration_ms <= 0) throw InputError("--duration must be positive");
  }
  return options;
}

RunOutcome run_one(const Scenario& scenario, const Parsed& parsed,
                   std::int64_t duration_override_ms, const std::string& label,
                   std::function<void(Simulation&)> on_start = {}) {
  std::ofstream trace_file;
  RunOptions run_options;
  run_options.on_start = std::move(on_start);
  if (parsed.trace_file) {
    trace_file.open(*parsed.trace_file);
    if (!trace_file) throw InputError(*parsed.trace_file + ": cannot open the trace file");
    run_options.trace_sink = &trace_file;
  }
  Progress progress(label);
  run_options.progress = [&](std::int64_t now_ms, std::int64_t end_ms) {
    progress.update(now_ms, end_ms);
  };
  run_options.duration_override_ms = duration_override_ms;
  // An assertion failing during the run becomes a finding (exit 1) or an
  // internal error (exit 3), reported with the repro line (finding.h).
  const std::string repro =
      repro_line(scenario.file, scenario.seed, scenario.overrides, duration_override_ms);
  const ScopedFindingHandler findings(FindingContext{scenario.name, scenario.file, scenario.seed,
                                                     repro, parsed.report_dir.value_or(""),
                                                     parsed.sets});
  try {
    return run_scenario(scenario, run_options);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& error) {
    // Not bad input: run_cli reports it as an internal error, with the repro.
    throw std::runtime_error(std::string(error.what()) + "\n  repro: " + repro);
  }
}

int command_run(const Parsed& parsed, std::ostream& out) {
  if (parsed.positional.size() != 1)
    throw InputError(std::string("expected one scenario file\n") + kUsage);
  const LoadOptions options = load_options(parsed);
  const Scenario scenario = load_scenario_file(parsed.positional[0], options);
  // --report DIR: junit.xml, trace.json and the rest, from observers of this run.
  RunReport report;
  const RunOutcome outcome = run_one(scenario, parsed, options.duration_ms.value_or(0),
                                     scenario.name, [&](Simulation& simulation) {
                                       if (parsed.report_dir) report.attach(simulation);
                                     });
  if (parsed.report_dir) {
    write_report(*parsed.report_dir, outcome, parsed.sets);
    report.write(*parsed.report_dir, outcome);
  }
  print_summary(out, outcome, parsed.quiet);
  return outcome.passed ? kExitPass : kExitFail;
}

int command_replay(const Parsed& parsed, std::ostream& out) {
  if (parsed.positional.size() != 2)
    throw InputError(std::string("replay expects DIR/summary.json\n") + kUsage);
  const std::string& path = parsed.positional[1];
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the summary");
  nlohmann::json summary;
  try {
    summary = nlohmann::json::parse(in);
    Parsed again;
    again.positional = {summary.at("scenario").get<std::string>()};
    again.seed = summary.at("seed").get<std::uint64_t>();
    again.sets = summary.value("override_args", std::vector<std::string>{});
    again.quiet = parsed.quiet;
    const std::string expected_hash = summary.at("trace_hash").get<std::string>();
    LoadOptions options = load_options(again);
    options.duration_ms = summary.at("duration_ms").get<std::int64_t>();
    const Scenario scenario = load_scenario_file(again.positional[0], options);
    const RunOutcome outcome = run_one(scenario, parsed, 0, "replay " + scenario.name);
    print_summary(out, outcome, parsed.quiet);
    const std::string actual_hash = format_hash(outcome.trace_hash);
    if (actual_hash != expected_hash) {
      out << "replay: trace hash MISMATCH: recorded " << expected_hash << ", now " << actual_hash
          << "\n";
      return kExitFail;
    }
    out << "replay: trace hash matches (" << actual_hash << ")\n";
    return kExitPass;
  } catch (const nlohmann::json::exception& error) {
    throw InputError(path + ": not a simrun summary: " + error.what());
  }
}

// The field table over seeds (table_runs.cpp): every (section, profile,
// seed) run in a worker process.
int command_table(const Parsed& parsed, std::ostream& out, std::ostream& err) {
  if (parsed.positional.size() != 2)
    throw InputError(std::string("table expects SCENARIO.json\n") + kUsage);
  TableRunOptions options;
  options.scenario_file = parsed.positional[1];
  options.load = load_options(parsed);
  const std::string seeds = parsed.seeds_given ? parsed.sweep_seeds : "20";
  if (parsed.first_seed && seeds.find("..") != std::string::npos) {
    throw InputError("--first-seed goes with --seeds N, not with --seeds A..B");
  }
  const SeedRange range = parse_seed_range(seeds, parsed.first_seed.value_or(1));
  // Without A..B or --first-seed the seeds start at the scenario's own.
  if (parsed.first_seed || seeds.find("..") != std::string::npos) options.first_seed = range.first;
  options.seed_count = range.count;
  options.jobs = parsed.jobs;
  if (parsed.seed_wall_budget) {
    options.wall_budget_ms = parse_duration_ms(*parsed.seed_wall_budget);
    if (options.wall_budget_ms <= 0) throw InputError("--seed-wall-budget must be positive");
  }
  const auto wall_start = std::chrono::steady_clock::now();
  const TableRunResult run = run_field_table(options);
  print_field_table(out, run.table);
  if (parsed.report_dir) {
    std::error_code error;
    std::filesystem::create_directories(*parsed.report_dir, error);
    for (const auto& [name, text] :
         {std::pair<std::string, std::string>{"table.html", field_table_html(run.table)},
          {"table.json", field_table_json(run.table).dump(2) + "\n"}}) {
      const std::string path = *parsed.report_dir + "/" + name;
      std::ofstream file(path, std::ios::binary);
      if (!file || !(file << text)) throw InputError(path + ": cannot write the table");
    }
    if (!parsed.quiet) out << "table.html, table.json: " << *parsed.report_dir << "\n";
  }
  if (!parsed.quiet) {
    for (const auto& section : run.table.sections) {
      for (const auto& column : section.columns) {
        out << "repro (" << section.key << ", " << column.profile << "): " << column.repro << "\n";
      }
    }
  }
  for (const std::string& line : run.unexpected) out << "UNEXPECTED " << line << "\n";
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  err << fmt::format("table: {} runs in {:.1f} s wall\n", run.runs, wall_s);
  return run.unexpected.empty() ? kExitPass : kExitFail;
}

// Runs one scenario over many seeds in worker processes (sweep.cpp).
int command_sweep(const Parsed& parsed, const ScriptCommand& run_script, std::ostream& out,
                  std::ostream& err) {
  if (parsed.positional.size() != 2)
    throw InputError(std::string("sweep expects SCENARIO.json or SCENARIO.py\n") + kUsage);
  SweepOptions options;
  options.scenario_file = parsed.positional[1];
  options.run_script = run_script;
  options.load = load_options(parsed);
  options.override_args = parsed.sets;
  options.seeds = parsed.sweep_seeds;
  options.first_seed = parsed.first_seed;
  options.jobs = parsed.jobs;
  options.shard = parsed.shard;
  options.shards = parsed.shards;
  options.report_dir = parsed.report_dir;
  options.until_fail = parsed.until_fail;
  if (parsed.max_events) {
    if (*parsed.max_events == 0) throw InputError("--max-events must be positive");
    options.max_events = *parsed.max_events;
  }
  if (parsed.seed_wall_budget) {
    options.wall_budget_ms = parse_duration_ms(*parsed.seed_wall_budget);
    if (options.wall_budget_ms <= 0) throw InputError("--seed-wall-budget must be positive");
  }
  return run_sweep(options, out, err);
}

// Combines shards' report folders into one sweep.json (merge.cpp).
int command_merge(const Parsed& parsed, std::ostream& out) {
  if (parsed.positional.size() < 2 || !parsed.report_dir)
    throw InputError(std::string("merge expects DIR... --report OUT\n") + kUsage);
  const std::vector<std::string> dirs(parsed.positional.begin() + 1, parsed.positional.end());
  const nlohmann::json sweep = merge_shards(dirs);
  std::error_code error;
  std::filesystem::create_directories(*parsed.report_dir, error);
  const std::string path = *parsed.report_dir + "/sweep.json";
  std::ofstream file(path);
  if (!file) throw InputError(path + ": cannot write the merged sweep");
  file << sweep.dump(2) << "\n";
  print_sweep_result(out, sweep);
  return sweep["failed"].get<std::uint64_t>() == 0 ? kExitPass : kExitFail;
}

// Compares two sweeps against the scenario's gates (gate.cpp). gate.json
// goes to --report DIR, else beside the candidate's sweep.json.
int command_gate(const Parsed& parsed, std::ostream& out) {
  if (parsed.positional.size() != 1 || !parsed.baseline || !parsed.candidate)
    throw InputError(std::string("gate expects --baseline A --candidate B\n") + kUsage);
  std::string baseline_path, candidate_path;
  const nlohmann::json baseline = read_sweep_json(*parsed.baseline, &baseline_path);
  const nlohmann::json candidate = read_sweep_json(*parsed.candidate, &candidate_path);
  const std::string scenario_file =
      parsed.scenario_option.value_or(baseline.at("scenario").get<std::string>());
  if (is_python_scenario(scenario_file)) {
    // A script has no `gates` section of its own; the gates of the JSON
    // scenario it builds on are the ones that apply.
    throw InputError(scenario_file +
                     ": a Python scenario has no gates section; pass --scenario FILE.json "
                     "whose `gates` apply to the script's metrics");
  }
  const Scenario scenario = load_scenario_file(scenario_file, LoadOptions{});
  const GateSpec spec = gate_spec_from_json(scenario.document, scenario_file);
  const nlohmann::json gate = compare_sweeps(baseline, candidate, spec, scenario_file);
  const std::string dir =
      parsed.report_dir.value_or(std::filesystem::path(candidate_path).parent_path().string());
  std::error_code error;
  if (!dir.empty()) std::filesystem::create_directories(dir, error);
  const std::string path = (dir.empty() ? std::string(".") : dir) + "/gate.json";
  std::ofstream file(path);
  if (!file) throw InputError(path + ": cannot write the gate result");
  file << gate.dump(2) << "\n";
  write_gate_pages(dir.empty() ? "." : dir, gate, baseline, candidate);  // report.html, junit.xml
  print_gate_markdown(out, gate);
  out << "\ngate.json: " << path << "\n";
  return gate.at("passed").get<bool>() ? kExitPass : kExitFail;
}

// Reduces a failing run to a minimal scenario (shrink.cpp).
int command_shrink(const Parsed& parsed, std::ostream& out) {
  if (parsed.positional.size() != 2 || !parsed.output_file)
    throw InputError(std::string("shrink expects SCENARIO.json --seed N -o minimal.json\n") +
                     kUsage);
  if (is_python_scenario(parsed.positional[1])) {
    // Shrinking rewrites the scenario's fault timeline as data; a script
    // decides its faults as it runs, so there is nothing to rewrite.
    throw InputError(parsed.positional[1] +
                     ": shrink works on JSON scenarios, not on Python scripts (a script makes "
                     "its faults as it runs); shrink the JSON scenario the script loads, or "
                     "write the script's faults as a JSON timeline");
  }
  ShrinkOptions options;
  options.scenario_file = parsed.positional[1];
  options.load = load_options(parsed);
  options.output_file = *parsed.output_file;
  options.fails = parsed.fails;
  options.control = !parsed.no_control;
  options.jobs = parsed.jobs;
  if (parsed.max_events) options.max_events = *parsed.max_events;
  if (parsed.seed_wall_budget) options.wall_budget_ms = parse_duration_ms(*parsed.seed_wall_budget);
  if (parsed.max_runs) {
    if (*parsed.max_runs == 0) throw InputError("--max-runs must be positive");
    options.max_runs = *parsed.max_runs;
  }
  return run_shrink(options, out);
}

}  // namespace

void write_report(const std::string& dir, const RunOutcome& outcome,
                  const std::vector<std::string>& override_texts) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  const std::string path = dir + "/summary.json";
  std::ofstream out(path);
  if (!out) throw InputError(path + ": cannot write the report");
  nlohmann::json summary = summary_json(outcome);
  summary["override_args"] = override_texts;  // in order, for replay
  out << summary.dump(2) << "\n";
}

bool is_python_scenario(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".py") == 0;
}

namespace {

int command_script(const Parsed& parsed, const ScriptCommand& run_script, std::ostream& out,
                   std::ostream& err) {
  if (parsed.positional.size() != 1)
    throw InputError(std::string("expected one scenario file\n") + kUsage);
  if (!run_script) {
    throw InputError(parsed.positional[0] +
                     ": this simrun was built without Python (pybind11-dev, python3-dev)");
  }
  if (parsed.trace_file) throw InputError("--trace is not supported for Python scenarios");
  const LoadOptions checked = load_options(parsed);  // --set and --duration syntax
  ScriptOptions options;
  options.path = parsed.positional[0];
  options.seed = parsed.seed;
  options.sets = parsed.sets;
  options.duration_ms = checked.duration_ms;
  options.report_dir = parsed.report_dir;
  options.quiet = parsed.quiet;
  return run_script(options, out, err);
}

}  // namespace

namespace {

// The options each command reads. Anything else on its command line is an
// error, not ignored: `simrun X.json --seeds 50` meant a sweep, and running
// one seed with exit 0 would hide that (--help and --version stand alone).
struct CommandOptions {
  std::string_view command;
  std::vector<std::string_view> options;
};

const std::vector<CommandOptions>& command_options() {
  static const std::vector<CommandOptions> table = {
      {"run", {"seed", "set", "swarm", "duration", "report", "trace", "quiet"}},
      {"script", {"seed", "set", "swarm", "duration", "report", "quiet"}},
      {"replay", {"trace", "quiet"}},
      {"table",
       {"set", "swarm", "duration", "seeds", "first-seed", "jobs", "seed-wall-budget", "report",
        "quiet"}},
      {"sweep",
       {"set", "swarm", "duration", "seeds", "first-seed", "jobs", "shard", "shards", "until-fail",
        "max-events", "seed-wall-budget", "report"}},
      {"merge", {"report"}},
      {"gate", {"baseline", "candidate", "scenario", "report"}},
      {"shrink",
       {"seed", "set", "swarm", "duration", "output", "fails", "no-control", "jobs", "max-events",
        "seed-wall-budget", "max-runs"}},
  };
  return table;
}

std::string_view command_of(const Parsed& parsed) {
  for (const auto& entry : command_options()) {
    if (entry.command != "run" && entry.command != "script" &&
        parsed.positional[0] == entry.command) {
      return entry.command;
    }
  }
  return is_python_scenario(parsed.positional[0]) ? "script" : "run";
}

// How the usage names each command.
std::string command_display(std::string_view command) {
  if (command == "run") return "simrun SCENARIO.json";
  if (command == "script") return "simrun SCENARIO.py";
  return "simrun " + std::string(command);
}

void reject_foreign_options(const Parsed& parsed, std::string_view command) {
  const auto& table = command_options();
  const auto own = std::find_if(table.begin(), table.end(),
                                [&](const CommandOptions& e) { return e.command == command; });
  SIMRUN_ASSERT(own != table.end(), "every command has a row of options");
  for (const std::string& name : parsed.given) {
    if (std::find(own->options.begin(), own->options.end(), name) != own->options.end()) continue;
    std::string owners;
    for (const auto& entry : table) {
      if (std::find(entry.options.begin(), entry.options.end(), name) == entry.options.end())
        continue;
      owners += (owners.empty() ? "" : ", ") + command_display(entry.command);
    }
    throw InputError("--" + name + " does not apply to " + command_display(command) +
                     (owners.empty() ? std::string() : " (it is an option of: " + owners + ")") +
                     "\n" + kUsage);
  }
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            const ScriptCommand& run_script) {
  try {
    const Parsed parsed = parse(args);
    if (parsed.help) {
      out << kUsage << "\n" << option_descriptions() << "\nscenario format: scenarios/README.md\n";
      return kExitPass;
    }
    if (parsed.version) {
      out << "simrun " << SIMRUN_VERSION << "\n";
      return kExitPass;
    }
    if (parsed.positional.empty())
      throw InputError(std::string("missing scenario file\n") + kUsage);
    reject_foreign_options(parsed, command_of(parsed));
    if (parsed.positional[0] == "replay") return command_replay(parsed, out);
    if (parsed.positional[0] == "table") return command_table(parsed, out, err);
    if (parsed.positional[0] == "sweep") return command_sweep(parsed, run_script, out, err);
    if (parsed.positional[0] == "merge") return command_merge(parsed, out);
    if (parsed.positional[0] == "gate") return command_gate(parsed, out);
    if (parsed.positional[0] == "shrink") return command_shrink(parsed, out);
    if (is_python_scenario(parsed.positional[0])) {
      return command_script(parsed, run_script, out, err);
    }
    return command_run(parsed, out);
  } catch (const InputError& error) {
    err << "simrun: " << error.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& error) {
    // Bad input is always an InputError; anything else is simrun's defect.
    err << "simrun: internal error (a defect of simrun, not bad input): " << error.what() << "\n";
    return kExitInternalError;
  } catch (...) {
    err << "simrun: internal error: an unknown exception\n";
    return kExitInternalError;
  }
}

int main_entry(int argc, char** argv, const ScriptCommand& run_script) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return run_cli(args, std::cout, std::cerr, run_script);
}

}  // namespace simrun::cli
