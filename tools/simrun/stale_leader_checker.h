#pragma once
// Stale leaders: a node that stays leader of term T while a majority of its
// group's replicas are in a term above T can no longer commit anything, yet
// keeps answering clients (field report, mechanism 3). Check-quorum (or
// hearing the higher term) must make it step down within a bound; this
// checker fails the run when it does not. Time a leader's process spends
// paused or crashed does not count: it cannot act then.
//
// Fed from trace records: raft.log_loaded (a group's replicas), raft.term_changed,
// raft.role_changed, node.crashed, and the pause/resume faults of the
// nodes' processes.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/trace.h"
#include "tools/simrun/data_checker.h"
#include "tools/simrun/record_kind.h"

namespace simrun::cli {

class StaleLeaderChecker {
 public:
  // How long a leader may stay leader while a majority is in a higher term
  // (e.g. a few election timeouts: check-quorum needs up to two).
  void set_bound(const std::string& group, sim::duration_ns bound);
  // Which simulator process runs Raft node `node` (to see its pauses).
  void set_node_process(std::uint32_t node, std::int64_t process);

  void observe(const sim::TraceRecord& record) { observe(record, record_kind(record.kind)); }
  // `kind` is record_kind(record.kind), resolved once by the caller.
  void observe(const sim::TraceRecord& record, RecordKind kind);
  void finish(sim::time_ns end);

  const std::vector<Violation>& violations() const { return violations_; }
  std::uint64_t violation_count() const { return violation_count_; }
  std::uint64_t checks() const { return checks_; }

 private:
  struct Replica {
    std::uint64_t term = 0;
    bool leader = false;
    sim::time_ns stale_since = -1;  // counting since then; -1: not stale
    bool reported = false;          // once per leadership
  };
  struct Group {
    std::map<std::uint32_t, Replica> replicas;
    sim::duration_ns bound = 0;
  };
  void evaluate(const std::string& name, Group& group, sim::time_ns now);
  bool halted(std::uint32_t node) const;

  std::map<std::string, Group, std::less<>> groups_;
  std::map<std::int64_t, std::uint32_t> node_of_process_;
  std::set<std::uint32_t> paused_;
  std::vector<Violation> violations_;
  std::uint64_t violation_count_ = 0;
  std::uint64_t checks_ = 0;
};

}  // namespace simrun::cli
