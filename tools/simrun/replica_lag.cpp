#include "tools/simrun/replica_lag.h"

#include <algorithm>

#include "sim/assert.h"

namespace simrun::cli {

void ReplicaLag::applied(std::string_view group_name, std::int64_t node, std::int64_t index,
                         sim::time_ns now, bool sampled) {
  SIMRUN_ASSERT(node >= 1, "raft.applied names a 1-based node");
  SIMRUN_ASSERT(index >= 0, "an applied index is not negative");
  SIMRUN_ASSERT(now >= 0, "simulated time starts at 0");
  const sim::NameIndex::Id id = group_ids_.intern(group_name);
  if (id == groups_.size()) groups_.emplace_back();
  Group& group = groups_[id];
  if (index > group.highest) {
    group.highest = index;
    group.first_applied_at.emplace_back(index, now);
    if (group.first_applied_at.size() > kMaxRemembered) group.first_applied_at.pop_front();
  }
  SIMRUN_ASSERT(group.first_applied_at.size() <= kMaxRemembered, "first-apply times are bounded");
  std::int64_t& mine = group.replica_highest[node];
  mine = std::max(mine, index);
  SIMRUN_ASSERT(mine <= group.highest, "no replica applied past the group's highest index");
  // Entries every replica has applied need no first-apply time any more.
  std::int64_t lowest = group.highest;
  for (const auto& [replica, highest] : group.replica_highest) lowest = std::min(lowest, highest);
  while (!group.first_applied_at.empty() && group.first_applied_at.front().first <= lowest) {
    group.first_applied_at.pop_front();
  }
  if (!sampled) return;
  group.sampled = true;
  for (const auto& [replica, highest] : group.replica_highest) {
    if (down_.contains(replica)) continue;
    LagMax& lag = group.maxima[replica];
    SIMRUN_ASSERT(group.highest >= highest, "a lag is never negative");
    lag.entries = std::max(lag.entries, group.highest - highest);
    // The first entry above `highest` this replica lacks.
    const auto missing =
        std::upper_bound(group.first_applied_at.begin(), group.first_applied_at.end(), highest,
                         [](std::int64_t value, const auto& entry) { return value < entry.first; });
    if (missing != group.first_applied_at.end()) {
      lag.ms = std::max(lag.ms, static_cast<double>(now - missing->second) / 1e6);
    }
  }
}

const std::map<std::int64_t, LagMax>* ReplicaLag::maxima(std::string_view group) const {
  const sim::NameIndex::Id id = group_ids_.find(group);
  if (id == sim::NameIndex::kAbsent || !groups_[id].sampled) return nullptr;
  return &groups_[id].maxima;
}

}  // namespace simrun::cli
