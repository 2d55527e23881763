#pragma once
// Replica liveness (issue 11; TigerBeetle's VOPR liveness phase): after the
// last fault is over (`heal`), every replica that is up at `deadline` (heal
// + the scenario's liveness bound) must have applied, by then, every entry
// that some replica of its group had applied at `heal`. A replica that never
// catches up (a follower whose log went backwards and is rejected forever)
// fails the run with a violation naming the group and the node.
//
// Fed from raft.applied, node.started and node.crashed records. A replica's
// progress counts from its latest start: re-applying after a restart is
// catching up too. A group's replicas are the nodes that applied any entry
// of it.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/time.h"
#include "sim/trace.h"
#include "tools/simrun/data_checker.h"
#include "tools/simrun/record_kind.h"

namespace simrun::cli {

class ReplicaLivenessChecker {
 public:
  ReplicaLivenessChecker(sim::time_ns heal, sim::time_ns deadline);
  void observe(const sim::TraceRecord& record) { observe(record, record_kind(record.kind)); }
  // `kind` is record_kind(record.kind), resolved once by the caller.
  void observe(const sim::TraceRecord& record, RecordKind kind);
  // Decides every replica (call once, after the run reached the deadline).
  void finish();
  const std::vector<Violation>& violations() const { return violations_; }
  std::uint64_t violation_count() const { return violations_.size(); }
  // Replicas whose catch-up was decided (shows the checker did not sit idle).
  std::uint64_t replicas_checked() const { return replicas_checked_; }

 private:
  using Replica = std::pair<std::string, std::int64_t>;  // group, node
  void freeze_targets();

  sim::time_ns heal_;
  sim::time_ns deadline_;
  bool frozen_ = false;
  bool finished_ = false;
  std::map<std::string, std::int64_t> group_applied_max_;  // any replica, any time
  std::map<std::string, std::int64_t> targets_;            // frozen at heal
  std::map<Replica, std::int64_t> applied_since_start_;    // reset at a start
  // The same, counting only what was applied by the deadline: what a
  // violation reports (the run may go on applying after the deadline).
  std::map<Replica, std::int64_t> applied_by_deadline_;
  std::map<Replica, sim::time_ns> caught_up_at_;  // first time >= target
  std::set<std::int64_t> down_nodes_;
  std::vector<Violation> violations_;
  std::uint64_t replicas_checked_ = 0;
};

}  // namespace simrun::cli
