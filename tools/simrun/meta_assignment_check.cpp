#include "tools/simrun/meta_assignment_check.h"

#include <fmt/format.h>

#include "sim/assert.h"
#include "sim/checkers.h"

namespace simrun::cli {

std::vector<Violation> check_meta_assignments(const std::map<std::string, LeaderAndTerm>& published,
                                              const std::map<std::string, LeaderAndTerm>& actual,
                                              std::int64_t time_ms, std::uint64_t& checks) {
  std::vector<Violation> violations;
  for (const auto& [group, real] : actual) {
    if (real.node == 0) continue;  // no leader right now: nothing to publish
    SIMRUN_ASSERT(real.term >= 1, "a leader leads a term of at least 1");
    SIMRUN_ASSERT(group != "__meta", "__meta publishes the partitions' leaders, not its own");
    ++checks;
    const auto it = published.find(group);
    const LeaderAndTerm shown = it == published.end() ? LeaderAndTerm{} : it->second;
    if (shown.node == real.node && shown.term == real.term) continue;
    violations.push_back(
        Violation{std::string(sim::checker_name(sim::Checker::meta_assignment)),
                  time_ms,
                  group,
                  {real.node},
                  fmt::format("__meta publishes leader {} epoch {} but node {} leads term {}",
                              shown.node, shown.term, real.node, real.term)});
  }
  SIMRUN_ASSERT(violations.size() <= actual.size(), "at most one violation per group");
  return violations;
}

}  // namespace simrun::cli
