#include "tools/simrun/sweep.h"

#include <fmt/format.h>
#include "tools/simrun/distribution_pages.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "sim/assert.h"
#include "tools/simrun/distribution_pages.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/progress.h"
#include "tools/simrun/quantiles.h"
#include "tools/simrun/runner.h"
#include "tools/simrun/seed_range.h"
#include "tools/simrun/worker_pool.h"

namespace simrun::cli {

namespace {

std::string format_number(double value) { return fmt::format("{:.6g}", value); }

std::string format_eta(double seconds) {
  const auto total = static_cast<long long>(seconds + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, total / 60 % 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) throw InputError(path + ": cannot write");
  out << text;
  if (!out) throw InputError(path + ": cannot write");
}

}  // namespace

SeedResult lost_seed(std::uint64_t seed, const WorkerOutcome& worker, std::int64_t wall_budget_ms,
                     const std::string& repro) {
  SeedResult result;
  result.seed = seed;
  result.repro = repro;
  result.wall_time_ms = worker.wall_ms;
  // The last line the worker wrote (an assertion's message, an exception).
  std::string last_line = worker.stderr_tail;
  while (!last_line.empty() && last_line.back() == '\n') last_line.pop_back();
  if (const auto newline = last_line.rfind('\n'); newline != std::string::npos) {
    last_line = last_line.substr(newline + 1);
  }
  switch (worker.end) {
    case WorkerEnd::signaled:
      result.status = SeedStatus::crash;
      result.signal = signal_name(worker.signal);
      result.first_failure = result.signal + (last_line.empty() ? "" : ": " + last_line);
      break;
    case WorkerEnd::wall_budget:
      result.status = SeedStatus::wall_budget;
      result.first_failure = fmt::format("wall-time budget of {} exceeded (killed)",
                                         format_duration_ms(wall_budget_ms));
      break;
    case WorkerEnd::exited:
      result.status = SeedStatus::error;
      result.first_failure = fmt::format("worker exited with status {}{}", worker.exit_code,
                                         last_line.empty() ? "" : ": " + last_line);
      break;
  }
  return result;
}

std::string first_failure(const RunOutcome& outcome) {
  if (!outcome.violations.empty()) {
    const Violation& first = outcome.violations.front();  // sorted by time
    return fmt::format("{}{} at {} ms{}: {}", kCheckerPrefix, first.checker, first.time_ms,
                       first.group.empty() ? "" : " in " + first.group, first.detail);
  }
  for (const AssertionResult& result : outcome.assertions) {
    if (!result.passed) {
      return fmt::format("{}: {} {} {}", result.name, format_number(result.value), result.op,
                         format_number(result.bound));
    }
  }
  return outcome.passed ? "" : "failed";
}

SeedResult seed_result_of(const RunOutcome& outcome) {
  SeedResult result;
  result.seed = outcome.seed;
  result.status = outcome.passed ? SeedStatus::pass : SeedStatus::fail;
  result.failed = failed_checks(outcome);
  result.first_failure = first_failure(outcome);
  result.trace_hash = format_hash(outcome.trace_hash);
  result.events = outcome.events;
  result.sim_time_ms = outcome.sim_time_ms;
  result.wall_time_ms = outcome.wall_time_ms;
  result.metrics = flatten_metrics(to_json(outcome.metrics));
  result.repro = outcome.repro;
  result.probes_missed = outcome.probes_missed;
  return result;
}

void print_metric_table(std::ostream& out, const nlohmann::json& metrics) {
  out << fmt::format("  {:<34}", "metric (totals)");
  for (auto name : kQuantileNames) out << fmt::format(" {:>10}", name);
  out << "\n";
  for (const auto& [name, quantiles] : metrics.items()) {
    if (name.rfind("groups.", 0) == 0) continue;
    out << fmt::format("  {:<34}", name);
    for (auto quantile : kQuantileNames) {
      out << fmt::format(" {:>10}",
                         format_number(quantiles.at(std::string(quantile)).get<double>()));
    }
    out << "\n";
  }
}

namespace {

// What a sweep needs of its scenario beyond running it: a JSON scenario
// loaded once, or a Python script (which only its workers run).
struct SweepSubject {
  std::string file;
  std::string name;
  std::string profile;
  std::uint64_t default_first_seed = 1;
  std::vector<Override> overrides;
  std::vector<AssertionSpec> assertions;  // for the report pages' bounds
  bool script = false;
};

SweepSubject sweep_subject(const SweepOptions& options) {
  SweepSubject subject;
  subject.file = options.scenario_file;
  subject.overrides = options.load.overrides;
  if (is_python_scenario(options.scenario_file)) {
    if (!options.run_script) {
      throw InputError(options.scenario_file +
                       ": this simrun was built without Python (pybind11-dev, python3-dev)");
    }
    if (!std::filesystem::is_regular_file(options.scenario_file)) {
      throw InputError(options.scenario_file + ": cannot open the scenario file");
    }
    subject.script = true;
    subject.name = std::filesystem::path(options.scenario_file).stem().string();
    subject.profile = "script";  // the script chooses its simulations' profiles
    return subject;
  }
  const Scenario base = load_scenario_file(options.scenario_file, options.load);
  subject.name = base.name;
  subject.profile = base.profile;
  subject.default_first_seed = base.seed;
  subject.assertions = base.assertions;
  return subject;
}

// One seed of a script sweep, in its worker.
std::string script_seed(const SweepOptions& options, std::uint64_t seed) {
  ScriptOptions script;
  script.path = options.scenario_file;
  script.seed = seed;
  script.sets = options.override_args;
  script.duration_ms = options.load.duration_ms;
  script.quiet = true;
  SeedResult result;
  script.seed_result = &result;
  std::ostringstream discarded_out;
  std::ostringstream discarded_err;
  options.run_script(script, discarded_out, discarded_err);
  SIMRUN_ASSERT(result.seed == seed, "the script runner did not fill in the seed's result");
  return seed_json(result, true).dump();
}

}  // namespace

int run_sweep(const SweepOptions& options, std::ostream& out, std::ostream& err) {
  if (options.load.seed) throw InputError("sweep takes --seeds (and --first-seed), not --seed");
  const SweepSubject base = sweep_subject(options);
  const SeedRange range =
      parse_seed_range(options.seeds, options.first_seed.value_or(base.default_first_seed));
  if (options.first_seed && options.seeds.find("..") != std::string::npos) {
    throw InputError("--first-seed goes with --seeds N, not with --seeds A..B");
  }
  const auto shard = shard_from(options.shard, options.shards, std::getenv("JOB_COMPLETION_INDEX"),
                                std::getenv("SLURM_ARRAY_TASK_ID"));
  const std::vector<std::uint64_t> seeds = shard_seeds(range, shard);
  const unsigned jobs = options.jobs > 0 ? options.jobs : available_cores();

  SweepHeader header;
  header.scenario = options.scenario_file;
  header.name = base.name;
  header.profile = base.profile;
  header.override_args = options.override_args;
  header.duration_override_ms = options.load.duration_ms.value_or(0);
  header.first_seed = range.first;
  header.seed_count = range.count;
  header.until_fail = options.until_fail;
  header.shard = shard;

  std::ofstream seeds_jsonl;
  if (options.report_dir) {
    std::error_code error;
    std::filesystem::create_directories(*options.report_dir, error);
    const std::string path = *options.report_dir + "/seeds.jsonl";
    seeds_jsonl.open(path, std::ios::trunc);
    if (!seeds_jsonl) throw InputError(path + ": cannot write the report");
  }

  // Results by position in `seeds`; with --until-fail only the seeds up to
  // the lowest failing one count, whatever order the workers finish in.
  std::vector<std::optional<SeedResult>> results(seeds.size());
  std::optional<std::size_t> first_failing;
  std::size_t done = 0;
  std::size_t failed = 0;
  const auto wall_start = std::chrono::steady_clock::now();
  Progress progress("sweep " + base.name);
  auto show_progress = [&] {
    const double elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
    const std::string eta =
        rate > 0 ? format_eta(static_cast<double>(seeds.size() - done) / rate) : "?";
    progress.show(fmt::format("sweep {}: {}/{} seeds, {} failed, {:.1f} seeds/s, ETA {}", base.name,
                              done, seeds.size(), failed, rate, eta));
  };

  WorkerPoolOptions pool;
  pool.jobs = jobs;
  pool.wall_budget_ms = options.wall_budget_ms;
  pool.on_idle_tick = show_progress;
  const std::int64_t duration_override_ms = options.load.duration_ms.value_or(0);
  run_in_workers(
      seeds.size(), pool,
      [&](std::size_t position) -> std::string {
        if (base.script) return script_seed(options, seeds[position]);
        LoadOptions load = options.load;
        load.seed = seeds[position];
        const Scenario scenario = load_scenario_file(options.scenario_file, load);
        RunOptions run_options;
        run_options.duration_override_ms = duration_override_ms;
        run_options.max_events = options.max_events;
        try {
          return seed_json(seed_result_of(run_scenario(scenario, run_options)), true).dump();
        } catch (const EventBudgetExceeded& budget) {
          SeedResult result;
          result.seed = seeds[position];
          result.status = SeedStatus::event_budget;
          result.first_failure = budget.what();
          result.sim_time_ms = budget.at_ms;
          result.events = budget.budget;
          result.repro =
              repro_line(scenario.file, scenario.seed, scenario.overrides, duration_override_ms);
          return seed_json(result, true).dump();
        }
      },
      [&](std::size_t position, WorkerOutcome&& worker) {
        const std::uint64_t seed = seeds[position];
        SeedResult result;
        if (worker.end == WorkerEnd::exited && worker.exit_code == 0) {
          try {
            result = seed_from_json(nlohmann::json::parse(worker.output),
                                    fmt::format("seed {} worker", seed));
            result.wall_time_ms = worker.wall_ms;
          } catch (const std::exception&) {  // a malformed result line
            worker.end = WorkerEnd::exited;
            worker.exit_code = -1;
            result = lost_seed(seed, worker, options.wall_budget_ms, "");
          }
        } else {
          result = lost_seed(seed, worker, options.wall_budget_ms,
                             repro_line(base.file, seed, base.overrides, duration_override_ms));
        }
        if (result.repro.empty()) {
          result.repro = repro_line(base.file, seed, base.overrides, duration_override_ms);
        }
        ++done;
        if (result.status != SeedStatus::pass) {
          ++failed;
          if (options.until_fail && (!first_failing || position < *first_failing)) {
            first_failing = position;
          }
        }
        if (seeds_jsonl.is_open()) {
          seeds_jsonl << seed_json(result, true).dump() << "\n";
          seeds_jsonl.flush();
        }
        results[position] = std::move(result);
        show_progress();
        return !first_failing.has_value();
      });
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::vector<SeedResult> counted;
  const std::size_t end = first_failing ? *first_failing + 1 : seeds.size();
  for (std::size_t position = 0; position < end; ++position) {
    SIMRUN_ASSERT(results[position].has_value(), "a seed before the end has no result");
    counted.push_back(*results[position]);
  }
  const nlohmann::json sweep = sweep_json(header, counted);
  if (options.report_dir) {
    write_file(*options.report_dir + "/sweep.json", sweep.dump(2) + "\n");
    write_sweep_pages(*options.report_dir, sweep, base.assertions);  // report.html, junit.xml
  }

  print_sweep_result(out, sweep);
  err << fmt::format("sweep: {} seeds in {:.1f} s wall, {:.2f} seeds/s, {} jobs\n", done, wall_s,
                     wall_s > 0 ? static_cast<double>(done) / wall_s : 0.0, jobs);
  return sweep["failed"].get<std::uint64_t>() == 0 ? 0 : 1;
}

void print_sweep_result(std::ostream& out, const nlohmann::json& sweep) {
  const SweepHeader header = header_from_json(sweep, "sweep.json");
  out << fmt::format("sweep {} [{}]: seeds {}..{}", header.name, header.profile, header.first_seed,
                     header.first_seed + header.seed_count - 1);
  if (header.shard) out << fmt::format(", shard {}/{}", header.shard->first, header.shard->second);
  out << fmt::format(": {} run\n", sweep["run"].get<std::uint64_t>());
  if (!sweep["metrics"].empty()) print_metric_table(out, sweep["metrics"]);
  for (const auto& failure : sweep["failures"]) {
    out << fmt::format("FAIL seed {} ({}): {}\n  repro: {}\n", failure["seed"].get<std::uint64_t>(),
                       failure["status"].get<std::string>(),
                       failure["first_failure"].get<std::string>(),
                       failure["repro"].get<std::string>());
  }
  if (sweep.contains("probes_missed") && sweep["run"].get<std::uint64_t>() > 0) {
    std::string names;
    for (const auto& name : sweep["probes_missed"]) {
      names += (names.empty() ? "" : ", ") + name.get<std::string>();
    }
    out << fmt::format("probes no seed reached ({}): {}\n", sweep["probes_missed"].size(),
                       names.empty() ? "none" : names);
  }
  const auto failed = sweep["failed"].get<std::uint64_t>();
  if (header.until_fail && failed == 0) out << "until-fail: no seed failed\n";
  out << "sweep: " << sweep["passed"].get<std::uint64_t>() << " passed, " << failed << " failed\n";
}

}  // namespace simrun::cli
