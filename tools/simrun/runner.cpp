#include "tools/simrun/runner.h"

#include <chrono>
#include <set>

#include "broker/cluster.h"
#include "broker/config_json.h"
#include "broker/timing.h"
#include "sim/world.h"
#include "tools/simrun/fault_injector.h"
#include "tools/simrun/fault_schedule.h"
#include "tools/simrun/input_error.h"

namespace simrun::cli {

namespace {

broker::ClusterConfig cluster_config(const Scenario& scenario) {
  broker::ClusterConfig config = scenario.cluster;
  try {
    config.broker = broker::config_from_json(scenario.cluster_knobs,
                                             broker::profile(scenario.profile), "cluster");
  } catch (const std::invalid_argument& error) {
    throw InputError(scenario.file + ": /cluster: " + error.what());
  }
  const bool replication_set = scenario.cluster_knobs.contains("broker") &&
                               scenario.cluster_knobs["broker"].contains("replication_factor");
  if (!replication_set) {
    config.broker.replication_factor = std::min(config.broker.replication_factor, config.nodes);
  }
  return config;
}

}  // namespace

RunOutcome run_scenario(const Scenario& scenario, const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  const broker::ClusterConfig config = cluster_config(scenario);

  // Observers first: they must outlive the World, whose teardown still
  // emits trace records (nodes unwinding).
  MetricsObserver metrics;
  std::map<TimeWindow, MetricsObserver> windowed;
  RaftSafetyFeed safety;
  DataChecker data;

  sim::WorldConfig world_config;
  world_config.seed = scenario.seed;
  world_config.default_link = scenario.default_link;
  world_config.default_disk = scenario.disk;
  // v2.0.0 spawns one apply fiber per committed entry; under churn that
  // exceeds the kernel default.
  world_config.max_fibers_per_process = 1u << 15;
  sim::World world(world_config);
  // Drawn before anything else uses the stream, so the schedule depends only
  // on (seed, scenario faults).
  const std::vector<ScheduledFault> schedule =
      build_fault_schedule(scenario, world.stream("faults"));

  std::int64_t end_ms = scenario.duration_ms;
  std::vector<AssertionSpec> assertions = scenario.assertions;
  if (scenario.liveness_within_ms) {
    // Liveness: after the last fault is over, every group has a leader and
    // a produce succeeds within the bound. The run lasts long enough to see it.
    const std::int64_t heal_ms = last_fault_end_ms(schedule);
    const TimeWindow window{heal_ms, heal_ms + *scenario.liveness_within_ms};
    end_ms = std::max(end_ms, window.to_ms);
    const auto within = static_cast<double>(*scenario.liveness_within_ms);
    // Stable names (an expectation can list them); the bound and the heal
    // time show in the printed value and bound.
    assertions.push_back(AssertionSpec{std::string(kLivenessLeaderName), "time_to_first_leader_ms",
                                       "<", within, "", window});
    if (!scenario.producers.empty()) {
      assertions.push_back(
          AssertionSpec{std::string(kLivenessProduceName), "produce.acked", ">=", 1, "", window});
    }
  }

  for (const auto& spec : assertions) {
    if (spec.window) windowed.try_emplace(*spec.window, *spec.window);
  }
  // Heartbeat blocking is measured beyond each group's own heartbeat period.
  for (const std::string& group : scenario.group_names()) {
    const sim::duration_ns period = broker::tick_counts(config.broker, group).heartbeat_ticks *
                                    broker::tick_interval_ns(config.broker);
    metrics.set_heartbeat_period(group, period);
    for (auto& [window, observer] : windowed) observer.set_heartbeat_period(group, period);
  }
  world.trace().add_observer([&](const sim::TraceRecord& record) {
    metrics.observe(record);
    for (auto& [window, observer] : windowed) observer.observe(record);
    safety.observe(record);
    data.observe(record);
  });
  if (options.trace_sink != nullptr) world.trace().set_json_sink(options.trace_sink);

  broker::Cluster cluster(world, config);
  for (const auto& link : scenario.links) {
    world.network().set_link(cluster.node_process(link.from_node),
                             cluster.node_process(link.to_node), link.config);
  }
  for (const auto& producer : scenario.producers) cluster.add_producer(producer);
  for (const auto& consumer : scenario.consumers) cluster.add_consumer(consumer);
  FaultInjector injector(world, cluster, metrics);
  injector.schedule(schedule);
  cluster.start();

  // Run in slices of one simulated second, only to report progress.
  const sim::time_ns end = sim::millis(end_ms);
  for (sim::time_ns slice_end = sim::seconds(1);; slice_end += sim::seconds(1)) {
    world.run_until(std::min(slice_end, end));
    if (options.progress) options.progress(sim::to_millis(world.now()), end_ms);
    if (slice_end >= end) break;
  }

  RunOutcome outcome;
  outcome.metrics = metrics.finish(end);
  std::set<std::string> consumer_topics;
  for (const auto& consumer : scenario.consumers) consumer_topics.insert(consumer.topic);
  const auto lost = data.finish(end, scenario.consume_grace_ms, consumer_topics,
                                [&](const std::string& topic, int partition) {
                                  return cluster.committed_records(topic, partition);
                                });
  for (const auto& [group, count] : lost) {
    outcome.metrics.groups[group].produce.lost_acked = count;
    outcome.metrics.totals.produce.lost_acked += count;
  }
  std::map<TimeWindow, Metrics> windowed_metrics;
  for (auto& [window, observer] : windowed) {
    Metrics window_metrics = observer.finish(end);
    for (const auto& [group, count] : lost) {
      window_metrics.groups[group].produce.lost_acked = count;
      window_metrics.totals.produce.lost_acked += count;
    }
    windowed_metrics.emplace(window, std::move(window_metrics));
  }
  outcome.assertions = evaluate_assertions(
      assertions, [&](const std::optional<TimeWindow>& window) -> const Metrics& {
        return window ? windowed_metrics.at(*window) : outcome.metrics;
      });

  outcome.violations = safety.violations();
  for (const auto& violation : data.violations()) outcome.violations.push_back(violation);
  std::stable_sort(outcome.violations.begin(), outcome.violations.end(),
                   [](const Violation& a, const Violation& b) { return a.time_ms < b.time_ms; });
  outcome.violation_count = safety.violation_count() + data.violation_count();

  outcome.passed = outcome.violation_count == 0;
  for (const auto& result : outcome.assertions) outcome.passed = outcome.passed && result.passed;
  outcome.scenario_name = scenario.name;
  outcome.scenario_file = scenario.file;
  outcome.profile = scenario.profile;
  outcome.seed = scenario.seed;
  outcome.overrides = scenario.overrides;
  outcome.duration_ms = end_ms;
  outcome.trace_hash = world.trace().hash();
  outcome.events = world.trace().records();
  outcome.sim_time_ms = sim::to_millis(world.now());
  outcome.faults_applied = injector.applied();
  outcome.faults_skipped = injector.skipped();
  outcome.repro =
      repro_line(scenario.file, scenario.seed, scenario.overrides, options.duration_override_ms);
  world.trace().set_json_sink(nullptr);
  outcome.wall_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - wall_start)
                             .count();
  return outcome;
}

}  // namespace simrun::cli
