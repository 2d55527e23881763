#include "tools/simrun/scenario_limits.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/assert.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

namespace {

std::optional<LimitProblem> partition_problem(const Scenario& scenario) {
  std::int64_t partitions = 0;
  for (const broker::TopicSpec& topic : scenario.cluster.topics) {
    SIMRUN_ASSERT(topic.partitions >= 1, "the schema keeps partitions positive");
    partitions += topic.partitions;
  }
  if (partitions <= kMaxPartitions) return std::nullopt;
  return LimitProblem{"/workload/topics",
                      fmt::format("expected at most {} partitions over all topics, got {}",
                                  kMaxPartitions, partitions)};
}

std::optional<LimitProblem> produce_problem(const Scenario& scenario) {
  double batches = 0.0;
  for (const broker::ProducerSpec& producer : scenario.producers) {
    SIMRUN_ASSERT(producer.rate_per_second > 0.0, "the schema keeps rates positive");
    const std::int64_t stop_ms = producer.stop_ms < 0
                                     ? scenario.duration_ms
                                     : std::min(producer.stop_ms, scenario.duration_ms);
    const std::int64_t active_ms = std::max<std::int64_t>(0, stop_ms - producer.start_ms);
    batches += producer.rate_per_second * static_cast<double>(active_ms) / 1000.0;
  }
  if (batches <= kMaxProducedBatches) return std::nullopt;
  return LimitProblem{
      "/workload/producers",
      fmt::format("expected at most {:.0f} produce batches in the run (rate_per_second x active "
                  "seconds, summed over producers), got {:.0f}; lower a rate or the duration",
                  kMaxProducedBatches, batches)};
}

std::optional<LimitProblem> nemesis_problem(const Scenario& scenario) {
  if (!scenario.nemesis) return std::nullopt;
  const NemesisSpec& nemesis = *scenario.nemesis;
  const std::int64_t window_ms = std::max<std::int64_t>(0, nemesis.to_ms - nemesis.from_ms);
  double faults = 0.0;
  for (const NemesisKind& kind : nemesis.kinds) {
    SIMRUN_ASSERT(kind.mean_interval_ms > 0, "the schema keeps mean intervals positive");
    faults += static_cast<double>(window_ms) / static_cast<double>(kind.mean_interval_ms);
  }
  if (faults <= kMaxNemesisFaults) return std::nullopt;
  return LimitProblem{
      "/nemesis/kinds",
      fmt::format("expected at most {:.0f} nemesis faults on average (window / mean_interval, "
                  "summed over kinds), got {:.0f}; raise a mean_interval or shorten the window",
                  kMaxNemesisFaults, faults)};
}

}  // namespace

std::optional<LimitProblem> scenario_limit_problem(const Scenario& scenario) {
  if (scenario.duration_ms > kMaxDurationMs) {
    return LimitProblem{"/duration", fmt::format("expected a duration of at most {} ms (one "
                                                 "simulated day), got {} ms",
                                                 kMaxDurationMs, scenario.duration_ms)};
  }
  if (auto problem = partition_problem(scenario)) return problem;
  if (auto problem = produce_problem(scenario)) return problem;
  return nemesis_problem(scenario);
}

}  // namespace simrun::cli
