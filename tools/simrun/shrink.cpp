#include "tools/simrun/shrink.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <ostream>

#include "sim/assert.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/materialise.h"
#include "tools/simrun/report.h"
#include "tools/simrun/runner.h"
#include "tools/simrun/worker_pool.h"

namespace simrun::cli {

namespace {

using nlohmann::json;

// Shortest run tried when shortening: below this a scenario's startup
// (elections, first produce) dominates and nothing is left to learn.
constexpr std::int64_t kMinDurationMs = 1000;

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::int64_t duration_of(const json& value) { return duration_ms_from_json(value); }

class Shrinker {
 public:
  // `control(candidate)`, when set, is the candidate with the --set
  // overrides undone: a candidate only reproduces if its control does not
  // fail on the target checks too (else the reduction made the failure
  // something the overrides have no part in, e.g. a cut-off window).
  Shrinker(const ShrinkOptions& options, unsigned jobs, std::function<json(const json&)> control)
      : options_(options), jobs_(jobs), control_(std::move(control)) {}

  std::uint64_t runs() const { return runs_; }
  bool out_of_runs() const { return runs_ >= options_.max_runs; }
  void set_target(std::vector<std::string> fails) { target_ = std::move(fails); }
  bool has_control() const { return static_cast<bool>(control_); }
  void drop_control() { control_ = nullptr; }
  const std::vector<std::string>& target() const { return target_; }

  // The failed checks of one run of `document` (nullopt: it passed, or did
  // not complete).
  std::optional<std::vector<std::string>> failed_checks_of(const json& document) {
    std::optional<std::vector<std::string>> failed;
    run_all({document}, [&](std::size_t, const json& result) {
      if (result.contains("failed") && !result["passed"].get<bool>()) {
        failed = result["failed"].get<std::vector<std::string>>();
      }
      return true;
    });
    return failed;
  }

  // The lowest index among `candidates` that still fails on every target
  // check. Candidates run in index order, `jobs` at a time, and no new one
  // starts once one reproduces, so the answer does not depend on the jobs.
  std::optional<std::size_t> first_reproducing(const std::vector<json>& candidates) {
    std::optional<std::size_t> best;
    if (!control_) {
      run_all(candidates, [&](std::size_t index, const json& result) {
        if (fails_on_target(result) && (!best || index < *best)) best = index;
        return !best.has_value();
      });
      return best;
    }
    // Candidate i runs as task 2i, its control as task 2i+1.
    std::vector<json> tasks;
    for (const json& candidate : candidates) {
      tasks.push_back(candidate);
      tasks.push_back(control_(candidate));
    }
    // Bit 1: the candidate fails on the target; bit 2: its control does not.
    std::vector<int> verdicts(candidates.size(), 0);
    std::vector<int> known(candidates.size(), 0);
    run_all(tasks, [&](std::size_t task, const json& result) {
      const std::size_t index = task / 2;
      if (task % 2 == 0 && fails_on_target(result)) verdicts[index] |= 1;
      if (task % 2 == 1 && completed(result) && !fails_on_any_target(result)) verdicts[index] |= 2;
      if (++known[index] == 2 && verdicts[index] == 3 && (!best || index < *best)) best = index;
      return !best.has_value();
    });
    return best;
  }

 private:
  static bool completed(const json& result) { return result.contains("failed"); }

  bool fails_on_target(const json& result) const {
    if (!completed(result) || result["passed"].get<bool>()) return false;
    const auto failed = result["failed"].get<std::vector<std::string>>();
    return std::all_of(target_.begin(), target_.end(), [&](const std::string& name) {
      return std::find(failed.begin(), failed.end(), name) != failed.end();
    });
  }

  bool fails_on_any_target(const json& result) const {
    const auto failed = result["failed"].get<std::vector<std::string>>();
    return std::any_of(target_.begin(), target_.end(), [&](const std::string& name) {
      return std::find(failed.begin(), failed.end(), name) != failed.end();
    });
  }

  void run_all(const std::vector<json>& candidates,
               const std::function<bool(std::size_t, const json&)>& on_result) {
    const std::size_t budget =
        out_of_runs() ? 0 : static_cast<std::size_t>(options_.max_runs - runs_);
    const std::size_t count = std::min(candidates.size(), budget);
    WorkerPoolOptions pool;
    pool.jobs = jobs_;
    pool.wall_budget_ms = options_.wall_budget_ms;
    run_in_workers(
        count, pool,
        [&](std::size_t index) -> std::string {
          try {
            const Scenario scenario =
                load_scenario_text(candidates[index].dump(), options_.output_file, LoadOptions{});
            RunOptions run_options;
            run_options.max_events = options_.max_events;
            const RunOutcome outcome = run_scenario(scenario, run_options);
            return json{{"passed", outcome.passed}, {"failed", failed_checks(outcome)}}.dump();
          } catch (const InputError& error) {
            // A reduction the format rejects (a window past the end, ...).
            return json{{"invalid", error.what()}}.dump();
          } catch (const EventBudgetExceeded& error) {
            return json{{"budget", error.what()}}.dump();
          }
        },
        [&](std::size_t index, WorkerOutcome&& worker) {
          ++runs_;
          json result = json::object();
          if (worker.end == WorkerEnd::exited && worker.exit_code == 0) {
            result = json::parse(worker.output, nullptr, false);
            if (result.is_discarded()) result = json::object();
          }
          return on_result(index, result);
        });
  }

  const ShrinkOptions& options_;
  unsigned jobs_;
  std::function<json(const json&)> control_;
  std::vector<std::string> target_;
  std::uint64_t runs_ = 0;
};

std::size_t fault_count(const json& document) {
  return document.contains("faults") ? document["faults"].size() : 0;
}

// Removes runs of faults: halves, then quarters, ... then single faults.
bool remove_faults(Shrinker& shrinker, json& document, std::ostream& log) {
  bool changed = false;
  std::size_t size = std::max<std::size_t>(1, fault_count(document) / 2);
  while (fault_count(document) > 0 && !shrinker.out_of_runs()) {
    const std::size_t count = fault_count(document);
    size = std::min(size, count);
    std::vector<json> candidates;
    std::vector<std::pair<std::size_t, std::size_t>> removed;
    for (std::size_t begin = 0; begin < count; begin += size) {
      const std::size_t end = std::min(count, begin + size);
      json candidate = document;
      json kept = json::array();
      for (std::size_t i = 0; i < count; ++i) {
        if (i < begin || i >= end) kept.push_back(document["faults"][i]);
      }
      candidate["faults"] = kept;
      candidates.push_back(std::move(candidate));
      removed.emplace_back(begin, end);
    }
    if (const auto found = shrinker.first_reproducing(candidates)) {
      document = std::move(candidates[*found]);
      changed = true;
      log << fmt::format("  removed fault(s) {}..{}: {} left [{} runs]\n", removed[*found].first,
                         removed[*found].second - 1, fault_count(document), shrinker.runs());
    } else if (size > 1) {
      size /= 2;
    } else {
      break;
    }
  }
  return changed;
}

// A smaller scenario to try, and what keeping it changed (for the log).
struct Step {
  json document;
  std::string what;
};

// One reduction pass: `steps` lists the candidate steps from the current
// document; the first that still reproduces is kept, and the pass repeats
// from there until none does or the run budget ends. Returns whether any
// step was kept.
template <typename Steps>
bool keep_reducing(Shrinker& shrinker, json& document, std::ostream& log, Steps steps) {
  bool changed = false;
  while (!shrinker.out_of_runs()) {
    std::vector<Step> candidates = steps(document);
    std::vector<json> documents;
    documents.reserve(candidates.size());
    for (Step& step : candidates) documents.push_back(std::move(step.document));
    const auto found = shrinker.first_reproducing(documents);
    if (!found) break;
    SIMRUN_ASSERT(*found < documents.size(), "the shrinker kept a step it was not given");
    document = std::move(documents[*found]);
    changed = true;
    log << "  " << candidates[*found].what << fmt::format(" [{} runs]\n", shrinker.runs());
  }
  return changed;
}

// Halves fault windows (durations), one fault at a time, as long as it reproduces.
std::vector<Step> narrower_windows(const json& document) {
  std::vector<Step> steps;
  for (std::size_t i = 0; i < fault_count(document); ++i) {
    const json& fault = document["faults"][i];
    if (!fault.contains("duration")) continue;
    const std::int64_t window = duration_of(fault["duration"]);
    if (window < 2) continue;
    json candidate = document;
    candidate["faults"][i]["duration"] = format_duration_ms(window / 2);
    steps.push_back({std::move(candidate),
                     fmt::format("fault {}: window {}", i, format_duration_ms(window / 2))});
  }
  return steps;
}

// Drops one target of a fault with several.
std::vector<Step> fewer_targets(const json& document) {
  std::vector<Step> steps;
  for (std::size_t i = 0; i < fault_count(document); ++i) {
    const json& fault = document["faults"][i];
    if (!fault.contains("targets") || fault["targets"].size() < 2) continue;
    for (std::size_t t = 0; t < fault["targets"].size(); ++t) {
      json candidate = document;
      candidate["faults"][i]["targets"].erase(t);
      steps.push_back({std::move(candidate),
                       fmt::format("fault {}: target {} dropped", i, fault["targets"][t].dump())});
    }
  }
  return steps;
}

// The shortest run that still contains every fault and every assertion
// window: cutting a window off would make its assertion fail (or pass)
// vacuously, a different failure from the one being shrunk.
std::int64_t shortest_duration_ms(const json& document) {
  std::int64_t shortest = kMinDurationMs;
  if (document.contains("faults")) {
    for (const json& fault : document["faults"]) {
      // A triggered fault is armed at when.after (0 when not given); it may
      // fire later, so shortening never cuts below the arming.
      const std::int64_t at = fault.contains("at") ? duration_of(fault["at"])
                              : fault["when"].contains("after")
                                  ? duration_of(fault["when"]["after"])
                                  : 0;
      const std::int64_t window = fault.contains("duration") ? duration_of(fault["duration"]) : 0;
      shortest = std::max(shortest, at + window + 1);
    }
  }
  if (document.contains("assertions")) {
    for (const json& assertion : document["assertions"]) {
      if (!assertion.contains("window")) continue;
      const json& window = assertion["window"];
      if (window.contains("to")) shortest = std::max(shortest, duration_of(window["to"]));
      if (window.contains("from")) shortest = std::max(shortest, duration_of(window["from"]) + 1);
    }
  }
  return shortest;
}

// Shortens the run: a quarter, a half, three quarters of the current length,
// never below shortest_duration_ms.
std::vector<Step> shorter_runs(const json& document) {
  std::vector<Step> steps;
  const std::int64_t duration = duration_of(document["duration"]);
  const std::int64_t shortest = shortest_duration_ms(document);
  for (std::int64_t quarters : {1, 2, 3}) {
    // Rounded down to whole seconds: shorter steps buy little.
    const std::int64_t length = duration * quarters / 4 / 1000 * 1000;
    if (length < shortest || length >= duration) continue;
    json candidate = document;
    candidate["duration"] = format_duration_ms(length);
    steps.push_back({std::move(candidate), "duration " + format_duration_ms(length)});
  }
  return steps;
}

// Lowers the workload: halves producer rates, removes consumers and
// producers, drops partitions.
std::vector<Step> lighter_workloads(const json& document) {
  std::vector<Step> steps;
  if (!document.contains("workload")) return steps;
  const json& workload = document["workload"];
  for (const char* list : {"consumers", "producers"}) {
    if (!workload.contains(list)) continue;
    for (std::size_t i = 0; i < workload[list].size(); ++i) {
      json candidate = document;
      candidate["workload"][list].erase(i);
      steps.push_back({std::move(candidate), fmt::format("{} {} removed", list, i)});
    }
  }
  if (workload.contains("producers")) {
    for (std::size_t i = 0; i < workload["producers"].size(); ++i) {
      const double rate = workload["producers"][i].value("rate_per_second", 0.0);
      if (rate < 2) continue;
      json candidate = document;
      candidate["workload"]["producers"][i]["rate_per_second"] = std::floor(rate / 2);
      steps.push_back({std::move(candidate),
                       fmt::format("producer {}: {} records/s", i, std::floor(rate / 2))});
    }
  }
  if (workload.contains("topics")) {
    for (std::size_t i = 0; i < workload["topics"].size(); ++i) {
      const int partitions = workload["topics"][i].value("partitions", 1);
      if (partitions < 2) continue;
      json candidate = document;
      candidate["workload"]["topics"][i]["partitions"] = partitions - 1;
      steps.push_back(
          {std::move(candidate), fmt::format("topic {}: {} partitions", i, partitions - 1)});
    }
  }
  return steps;
}

}  // namespace

ShrinkResult shrink(const ShrinkOptions& options, std::ostream& log) {
  if (!options.load.seed) throw InputError("shrink needs --seed N (the failing seed)");
  const Scenario scenario = load_scenario_file(options.scenario_file, options.load);
  const unsigned jobs = options.jobs > 0 ? options.jobs : available_cores();
  // The control: the candidate with each overridden path set back to the
  // scenario file's value (or removed where the file has none).
  std::function<json(const json&)> control;
  if (options.control && !scenario.overrides.empty()) {
    LoadOptions plain = options.load;
    plain.overrides.clear();
    const json file_document = load_scenario_file(options.scenario_file, plain).document;
    std::vector<json::json_pointer> paths;
    for (const Override& override_value : scenario.overrides) {
      std::string pointer;
      for (const char c : override_value.path) pointer += c == '.' ? '/' : c;
      paths.emplace_back("/" + pointer);
    }
    control = [file_document, paths](const json& candidate) {
      json undone = candidate;
      for (const auto& path : paths) {
        if (file_document.contains(path)) {
          undone[path] = file_document[path];
        } else if (undone.contains(path)) {
          undone[path.parent_pointer()].erase(path.back());
        }
      }
      return undone;
    };
  }
  Shrinker shrinker(options, jobs, control);

  // The original run, from the file as given: what "the same way" means.
  json original = scenario.document;
  original["seed"] = scenario.seed;
  original["duration"] = format_duration_ms(scenario.duration_ms);
  const auto failed = shrinker.failed_checks_of(original);
  if (!failed || failed->empty()) {
    throw InputError(fmt::format("shrink: {} --seed {} does not fail; nothing to shrink",
                                 options.scenario_file, scenario.seed));
  }
  for (const std::string& name : options.fails) {
    if (std::find(failed->begin(), failed->end(), name) == failed->end()) {
      throw InputError(
          fmt::format("shrink: --fails '{}': the run fails on {}, not on it", name, join(*failed)));
    }
  }
  shrinker.set_target(options.fails.empty() ? std::vector<std::string>{failed->front()}
                                            : options.fails);
  if (shrinker.has_control()) {
    // If the run fails the same way without the overrides, they are not
    // the cause and the control would reject every step.
    const auto control_failed = shrinker.failed_checks_of(control(original));
    if (control_failed && std::any_of(shrinker.target().begin(), shrinker.target().end(),
                                      [&](const std::string& name) {
                                        return std::find(control_failed->begin(),
                                                         control_failed->end(),
                                                         name) != control_failed->end();
                                      })) {
      log << "  the run fails the same way without the --set overrides: no control\n";
      shrinker.drop_control();
    }
  }
  log << fmt::format(
      "shrink: {} seed {} fails on {}; keeping: {}{}\n", scenario.name, scenario.seed,
      join(*failed), join(shrinker.target()),
      shrinker.has_control() ? " (each step must pass them without the --set overrides)" : "");

  ShrinkResult result;
  result.faults_before = materialised_schedule(scenario).size();
  // The timeline written out; if that changes the failure (a symbolic
  // follower target draws differently), shrink the scenario as written.
  json document = materialised_document(scenario);
  document.erase("expect");
  if (!shrinker.first_reproducing({document})) {
    log << "  the explicit timeline does not reproduce; shrinking the faults as written\n";
    document = original;
    document.erase("expect");
  } else {
    log << fmt::format("  timeline written out: {} faults [{} runs]\n", fault_count(document),
                       shrinker.runs());
  }

  constexpr int kMaxRounds = 10;  // each round that changes something removes something
  for (int round = 0; round < kMaxRounds && !shrinker.out_of_runs(); ++round) {
    bool changed = remove_faults(shrinker, document, log);
    changed = keep_reducing(shrinker, document, log, fewer_targets) || changed;
    changed = keep_reducing(shrinker, document, log, narrower_windows) || changed;
    changed = keep_reducing(shrinker, document, log, shorter_runs) || changed;
    changed = keep_reducing(shrinker, document, log, lighter_workloads) || changed;
    if (!changed) break;
  }
  if (shrinker.out_of_runs()) log << fmt::format("  stopped at --max-runs {}\n", options.max_runs);

  std::string name = scenario.name.substr(0, 56) + "_shrunk";
  document["name"] = name;
  std::string sets;
  for (const Override& override_value : scenario.overrides) {
    sets += " " + override_argument(override_value);
  }
  document["description"] =
      fmt::format("Shrunk by `simrun shrink` from {} --seed {}{}: fails on {}.",
                  options.scenario_file, scenario.seed, sets, join(shrinker.target()));
  result.document = std::move(document);
  result.runs = shrinker.runs();
  result.fails = shrinker.target();
  result.faults_after = fault_count(result.document);
  return result;
}

int run_shrink(const ShrinkOptions& options, std::ostream& out) {
  if (options.output_file.empty()) throw InputError("shrink needs -o minimal.json");
  const ShrinkResult result = shrink(options, out);
  std::ofstream file(options.output_file);
  if (!file) throw InputError(options.output_file + ": cannot write the shrunk scenario");
  file << result.document.dump(2) << "\n";
  out << fmt::format(
      "shrink: {} faults -> {}, duration {}, {} runs; fails on {}\n  run: simrun {}\n",
      result.faults_before, result.faults_after, result.document["duration"].get<std::string>(),
      result.runs, join(result.fails), options.output_file);
  return 0;
}

}  // namespace simrun::cli
