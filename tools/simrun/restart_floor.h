#pragma once
// Issue 12: the Raft safety checker (sim/safety_checker.h) remembers every
// committed entry so that a node which restarts and re-applies entries, or
// restores a snapshot, is compared with what was committed there
// (state_machine_safety). Remembering all of them grows with the run
// (40 bytes per index). An entry may be forgotten once no node can ever
// apply it again nor restore a snapshot ending at it. This class computes
// that floor per Raft group from what each node's disk holds:
//  - a node restarting loads its durable snapshot and applies from the next
//    index on (the entries at or below it are gone from its log), so it
//    re-applies nothing at or below its durable snapshot index;
//  - a node without usable durable state of the group (a new replica, or
//    one whose snapshot is damaged: it then neither votes nor campaigns until
//    a leader repaired it, broker/storage.h) receives entries and snapshots
//    only from a leader. A leader's log starts after its in-memory snapshot,
//    which is at or above its durable one (broker/group.cpp compacts the
//    Raft core before storing the snapshot), and it sends that snapshot:
//    both at or above the floor, since the leader is one of the nodes the
//    floor was the minimum over, and its snapshot index never goes down
//    while it runs (a stale snapshot is ignored, raft.stale_snapshot_ignored);
//  - a crash brings back the durable snapshot, never an older one (a
//    damaged one is the case above).
// So the floor is the lowest durable snapshot index among the nodes that
// hold durable state of the group: for a node running the group, the
// snapshot it would reload now (while the snapshot file has an unsynced
// change, the last index seen durable, which is lower); for a node that is
// down or has not loaded the group yet but has its files, the last index
// seen durable while it ran, or 0 if it was never seen. A node without files
// of the group does not count. The checker keeps the entry at the floor
// (a restore there is compared by term) and forgets those below.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace simrun::cli {

// What one node holds of one Raft group, as observed from outside.
struct NodeGroupState {
  bool has_files = false;  // its disk holds files of the group (raft/<group>/...)
  bool running = false;    // the node is up and has the group loaded
  // When running: the snapshot index a restart would load now, or nullopt
  // while the snapshot file has an unsynced change (RaftGroup::
  // durable_snapshot_index).
  std::optional<std::uint64_t> durable_snapshot_index;
};

class RestartFloor {
 public:
  // Takes the states of every node (by node index) for `group` and returns
  // the group's floor: no node can apply an index below it, nor restore a
  // snapshot ending below it. 0 when nothing is known.
  std::uint64_t update(std::string_view group, std::span<const NodeGroupState> nodes);

 private:
  // (group, node index) -> the last durable snapshot index seen.
  std::map<std::pair<std::string, std::size_t>, std::uint64_t, std::less<>> last_durable_;
};

}  // namespace simrun::cli
