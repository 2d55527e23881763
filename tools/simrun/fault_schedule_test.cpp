#include "tools/simrun/fault_schedule.h"

#include <doctest/doctest.h>

#include "tools/simrun/scenario_loader.h"

using namespace simrun::cli;

namespace {

const char* kScenario = R"({
  "name": "nemesis", "duration": "60s",
  "cluster": {"nodes": 3},
  "faults": [{"at": "20s", "action": "crash", "targets": ["n1"], "duration": "5s"},
             {"at": "1s", "action": "heal"}],
  "nemesis": {"from": "10s", "to": "50s",
              "kinds": [{"action": "pause", "mean_interval": "5s", "duration": "300ms"},
                        {"action": "disk_stall", "mean_interval": "8s", "duration": "1s"}]}
})";

}  // namespace

TEST_CASE("the schedule merges the timeline and the nemesis in time order") {
  const Scenario scenario = load_scenario_text(kScenario, "n.json", {});
  simrun::sim::Rng rng = simrun::sim::Rng::stream(1, "faults");
  const auto schedule = build_fault_schedule(scenario, rng);
  REQUIRE(schedule.size() > 4);
  CHECK(schedule.front().origin == "/faults/1");
  for (std::size_t i = 1; i < schedule.size(); ++i) {
    CHECK(schedule[i - 1].at_ms <= schedule[i].at_ms);
  }
  for (const auto& fault : schedule) {
    if (fault.origin.rfind("nemesis/", 0) == 0) {
      CHECK(fault.at_ms >= 10'000);
      CHECK(fault.at_ms < 50'000);
      CHECK(fault.targets == std::vector<std::string>{"random"});
    }
  }
  CHECK(last_fault_end_ms(schedule, scenario.duration_ms) >= 25'000);
}

TEST_CASE("the same faults stream gives the same schedule; another seed another") {
  const Scenario scenario = load_scenario_text(kScenario, "n.json", {});
  simrun::sim::Rng a = simrun::sim::Rng::stream(1, "faults");
  simrun::sim::Rng b = simrun::sim::Rng::stream(1, "faults");
  simrun::sim::Rng c = simrun::sim::Rng::stream(2, "faults");
  const auto first = build_fault_schedule(scenario, a);
  const auto second = build_fault_schedule(scenario, b);
  const auto other = build_fault_schedule(scenario, c);
  REQUIRE(first.size() == second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].at_ms == second[i].at_ms);
    CHECK(first[i].random_draw == second[i].random_draw);
  }
  bool differs = first.size() != other.size();
  for (std::size_t i = 0; !differs && i < first.size(); ++i)
    differs = first[i].at_ms != other[i].at_ms;
  CHECK(differs);
}
