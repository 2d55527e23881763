#include "tools/simrun/runner.h"

#include <doctest/doctest.h>

#include "tools/simrun/scenario_loader.h"

namespace simrun::cli {
namespace {

const char* kSmall = R"({"name": "runner", "duration": "6s", "cluster": {"nodes": 3},
  "workload": {"topics": [{"name": "orders"}],
               "producers": [{"topic": "orders", "rate_per_second": 20}]},
  "faults": [{"at": "3s", "action": "crash", "targets": ["leader:__meta"], "duration": "1s"}]})";

Scenario small(std::uint64_t seed, std::optional<std::int64_t> duration_ms = std::nullopt,
               std::string text = kSmall) {
  LoadOptions options;
  options.seed = seed;
  options.duration_ms = duration_ms;
  return load_scenario_text(text, "runner.json", options);
}

}  // namespace

TEST_CASE("one scenario and seed give one trace; another seed another") {
  const RunOutcome first = run_scenario(small(3), {});
  const RunOutcome again = run_scenario(small(3), {});
  const RunOutcome other = run_scenario(small(4), {});
  CHECK(first.trace_hash == again.trace_hash);
  CHECK(first.events == again.events);
  CHECK(first.trace_hash != other.trace_hash);
  CHECK(first.sim_time_ms == 6'000);
  CHECK(first.stretched_from_ms == 0);
}

TEST_CASE("a duration shorter than the liveness deadline is stretched, and says so") {
  std::string text = kSmall;
  text.insert(text.rfind('}'), R"(, "liveness": {"within": "5s"})");
  // The crash ends at 4 s, so the liveness deadline is 9 s.
  const RunOutcome outcome = run_scenario(small(3, 6'000, text), {});
  CHECK(outcome.sim_time_ms == 9'000);
  CHECK(outcome.stretched_from_ms == 6'000);
  const RunOutcome long_enough = run_scenario(small(3, 10'000, text), {});
  CHECK(long_enough.sim_time_ms == 10'000);
  CHECK(long_enough.stretched_from_ms == 0);
}

}  // namespace simrun::cli
