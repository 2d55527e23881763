#pragma once
// Replica lag (issue 11), per group and replica, from raft.applied records:
//  - entries: the highest index any replica of the group has applied minus
//    the highest index this replica has applied;
//  - ms: how long ago the first entry this replica still lacks was first
//    applied by some replica (0 when it lacks none).
// Sampled for every live replica of the group at each raft.applied record of
// the group (simulated time of that record); a replica is not sampled while
// it is down (node.crashed until node.started). A replica's highest applied
// index survives its restart: re-applying its own log is not progress, and a
// replica that never gets past its pre-crash index keeps falling behind.

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "sim/name_index.h"
#include "sim/time.h"

namespace simrun::cli {

struct LagMax {
  std::int64_t entries = 0;
  double ms = 0.0;
};

class ReplicaLag {
 public:
  // `sampled`: the record lies in the observer's window (state is always kept).
  void applied(std::string_view group, std::int64_t node, std::int64_t index, sim::time_ns now,
               bool sampled);
  void crashed(std::int64_t node) { down_.insert(node); }
  void started(std::int64_t node) { down_.erase(node); }
  // node -> the largest lag sampled in `group`; nullptr when the group was
  // never sampled.
  const std::map<std::int64_t, LagMax>* maxima(std::string_view group) const;

 private:
  // Bound on remembered first-apply times per group; beyond it the oldest
  // are dropped (the ms lag of a replica that far behind is then understated).
  static constexpr std::size_t kMaxRemembered = 1u << 20;
  struct Group {
    std::int64_t highest = 0;
    // (index, time) by rising index: an index is added only above the
    // group's highest (issue 12: a deque, not a map node per entry).
    std::deque<std::pair<std::int64_t, sim::time_ns>> first_applied_at;
    std::map<std::int64_t, std::int64_t> replica_highest;  // node -> index
    bool sampled = false;
    std::map<std::int64_t, LagMax> maxima;  // node -> the largest lag sampled
  };
  // By group id (sim/name_index.h).
  sim::NameIndex group_ids_;
  std::deque<Group> groups_;
  std::set<std::int64_t> down_;
};

}  // namespace simrun::cli
