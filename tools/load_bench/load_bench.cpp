// load_bench: how fast and how big a whole simrun run is at production load.
// Runs the same thing `build/simrun` runs (scenario loader, broker cluster,
// metrics, checkers), each run in a child process so that its peak memory
// (ru_maxrss from wait4) is its own, and prints one row per run:
// simulated time, wall time, simulated-to-wall ratio, event-loop events per
// wall second, trace records, peak memory, trace hash and whether every
// check passed. A bare-heap reference (the same 1,000 self-rescheduling
// timers on a std::priority_queue as sim_bench's) is measured in the same
// invocation, so readers can compare figures across machines.
//
// The default workload is issue 12's plain production scenario: 3 nodes,
// 3 partitions of replication factor 3 plus __meta, 500 acks=all produce
// requests per second of one 1 KiB record, one consumer, lognormal fsync
// around 1 ms, no faults. Usage:
//   load_bench [--seconds 60,120,300,600] [--nodes 3] [--partitions 3]
//              [--rate 500] [--record-bytes 1024] [--poll-ms N] [--seed 1]
//              [--profile recommended] [--scenario FILE] [--print-scenario]
//              [--retention-bytes B] [--snapshot-every-bytes B] [--no-fork]
//   --rate 0: an idle cluster (topics, no producer, no consumer).
//   --partitions above 64 (a topic's limit) spread over topics of at most
//   64, each with one producer (the rate split evenly) and one consumer.
//   --scenario FILE: run that scenario file instead (--seconds overrides its
//   duration when given).
//   --scaling: issue 12's scaling table instead of one workload: partitions
//   1, 10, 50, 200 on 3 nodes; nodes 3, 5, 7, 9 with 10 partitions; 50, 500
//   and 5,000 requests/s on 3 nodes and 3 partitions; each row one run of
//   the first --seconds value (default 30), with the other flags (record
//   size, retention, compaction, seed) applying to every row. Per row it
//   adds the work done per simulated second (events) and the CPU each event
//   cost, so whether cost grows faster than the work can be read off.
// Wall-clock figures are noisy on a shared machine; the reference row tells
// how loaded it was. For a deterministic figure count instructions:
//   valgrind --tool=callgrind build/tools/load_bench/load_bench --seconds 10 --no-fork
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/bench/bare_heap_reference.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/report.h"
#include "tools/simrun/runner.h"
#include "tools/simrun/scenario_loader.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<std::int64_t> seconds = {60, 120, 300, 600};
  bool seconds_given = false;
  int nodes = 3;
  int partitions = 3;
  double rate = 500.0;
  int record_bytes = 1024;
  std::int64_t poll_ms = 0;  // 0: the scenario format's default
  std::uint64_t seed = 1;
  std::string profile = "recommended";
  std::string scenario_file;
  bool print_scenario = false;
  bool fork_runs = true;
  bool scaling = false;
  // cluster.broker knobs bounding memory (-2: the profile's value).
  std::int64_t retention_bytes = -2;
  std::int64_t snapshot_every_bytes = -2;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "load_bench: %s\n", message.c_str());
  std::exit(2);
}

std::int64_t parse_integer(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0) {
    usage_error(flag + ": expected a non-negative integer, got '" + text + "'");
  }
  return value;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--print-scenario") {
      options.print_scenario = true;
      continue;
    }
    if (flag == "--no-fork") {
      options.fork_runs = false;
      continue;
    }
    if (flag == "--scaling") {
      options.scaling = true;
      continue;
    }
    if (i + 1 >= argc) usage_error(flag + ": missing value");
    const std::string value = argv[++i];
    if (flag == "--seconds") {
      options.seconds.clear();
      options.seconds_given = true;
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) {
        options.seconds.push_back(parse_integer(flag, item));
      }
      if (options.seconds.empty()) usage_error("--seconds: empty list");
    } else if (flag == "--nodes") {
      options.nodes = static_cast<int>(parse_integer(flag, value));
    } else if (flag == "--partitions") {
      options.partitions = static_cast<int>(parse_integer(flag, value));
    } else if (flag == "--rate") {
      options.rate = static_cast<double>(parse_integer(flag, value));
    } else if (flag == "--record-bytes") {
      options.record_bytes = static_cast<int>(parse_integer(flag, value));
    } else if (flag == "--poll-ms") {
      options.poll_ms = parse_integer(flag, value);
    } else if (flag == "--retention-bytes") {
      options.retention_bytes = parse_integer(flag, value);
    } else if (flag == "--snapshot-every-bytes") {
      options.snapshot_every_bytes = parse_integer(flag, value);
    } else if (flag == "--seed") {
      options.seed = static_cast<std::uint64_t>(parse_integer(flag, value));
    } else if (flag == "--profile") {
      options.profile = value;
    } else if (flag == "--scenario") {
      options.scenario_file = value;
    } else {
      usage_error("unknown flag " + flag);
    }
  }
  if (options.scaling && (!options.scenario_file.empty() || options.print_scenario)) {
    usage_error("--scaling builds its own workloads: drop --scenario and --print-scenario");
  }
  if (options.scaling && !options.seconds_given) options.seconds = {30};
  return options;
}

// The production scenario as a scenario document, so the run goes through
// the same loader (schema, checks) as `build/simrun`.
// The scenario format allows at most this many partitions per topic.
constexpr int kPartitionsPerTopic = 64;

int topic_count(const Options& options) {
  return (options.partitions + kPartitionsPerTopic - 1) / kPartitionsPerTopic;
}

nlohmann::json production_scenario(const Options& options) {
  nlohmann::json doc;
  doc["name"] = "load_bench";
  doc["description"] = "issue 12 production load (tools/load_bench)";
  doc["seed"] = options.seed;
  doc["duration"] = "60s";
  doc["cluster"] = {{"nodes", options.nodes}, {"profile", options.profile}};
  if (options.retention_bytes != -2) {
    doc["cluster"]["broker"]["retention_bytes"] = options.retention_bytes;
  }
  if (options.snapshot_every_bytes != -2) {
    doc["cluster"]["broker"]["snapshot_every_bytes"] = options.snapshot_every_bytes;
  }
  doc["network"]["latency"] = {
      {"kind", "lognormal"}, {"base_ms", 0.2}, {"median_ms", 0.5}, {"sigma", 0.5}, {"max_ms", 20}};
  doc["disk"]["fsync_latency"] = {
      {"kind", "lognormal"}, {"base_ms", 0.2}, {"median_ms", 1}, {"sigma", 0.6}, {"max_ms", 50}};
  // A topic holds at most kPartitionsPerTopic partitions (the scenario
  // format's limit), so more partitions spread over topics orders,
  // orders-2, ..., with one producer and one consumer each and the rate
  // split evenly: the same total load over more groups.
  const int topics = topic_count(options);
  doc["workload"]["topics"] = nlohmann::json::array();
  for (int t = 0; t < topics; ++t) {
    const std::string name = t == 0 ? "orders" : "orders-" + std::to_string(t + 1);
    const int partitions = options.partitions / topics + (t < options.partitions % topics ? 1 : 0);
    doc["workload"]["topics"].push_back({{"name", name}, {"partitions", partitions}});
    if (options.rate <= 0) continue;
    doc["workload"]["producers"].push_back({{"topic", name},
                                            {"rate_per_second", options.rate / topics},
                                            {"record_bytes", options.record_bytes},
                                            {"acks", -1}});
    nlohmann::json consumer = {{"topic", name}};
    if (options.poll_ms > 0) consumer["poll_interval_ms"] = options.poll_ms;
    doc["workload"]["consumers"].push_back(consumer);
  }
  return doc;
}

struct RunFigures {
  std::int64_t sim_ms = 0;
  double wall_s = 0;
  std::uint64_t loop_events = 0;
  std::uint64_t trace_records = 0;
  std::uint64_t trace_hash = 0;
  bool passed = false;
  bool failed_to_run = false;
};

RunFigures run_once(const std::string& text, const std::string& file, std::int64_t seconds,
                    bool override_duration) {
  simrun::cli::LoadOptions load;
  if (override_duration) load.duration_ms = seconds * 1000;
  RunFigures figures;
  try {
    const simrun::cli::Scenario scenario = simrun::cli::load_scenario_text(text, file, load);
    const auto start = Clock::now();
    const simrun::cli::RunOutcome outcome = simrun::cli::run_scenario(scenario, {});
    figures.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    figures.sim_ms = outcome.sim_time_ms;
    figures.loop_events = outcome.loop_events;
    figures.trace_records = outcome.events;
    figures.trace_hash = outcome.trace_hash;
    figures.passed = outcome.passed;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "load_bench: %s\n", error.what());
    figures.failed_to_run = true;
  }
  return figures;
}

struct ChildUsage {
  long peak_kib = 0;
  double cpu_s = 0;  // user + system
};

double cpu_seconds(const rusage& usage) {
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Runs in a child so that ru_maxrss is this run's peak alone. Returns the
// figures and the child's peak resident memory and CPU time.
std::pair<RunFigures, ChildUsage> run_in_child(const std::string& text, const std::string& file,
                                               std::int64_t seconds, bool override_duration) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) usage_error("pipe failed");
  std::fflush(stdout);
  const pid_t child = fork();
  if (child < 0) usage_error("fork failed");
  if (child == 0) {
    close(pipe_fds[0]);
    const RunFigures figures = run_once(text, file, seconds, override_duration);
    const ssize_t written = write(pipe_fds[1], &figures, sizeof figures);
    _exit(written == static_cast<ssize_t>(sizeof figures) ? 0 : 3);
  }
  close(pipe_fds[1]);
  RunFigures figures;
  figures.failed_to_run = true;
  RunFigures received;
  if (read(pipe_fds[0], &received, sizeof received) == static_cast<ssize_t>(sizeof received)) {
    figures = received;
  }
  close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) figures.failed_to_run = true;
  return {figures, ChildUsage{usage.ru_maxrss, cpu_seconds(usage)}};
}

// The bare-heap reference (tools/bench/bare_heap_reference.h).
double reference_events_per_second(std::uint64_t total_events) {
  return static_cast<double>(total_events) /
         simrun::bench::bare_heap_reference_seconds(total_events);
}

// The reference's closing line: measured again after the runs, so a machine
// that got busier (or quieter) during them shows.
void print_reference(double reference_before) {
  const double reference_after = reference_events_per_second(20'000'000);
  std::printf(
      "bare-heap reference (1,000 timers on std::priority_queue): %.1f M events/s before "
      "the runs, %.1f M events/s after\n",
      reference_before / 1e6, reference_after / 1e6);
}

// One run, in a child process unless --no-fork.
std::pair<RunFigures, ChildUsage> measure(const Options& options, const std::string& text,
                                          const std::string& file, std::int64_t seconds,
                                          bool override_duration) {
  if (options.fork_runs) return run_in_child(text, file, seconds, override_duration);
  const RunFigures figures = run_once(text, file, seconds, override_duration);
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  return {figures, ChildUsage{self.ru_maxrss, cpu_seconds(self)}};
}

// Issue 12's scaling table: one axis varied at a time from a base workload.
int run_scaling(const Options& base) {
  struct Row {
    std::string axis;
    Options options;
  };
  std::vector<Row> rows;
  for (const int partitions : {1, 10, 50, 200}) {
    Options options = base;
    options.nodes = 3;
    options.partitions = partitions;
    rows.push_back({"partitions", options});
  }
  for (const int nodes : {3, 5, 7, 9}) {
    Options options = base;
    options.nodes = nodes;
    options.partitions = 10;
    rows.push_back({"nodes", options});
  }
  for (const double rate : {50.0, 500.0, 5000.0}) {
    Options options = base;
    options.nodes = 3;
    options.partitions = 3;
    options.rate = rate;
    rows.push_back({"load", options});
  }
  const std::int64_t seconds = base.seconds.front();
  std::printf(
      "scaling: %lld simulated s per row, acks=all produce of 1 x %d B, profile %s, seed %llu, "
      "retention_bytes %s, snapshot_every_bytes %s\n",
      static_cast<long long>(seconds), base.record_bytes, base.profile.c_str(),
      static_cast<unsigned long long>(base.seed),
      base.retention_bytes == -2 ? "(profile)" : std::to_string(base.retention_bytes).c_str(),
      base.snapshot_every_bytes == -2 ? "(profile)"
                                      : std::to_string(base.snapshot_every_bytes).c_str());
  const double reference_before = reference_events_per_second(20'000'000);
  // "events per sim s" is the work; "cpu us/event" its unit cost: linear
  // cost means the second column stays flat while the first grows.
  std::printf("%-10s %5s %10s %8s %8s %9s %11s %14s %9s %10s %8s %s\n", "axis", "nodes",
              "partitions", "req/s", "ratio", "cpu ratio", "events", "events per s", "events/s",
              "cpu us/ev", "peak MiB", "checks");
  int exit_code = 0;
  for (const Row& row : rows) {
    const std::string text = production_scenario(row.options).dump(2);
    const auto [figures, usage] = measure(row.options, text, "<load_bench>", seconds, true);
    if (figures.failed_to_run) {
      std::printf("%-10s %5d %10d %8.0f run failed\n", row.axis.c_str(), row.options.nodes,
                  row.options.partitions, row.options.rate);
      exit_code = 1;
      continue;
    }
    const double sim_s = static_cast<double>(figures.sim_ms) / 1000.0;
    const double events = static_cast<double>(figures.loop_events);
    std::printf("%-10s %5d %10d %8.0f %7.0fx %8.0fx %11.0f %14.0f %9.0f %10.2f %8.1f %s\n",
                row.axis.c_str(), row.options.nodes, row.options.partitions, row.options.rate,
                sim_s / figures.wall_s, sim_s / usage.cpu_s, events, events / sim_s,
                events / figures.wall_s, usage.cpu_s * 1e6 / events,
                static_cast<double>(usage.peak_kib) / 1024.0, figures.passed ? "pass" : "FAIL");
    std::fflush(stdout);
    if (!figures.passed) exit_code = 1;
  }
  print_reference(reference_before);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  if (options.scaling) return run_scaling(options);
  std::string text;
  std::string file;
  if (options.scenario_file.empty()) {
    text = production_scenario(options).dump(2);
    file = "<load_bench>";
    if (options.print_scenario) {
      std::printf("%s\n", text.c_str());
      return 0;
    }
    const int topics = topic_count(options);
    const std::string clients =
        options.rate > 0 ? std::to_string(topics) + " producer(s) and consumer(s), one per topic"
                         : "idle";
    std::printf(
        "workload: %d nodes, %d partitions in %d topic(s) (RF min(3, nodes)) + __meta, %.0f "
        "produce/s acks=all of 1 x %d B, %s, profile %s, seed %llu\n",
        options.nodes, options.partitions, topics, options.rate, options.record_bytes,
        clients.c_str(), options.profile.c_str(), static_cast<unsigned long long>(options.seed));
  } else {
    std::ifstream in(options.scenario_file);
    if (!in) usage_error("cannot read " + options.scenario_file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
    file = options.scenario_file;
    std::printf("scenario: %s\n", file.c_str());
  }
  const bool override_duration = options.scenario_file.empty() || options.seconds_given;
  const std::vector<std::int64_t> runs = options.scenario_file.empty() || options.seconds_given
                                             ? options.seconds
                                             : std::vector<std::int64_t>{0};

  const double reference_before = reference_events_per_second(20'000'000);
  // ratio and events/s are per wall second; "cpu ratio" divides by the
  // run's user + system CPU time instead (the process's own, so less
  // sensitive to other load on a shared machine; it includes loading).
  std::printf("%9s %8s %7s %8s %9s %11s %10s %13s %8s %16s %s\n", "simulated", "wall", "cpu",
              "ratio", "cpu ratio", "events", "events/s", "trace records", "peak MiB", "trace hash",
              "checks");
  int exit_code = 0;
  for (const std::int64_t seconds : runs) {
    const auto [figures, usage] = measure(options, text, file, seconds, override_duration);
    if (figures.failed_to_run) {
      std::printf("%8llds run failed\n", static_cast<long long>(seconds));
      exit_code = 1;
      continue;
    }
    const double sim_s = static_cast<double>(figures.sim_ms) / 1000.0;
    std::printf("%8.0fs %7.2fs %6.2fs %7.0fx %8.0fx %11llu %10.0f %13llu %8.1f %16s %s\n", sim_s,
                figures.wall_s, usage.cpu_s, sim_s / figures.wall_s, sim_s / usage.cpu_s,
                static_cast<unsigned long long>(figures.loop_events),
                static_cast<double>(figures.loop_events) / figures.wall_s,
                static_cast<unsigned long long>(figures.trace_records),
                static_cast<double>(usage.peak_kib) / 1024.0,
                simrun::cli::format_hash(figures.trace_hash).c_str(),
                figures.passed ? "pass" : "FAIL");
    if (!figures.passed) exit_code = 1;
  }
  print_reference(reference_before);
  return exit_code;
}
