#pragma once
// How much a scenario may ask for, so that no input can exhaust memory or
// run for days. Per-field bounds (nodes, partitions per topic, list lengths,
// rates, knob values) are in scenarios/scenario.schema.json and, for the
// cluster knobs, broker/config_limits.h; the bounds here are the ones the
// schema cannot state (a total over several fields, or a value that also
// comes from the command line). schema_consistency_test.cpp checks that the
// schema's own duration bound is kMaxDurationMs.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace simrun::cli {

struct Scenario;

// One simulated day: `duration`, `--duration`, and any time in the timeline.
inline constexpr std::int64_t kMaxDurationMs = 86'400'000;
// Raft groups other than __meta, summed over topics (each is a Raft log
// per node with its own driver loop).
inline constexpr std::int64_t kMaxPartitions = 512;
// Produce batches the producers may send: the sum over producers of
// rate_per_second x the seconds each is active.
inline constexpr double kMaxProducedBatches = 20'000'000.0;
// Faults the nemesis may draw: the sum over kinds of its window divided by
// the kind's mean interval.
inline constexpr double kMaxNemesisFaults = 100'000.0;
// Entries of `faults` (the timeline): the schema's maxItems, checked equal
// by schema_consistency_test.
inline constexpr std::size_t kMaxTimelineFaults = 1000;

// A total of `scenario` past its bound: the JSON pointer to blame and what
// was expected; nullopt when it is within every bound.
struct LimitProblem {
  std::string pointer;
  std::string message;
};
std::optional<LimitProblem> scenario_limit_problem(const Scenario& scenario);

}  // namespace simrun::cli
