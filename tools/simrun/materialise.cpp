#include "tools/simrun/materialise.h"

#include "sim/hash.h"
#include "sim/random.h"
#include "tools/simrun/duration.h"

namespace simrun::cli {

std::vector<ScheduledFault> materialised_schedule(const Scenario& scenario) {
  // The same stream run_scenario draws from: World::stream("faults") is
  // Rng::stream(seed, "faults"), untouched before the schedule is built.
  sim::Rng faults = sim::Rng::stream(scenario.seed, "faults");
  return build_fault_schedule(scenario, faults);
}

nlohmann::json faults_json(const std::vector<ScheduledFault>& schedule, int nodes) {
  nlohmann::json faults = nlohmann::json::array();
  for (const ScheduledFault& fault : schedule) {
    nlohmann::json targets = nlohmann::json::array();
    std::uint64_t salt = 0;  // as FaultInjector::resolve salts each reference
    for (const std::string& ref : fault.targets) {
      const std::uint64_t pick = sim::mix64(fault.random_draw ^ salt++);
      if (ref == "random") {
        targets.push_back("n" + std::to_string(pick % static_cast<std::uint64_t>(nodes) + 1));
      } else {
        targets.push_back(ref);
      }
    }
    nlohmann::json entry = {{"action", fault_kind_name(fault.kind)}};
    if (fault.when) {
      // Armed at the same instant: a nemesis arrival becomes `after`.
      TriggerSpec when = *fault.when;
      when.after_ms = fault.at_ms;
      entry["when"] = trigger_to_json(when);
    } else {
      entry["at"] = format_duration_ms(fault.at_ms);
    }
    if (fault.until) entry["until"] = trigger_to_json(*fault.until);
    if (!targets.empty()) entry["targets"] = targets;
    if (fault.duration_ms > 0) entry["duration"] = format_duration_ms(fault.duration_ms);
    if (!fault.params.empty()) entry["params"] = fault.params;
    faults.push_back(std::move(entry));
  }
  return faults;
}

nlohmann::json materialised_document(const Scenario& scenario) {
  nlohmann::json document = scenario.document;
  document["seed"] = scenario.seed;
  document["duration"] = format_duration_ms(scenario.duration_ms);
  document.erase("nemesis");
  document["faults"] = faults_json(materialised_schedule(scenario), scenario.cluster.nodes);
  return document;
}

}  // namespace simrun::cli
