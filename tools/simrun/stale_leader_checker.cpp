#include "tools/simrun/stale_leader_checker.h"

#include <fmt/format.h>

#include "broker/events.h"
#include "sim/assert.h"
#include "sim/checkers.h"
#include "sim/trace_kinds.h"

namespace simrun::cli {

namespace {

namespace events = broker::events;
constexpr std::size_t kMaxViolationsKept = 64;

}  // namespace

void StaleLeaderChecker::set_bound(const std::string& group, sim::duration_ns bound) {
  SIMRUN_ASSERT(bound > 0, "a stale-leader bound is a positive time");
  SIMRUN_ASSERT(!group.empty(), "a bound belongs to a named group");
  groups_[group].bound = bound;
}

void StaleLeaderChecker::set_node_process(std::uint32_t node, std::int64_t process) {
  SIMRUN_ASSERT(node >= 1, "Raft node ids are 1-based");
  SIMRUN_ASSERT(process >= 0, "process ids are 0-based");
  node_of_process_[process] = node;
}

bool StaleLeaderChecker::halted(std::uint32_t node) const { return paused_.count(node) != 0; }

void StaleLeaderChecker::observe(const sim::TraceRecord& record, RecordKind kind) {
  if (kind == kind_of(sim::trace_kinds::kFault)) {
    const std::string_view type = record.text("type");
    if (type != "pause" && type != "resume") return;
    const auto it = node_of_process_.find(record.number("process"));
    if (it == node_of_process_.end()) return;
    if (type == "pause") {
      paused_.insert(it->second);
    } else {
      paused_.erase(it->second);
    }
    // A pause stops the clock of every leadership of the node; a resume
    // starts it again from now.
    for (auto& [name, group] : groups_) {
      auto replica = group.replicas.find(it->second);
      if (replica != group.replicas.end()) replica->second.stale_since = -1;
      evaluate(name, group, record.time);
    }
    return;
  }
  if (kind == kind_of(events::kNodeCrashed)) {
    const auto node = static_cast<std::uint32_t>(record.number("node"));
    for (auto& [name, group] : groups_) {
      auto replica = group.replicas.find(node);
      if (replica == group.replicas.end()) continue;
      replica->second.leader = false;  // a crashed node leads nothing
      replica->second.stale_since = -1;
    }
    return;
  }
  const bool loaded = kind == kind_of(events::kLogLoaded);
  const bool term_changed = kind == kind_of(events::kTermChanged);
  const bool role_changed = kind == kind_of(events::kRoleChanged);
  if (!loaded && !term_changed && !role_changed) return;
  const std::string_view group_name = record.text("group");
  auto it = groups_.find(group_name);
  if (it == groups_.end()) it = groups_.emplace(std::string(group_name), Group{}).first;
  Replica& replica = it->second.replicas[static_cast<std::uint32_t>(record.number("node"))];
  if (term_changed || role_changed) {
    replica.term = std::max(replica.term, static_cast<std::uint64_t>(record.number("term")));
  }
  if (role_changed) {
    const bool leader = record.text("role") == "leader";
    if (leader != replica.leader) {
      replica.leader = leader;
      replica.stale_since = -1;
      replica.reported = false;
    }
  }
  evaluate(it->first, it->second, record.time);
}

void StaleLeaderChecker::evaluate(const std::string& name, Group& group, sim::time_ns now) {
  if (group.bound <= 0) return;  // no bound given: not checked
  const std::size_t majority = group.replicas.size() / 2 + 1;
  for (auto& [node, replica] : group.replicas) {
    if (!replica.leader || replica.reported) continue;
    ++checks_;
    std::size_t ahead = 0;
    for (const auto& [other, state] : group.replicas) {
      if (state.term > replica.term) ++ahead;
    }
    if (ahead < majority || halted(node)) {
      replica.stale_since = -1;
      continue;
    }
    if (replica.stale_since < 0) replica.stale_since = now;
    if (now - replica.stale_since <= group.bound) continue;
    replica.reported = true;
    ++violation_count_;
    if (violations_.size() < kMaxViolationsKept) {
      violations_.push_back(Violation{
          std::string(sim::checker_name(sim::Checker::stale_leader)),
          now / sim::kNanosPerMilli,
          name,
          {node},
          fmt::format("node {} stayed leader of term {} for {} ms while {} of {} replicas were in "
                      "a higher term (bound {} ms)",
                      node, replica.term, (now - replica.stale_since) / sim::kNanosPerMilli, ahead,
                      group.replicas.size(), group.bound / sim::kNanosPerMilli)});
    }
  }
}

void StaleLeaderChecker::finish(sim::time_ns end) {
  for (auto& [name, group] : groups_) evaluate(name, group, end);
}

}  // namespace simrun::cli
