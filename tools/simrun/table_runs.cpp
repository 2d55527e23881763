#include "tools/simrun/table_runs.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>

#include "broker/config.h"
#include "sim/assert.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/progress.h"
#include "tools/simrun/runner.h"
#include "tools/simrun/sweep.h"
#include "tools/simrun/worker_pool.h"

namespace simrun::cli {

std::vector<Override> steady_state_overrides(const Scenario& scenario) {
  std::vector<Override> overrides{parse_override("faults=[]")};
  if (scenario.document.contains("nemesis")) {
    overrides.push_back(parse_override("nemesis.kinds=[]"));
  }
  return overrides;
}

namespace {

struct Task {
  std::size_t section = 0;  // 0 steady, 1 faults
  std::size_t profile = 0;
  std::uint64_t seed = 0;
};

LoadOptions task_load(const TableRunOptions& options, const std::vector<Override>& steady,
                      const std::string& profile, const Task& task) {
  LoadOptions load = options.load;
  load.overrides.push_back(parse_override("cluster.profile=\"" + profile + "\""));
  if (task.section == 0) {
    for (const Override& override_value : steady) load.overrides.push_back(override_value);
  }
  load.seed = task.seed;
  return load;
}

// Why a seed's outcome contradicts the expectation (with `fails`: the
// mechanism's checks that must be among the failed ones), or empty.
std::string contradiction(const std::string& expected, const std::vector<std::string>& fails,
                          const SeedResult& result) {
  if (expected == "pass" && result.status != SeedStatus::pass) {
    return result.first_failure.empty() ? "did not pass" : result.first_failure;
  }
  if (expected == "fail" && result.status != SeedStatus::fail) {
    return result.status == SeedStatus::pass ? "passed" : result.first_failure;
  }
  if (expected == "fail") {
    std::string missing;
    for (const std::string& name : fails) {
      if (std::find(result.failed.begin(), result.failed.end(), name) == result.failed.end()) {
        missing += (missing.empty() ? "" : ", ") + name;
      }
    }
    if (!missing.empty()) return "failed, but not on " + missing;
  }
  return {};
}

}  // namespace

TableRunResult run_field_table(const TableRunOptions& options) {
  if (options.load.seed) throw InputError("table takes --seeds (and --first-seed), not --seed");
  const Scenario base = load_scenario_file(options.scenario_file, options.load);
  const std::vector<std::string> profiles =
      options.profiles.empty() ? broker::profile_names() : options.profiles;
  const std::vector<Override> steady = steady_state_overrides(base);
  const std::uint64_t first_seed = options.first_seed.value_or(base.seed);
  if (options.seed_count == 0 || options.seed_count > kMaxTableSeeds) {
    throw InputError(fmt::format("table: --seeds must be in 1..{}", kMaxTableSeeds));
  }
  if (first_seed > UINT64_MAX - options.seed_count) throw InputError("--seeds: the seeds overflow");

  std::vector<Task> tasks;
  for (std::size_t section = 0; section < 2; ++section) {
    for (std::size_t profile = 0; profile < profiles.size(); ++profile) {
      for (std::uint64_t i = 0; i < options.seed_count; ++i) {
        tasks.push_back(Task{section, profile, first_seed + i});
      }
    }
  }
  // Check every variant loads before forking (bad input: exit 2 once, here).
  std::vector<std::vector<Scenario>> scenarios(2);
  for (std::size_t section = 0; section < 2; ++section) {
    for (std::size_t profile = 0; profile < profiles.size(); ++profile) {
      scenarios[section].push_back(load_scenario_file(
          options.scenario_file,
          task_load(options, steady, profiles[profile], Task{section, profile, first_seed})));
    }
  }

  std::vector<std::optional<SeedResult>> results(tasks.size());
  std::size_t done = 0;
  Progress progress("table " + base.name);
  WorkerPoolOptions pool;
  pool.jobs = options.jobs > 0 ? options.jobs : available_cores();
  pool.wall_budget_ms = options.wall_budget_ms;
  pool.on_idle_tick = [&] {
    progress.show(fmt::format("table {}: {}/{} runs", base.name, done, tasks.size()));
  };
  const std::int64_t duration_override_ms = options.load.duration_ms.value_or(0);
  run_in_workers(
      tasks.size(), pool,
      [&](std::size_t index) -> std::string {
        const Task& task = tasks[index];
        const Scenario scenario = load_scenario_file(
            options.scenario_file, task_load(options, steady, profiles[task.profile], task));
        RunOptions run_options;
        run_options.duration_override_ms = duration_override_ms;
        return seed_json(seed_result_of(run_scenario(scenario, run_options)), false).dump();
      },
      [&](std::size_t index, WorkerOutcome&& worker) {
        const Task& task = tasks[index];
        const Scenario& scenario = scenarios[task.section][task.profile];
        const std::string repro =
            repro_line(scenario.file, task.seed, scenario.overrides, duration_override_ms);
        SeedResult result;
        bool parsed = false;
        if (worker.end == WorkerEnd::exited && worker.exit_code == 0) {
          try {
            result = seed_from_json(nlohmann::json::parse(worker.output),
                                    fmt::format("table run {}", index));
            parsed = true;
          } catch (const std::exception&) {
            worker.exit_code = -1;
          }
        }
        if (!parsed) result = lost_seed(task.seed, worker, options.wall_budget_ms, repro);
        if (result.repro.empty()) result.repro = repro;
        results[index] = std::move(result);
        ++done;
        return true;
      });

  TableRunResult run;
  run.table.scenario_name = base.name;
  run.table.first_seed = first_seed;
  run.table.seed_count = options.seed_count;
  const char* keys[] = {"steady", "faults"};
  const std::string titles[] = {
      "steady state (the scenario's faults removed)",
      fmt::format("under the scenario's faults ({} scripted{})", base.faults.size(),
                  base.nemesis ? ", and its nemesis" : "")};
  std::size_t index = 0;
  for (std::size_t section = 0; section < 2; ++section) {
    FieldTableSection rendered{keys[section], titles[section], {}};
    for (std::size_t profile = 0; profile < profiles.size(); ++profile) {
      std::vector<SeedResult> column;
      for (std::uint64_t i = 0; i < options.seed_count; ++i, ++index) {
        SIMRUN_ASSERT(results[index].has_value(), "a table run without a result");
        column.push_back(*results[index]);
      }
      if (section == 1) {
        const auto expected = base.expect.find(profiles[profile]);
        if (expected != base.expect.end()) {
          for (const SeedResult& result : column) {
            const auto named = base.expect_fails.find(profiles[profile]);
            const std::string why = contradiction(
                expected->second,
                named == base.expect_fails.end() ? std::vector<std::string>{} : named->second,
                result);
            if (!why.empty()) {
              run.unexpected.push_back(fmt::format("{} seed {}: expected {}, {}\n  repro: {}",
                                                   profiles[profile], result.seed, expected->second,
                                                   why, result.repro));
            }
          }
        }
      }
      rendered.columns.push_back(summarise_column(profiles[profile], column));
    }
    run.table.sections.push_back(std::move(rendered));
  }
  run.runs = tasks.size();
  return run;
}

}  // namespace simrun::cli
