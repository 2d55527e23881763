#include "tools/simrun/replica_lag.h"

#include <algorithm>

#include "sim/assert.h"

namespace simrun::cli {

void ReplicaLag::applied(std::string_view group_name, std::int64_t node, std::int64_t index,
                         sim::time_ns now, bool sampled) {
  SIMRUN_ASSERT(node >= 1, "raft.applied names a 1-based node");
  SIMRUN_ASSERT(index >= 0, "an applied index is not negative");
  SIMRUN_ASSERT(now >= 0, "simulated time starts at 0");
  auto it = groups_.find(group_name);
  if (it == groups_.end()) it = groups_.emplace(std::string(group_name), Group{}).first;
  Group& group = it->second;
  if (index > group.highest) {
    group.highest = index;
    group.first_applied_at.emplace(index, now);
    if (group.first_applied_at.size() > kMaxRemembered)
      group.first_applied_at.erase(group.first_applied_at.begin());
  }
  SIMRUN_ASSERT(group.first_applied_at.size() <= kMaxRemembered, "first-apply times are bounded");
  std::int64_t& mine = group.replica_highest[node];
  mine = std::max(mine, index);
  SIMRUN_ASSERT(mine <= group.highest, "no replica applied past the group's highest index");
  // Entries every replica has applied need no first-apply time any more.
  std::int64_t lowest = group.highest;
  for (const auto& [replica, highest] : group.replica_highest) lowest = std::min(lowest, highest);
  group.first_applied_at.erase(group.first_applied_at.begin(),
                               group.first_applied_at.upper_bound(lowest));
  if (!sampled) return;
  auto& by_node = maxima_[it->first];
  for (const auto& [replica, highest] : group.replica_highest) {
    if (down_.contains(replica)) continue;
    LagMax& lag = by_node[replica];
    SIMRUN_ASSERT(group.highest >= highest, "a lag is never negative");
    lag.entries = std::max(lag.entries, group.highest - highest);
    const auto missing = group.first_applied_at.upper_bound(highest);
    if (missing != group.first_applied_at.end()) {
      lag.ms = std::max(lag.ms, static_cast<double>(now - missing->second) / 1e6);
    }
  }
}

}  // namespace simrun::cli
