#include "tools/simrun/swarm.h"

#include <vector>

#include "sim/assert.h"
#include "sim/random.h"
#include "tools/simrun/duration.h"

namespace simrun::cli {

std::string draw_swarm(NemesisSpec& nemesis, std::uint64_t seed) {
  sim::Rng rng = sim::Rng::stream(seed, "swarm");
  std::vector<std::size_t> ranged;
  for (std::size_t i = 0; i < nemesis.kinds.size(); ++i) {
    if (nemesis.kinds[i].swarm) ranged.push_back(i);
  }
  SIMRUN_ASSERT(!ranged.empty(), "the loader requires a swarm range when swarm is on");
  std::vector<bool> on(nemesis.kinds.size(), true);
  bool any_on = false;
  for (std::size_t i : ranged) {
    NemesisKind& kind = nemesis.kinds[i];
    const SwarmRange& range = *kind.swarm;
    // Integer draws only (no floating point reaches the schedule's inputs).
    on[i] = rng.below(1'000'000) < range.on_per_million;
    kind.mean_interval_ms = rng.uniform_int(range.mean_interval_from_ms, range.mean_interval_to_ms);
    any_on = any_on || on[i];
  }
  if (!any_on) on[ranged[rng.below(ranged.size())]] = true;  // never a fault-free seed
  std::string line;
  std::vector<NemesisKind> kept;
  for (std::size_t i = 0; i < nemesis.kinds.size(); ++i) {
    const NemesisKind& kind = nemesis.kinds[i];
    if (!kind.swarm) continue;
    line += (line.empty() ? "" : ", ") + std::string(fault_kind_name(kind.kind)) + "#" +
            std::to_string(i) +
            (on[i] ? " every " + format_duration_ms(kind.mean_interval_ms) : " off");
  }
  for (std::size_t i = 0; i < nemesis.kinds.size(); ++i) {
    if (on[i]) kept.push_back(std::move(nemesis.kinds[i]));
  }
  nemesis.kinds = std::move(kept);
  return line;
}

}  // namespace simrun::cli
