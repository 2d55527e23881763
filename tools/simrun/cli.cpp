#include "tools/simrun/cli.h"

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "broker/config.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/progress.h"
#include "tools/simrun/runner.h"
#include "tools/simrun/scenario_loader.h"
#include "tools/simrun/table.h"

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
    "  simrun replay DIR/summary.json   rerun exactly; exit 1 if the trace hash differs\n"
    "  simrun table SCENARIO.json       the field table: one column per broker profile\n"
    "  simrun sweep SCENARIO.json [--seeds N] [--first-seed S]\n"
    "                                   run seeds S..S+N-1; list each failing seed's repro line\n"
    "  simrun --help | --version\n"
    "exit status: 0 all assertions and checkers held, 1 one failed, 2 bad input\n";

struct Parsed {
  std::vector<std::string> positional;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;
  std::optional<std::string> duration;
  std::optional<std::string> report_dir;
  std::optional<std::string> trace_file;
  std::uint64_t sweep_seeds = 100;
  std::optional<std::uint64_t> first_seed;
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
      "report", po::value<std::string>(), "write DIR/summary.json")(
      "trace", po::value<std::string>(), "stream trace records to FILE as JSON lines")(
      "quiet", "print only the verdict and the repro line")(
      "seeds", po::value<std::uint64_t>(), "sweep: how many seeds to run (default 100)")(
      "first-seed", po::value<std::uint64_t>(), "sweep: the first seed (default: the scenario's)")(
      "help", "this help")("version", "print the version");
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
  if (vm.count("positional")) parsed.positional = vm["positional"].as<std::vector<std::string>>();
  if (vm.count("seed")) parsed.seed = vm["seed"].as<std::uint64_t>();
  if (vm.count("set")) parsed.sets = vm["set"].as<std::vector<std::string>>();
  if (vm.count("duration")) parsed.duration = vm["duration"].as<std::string>();
  if (vm.count("report")) parsed.report_dir = vm["report"].as<std::string>();
  if (vm.count("trace")) parsed.trace_file = vm["trace"].as<std::string>();
  if (vm.count("seeds")) parsed.sweep_seeds = vm["seeds"].as<std::uint64_t>();
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

RunOutcome run_one(const Scenario& scenario, const Parsed& parsed,
                   std::int64_t duration_override_ms, const std::string& label) {
  std::ofstream trace_file;
  RunOptions run_options;
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
  return run_scenario(scenario, run_options);
}

int command_run(const Parsed& parsed, std::ostream& out) {
  if (parsed.positional.size() != 1)
    throw InputError(std::string("expected one scenario file\n") + kUsage);
  const LoadOptions options = load_options(parsed);
  const Scenario scenario = load_scenario_file(parsed.positional[0], options);
  const RunOutcome outcome =
      run_one(scenario, parsed, options.duration_ms.value_or(0), scenario.name);
  if (parsed.report_dir) write_report(*parsed.report_dir, outcome, parsed.sets);
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

int command_table(const Parsed& parsed, std::ostream& out) {
  if (parsed.positional.size() != 2)
    throw InputError(std::string("table expects SCENARIO.json\n") + kUsage);
  const LoadOptions base = load_options(parsed);
  std::vector<TableColumn> columns;
  bool as_expected = true;
  std::string name;
  for (const std::string& profile : broker::profile_names()) {
    LoadOptions options = base;
    options.overrides.push_back(parse_override("cluster.profile=\"" + profile + "\""));
    const Scenario scenario = load_scenario_file(parsed.positional[1], options);
    name = scenario.name;
    RunOutcome outcome = run_one(scenario, parsed, base.duration_ms.value_or(0),
                                 "table " + scenario.name + " [" + profile + "]");
    const auto expected = scenario.expect.find(profile);
    if (expected != scenario.expect.end() && expected->second != "any" &&
        (expected->second == "pass") != outcome.passed) {
      as_expected = false;
    }
    columns.push_back(TableColumn{profile, std::move(outcome)});
  }
  print_field_table(out, name, columns);
  for (const auto& column : columns) {
    if (!parsed.quiet) out << "repro (" << column.profile << "): " << column.outcome.repro << "\n";
  }
  return as_expected ? kExitPass : kExitFail;
}

// Runs one scenario over consecutive seeds: the search for the seed that
// breaks a bound. Each failing seed prints its failed checks and repro line
// as it is found; the progress line shows on a terminal only.
int command_sweep(const Parsed& parsed, std::ostream& out) {
  if (parsed.positional.size() != 2)
    throw InputError(std::string("sweep expects SCENARIO.json\n") + kUsage);
  if (parsed.seed) throw InputError("sweep takes --first-seed and --seeds, not --seed");
  // A bound on the loop: a sweep that never ends is a mistake, not a search.
  constexpr std::uint64_t kMaxSweepSeeds = 1'000'000;
  if (parsed.sweep_seeds == 0 || parsed.sweep_seeds > kMaxSweepSeeds)
    throw InputError(fmt::format("--seeds must be in 1..{}", kMaxSweepSeeds));
  LoadOptions options = load_options(parsed);
  const Scenario base = load_scenario_file(parsed.positional[1], options);
  const std::uint64_t first = parsed.first_seed.value_or(base.seed);
  if (first > UINT64_MAX - parsed.sweep_seeds) throw InputError("--first-seed is too large");

  Progress progress("sweep " + base.name);
  std::uint64_t failed = 0;
  for (std::uint64_t i = 0; i < parsed.sweep_seeds; ++i) {
    options.seed = first + i;
    const Scenario scenario = load_scenario_file(parsed.positional[1], options);
    RunOptions run_options;
    run_options.duration_override_ms = options.duration_ms.value_or(0);
    const RunOutcome outcome = run_scenario(scenario, run_options);
    if (!outcome.passed) {
      ++failed;
      std::string names;
      for (const std::string& name : failed_checks(outcome)) {
        names += names.empty() ? name : ", " + name;
      }
      out << "FAIL seed " << *options.seed << ": " << names << "\n  repro: " << outcome.repro
          << "\n";
      out.flush();
    }
    progress.show(fmt::format("sweep {}: {}/{} seeds, {} failed", base.name, i + 1,
                              parsed.sweep_seeds, failed));
  }
  out << "sweep: " << parsed.sweep_seeds - failed << " passed, " << failed << " failed\n";
  return failed == 0 ? kExitPass : kExitFail;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
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
    if (parsed.positional[0] == "replay") return command_replay(parsed, out);
    if (parsed.positional[0] == "table") return command_table(parsed, out);
    if (parsed.positional[0] == "sweep") return command_sweep(parsed, out);
    return command_run(parsed, out);
  } catch (const InputError& error) {
    err << "simrun: " << error.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& error) {
    err << "simrun: error: " << error.what() << "\n";
    return kExitBadInput;
  } catch (...) {
    err << "simrun: unknown error\n";
    return kExitBadInput;
  }
}

int main_entry(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return run_cli(args, std::cout, std::cerr);
}

}  // namespace simrun::cli
