#include "tools/simrun/replica_liveness.h"

#include <algorithm>

#include "broker/events.h"
#include "sim/assert.h"
#include "sim/checkers.h"

namespace simrun::cli {

ReplicaLivenessChecker::ReplicaLivenessChecker(sim::time_ns heal, sim::time_ns deadline)
    : heal_(heal), deadline_(deadline) {
  SIMRUN_ASSERT(heal <= deadline, "the liveness deadline follows the heal");
}

void ReplicaLivenessChecker::freeze_targets() {
  frozen_ = true;
  targets_ = group_applied_max_;
  for (const auto& [replica, applied] : applied_since_start_) {
    if (applied >= targets_[replica.first]) caught_up_at_.emplace(replica, heal_);
  }
}

void ReplicaLivenessChecker::observe(const sim::TraceRecord& record, RecordKind kind) {
  if (finished_) return;
  if (!frozen_ && record.time >= heal_) freeze_targets();
  if (kind == kind_of(broker::events::kNodeCrashed)) {
    down_nodes_.insert(record.number("node"));
    return;
  }
  if (kind == kind_of(broker::events::kNodeStarted)) {
    const std::int64_t node = record.number("node");
    down_nodes_.erase(node);
    for (auto& [replica, applied] : applied_since_start_) {
      if (replica.second == node) applied = 0;
    }
    if (record.time <= deadline_) {
      for (auto& [replica, applied] : applied_by_deadline_) {
        if (replica.second == node) applied = 0;
      }
    }
    return;
  }
  if (kind != kind_of(broker::events::kApplied)) return;
  const Replica replica{std::string(record.text("group")), record.number("node")};
  const std::int64_t index = record.number("index");
  std::int64_t& applied = applied_since_start_[replica];
  applied = std::max(applied, index);
  if (record.time <= deadline_) {
    std::int64_t& by_deadline = applied_by_deadline_[replica];
    by_deadline = std::max(by_deadline, index);
  }
  std::int64_t& group_max = group_applied_max_[replica.first];
  group_max = std::max(group_max, index);
  if (frozen_ && record.time <= deadline_ && applied >= targets_[replica.first])
    caught_up_at_.emplace(replica, record.time);
}

void ReplicaLivenessChecker::finish() {
  SIMRUN_ASSERT(!finished_, "finish() runs once");
  if (!frozen_) freeze_targets();  // nothing happened after the heal
  finished_ = true;
  for (const auto& entry : applied_since_start_) {
    const Replica& replica = entry.first;
    if (down_nodes_.contains(replica.second)) continue;  // not live: nothing to ask
    ++replicas_checked_;
    if (caught_up_at_.contains(replica)) continue;
    const std::int64_t target = targets_[replica.first];
    const auto by_deadline = applied_by_deadline_.find(replica);
    const std::int64_t applied_then =
        by_deadline == applied_by_deadline_.end() ? 0 : by_deadline->second;
    violations_.push_back(Violation{
        std::string(sim::checker_name(sim::Checker::replica_liveness)),
        sim::to_millis(deadline_),
        replica.first,
        {static_cast<std::uint32_t>(replica.second)},
        "replica n" + std::to_string(replica.second) + " applied through " +
            std::to_string(applied_then) + " by the liveness deadline, short of index " +
            std::to_string(target) + " that its group had applied when the last fault ended"});
  }
}

}  // namespace simrun::cli
