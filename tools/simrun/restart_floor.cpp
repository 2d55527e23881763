#include "tools/simrun/restart_floor.h"

#include <algorithm>
#include <limits>

namespace simrun::cli {

std::uint64_t RestartFloor::update(std::string_view group, std::span<const NodeGroupState> nodes) {
  std::uint64_t floor = std::numeric_limits<std::uint64_t>::max();
  bool any = false;
  for (std::size_t node = 0; node < nodes.size(); ++node) {
    const NodeGroupState& state = nodes[node];
    auto key = std::make_pair(std::string(group), node);
    if (state.running && state.durable_snapshot_index) {
      // Known now. (After a restart with a damaged snapshot this is lower
      // than before: the floor only ever rises in the checker, and such a
      // node is fed from a leader, as argued in the header.)
      last_durable_[key] = *state.durable_snapshot_index;
      floor = std::min(floor, *state.durable_snapshot_index);
      any = true;
      continue;
    }
    if (!state.running && !state.has_files) continue;  // nothing durable to restart from
    // Unknown now (unsynced snapshot, down, or not loaded yet): the last
    // index seen durable, which is at most the one on its disk; 0 if never
    // seen.
    const auto seen = last_durable_.find(key);
    floor = std::min(floor, seen == last_durable_.end() ? 0 : seen->second);
    any = true;
  }
  return any ? floor : 0;
}

}  // namespace simrun::cli
