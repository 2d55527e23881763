#include "sim/safety_checker.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "sim/assert.h"

namespace simrun::sim {
namespace {

constexpr std::uint64_t kNoTermBound = std::numeric_limits<std::uint64_t>::max();

std::string describe(LogEntryId entry) {
  return "(term " + std::to_string(entry.term) + ", hash " + std::to_string(entry.hash) + ")";
}

// The checkers this class runs: the first rows of the one table
// (sim/checkers.h), indexed like SafetyChecker::Check.
constexpr std::string_view kCheckerNames[] = {
    checker_name(Checker::election_safety),  checker_name(Checker::state_machine_safety),
    checker_name(Checker::apply_order),      checker_name(Checker::leader_completeness),
    checker_name(Checker::committed_prefix), checker_name(Checker::log_matching),
    checker_name(Checker::commit_own_term),
};

}  // namespace

bool same_entry(LogEntryId left, LogEntryId right) {
  if (left.term != right.term) return false;
  return left.hash == kUnknownHash || right.hash == kUnknownHash || left.hash == right.hash;
}

std::span<const std::string_view> SafetyChecker::checker_names() { return kCheckerNames; }

std::map<std::string, std::uint64_t> SafetyChecker::checks() const {
  static_assert(std::size(kCheckerNames) == kCheckCount, "one name per check");
  std::map<std::string, std::uint64_t> result;
  for (std::size_t i = 0; i < kCheckCount; ++i) result[std::string(kCheckerNames[i])] = checks_[i];
  return result;
}

SafetyChecker::SafetyChecker() : SafetyChecker(Options{}) {}

SafetyChecker::SafetyChecker(Options options) : options_(options) {
  SIMRUN_ASSERT(options_.max_terms_per_group > 0, "term table needs room for one term");
  SIMRUN_ASSERT(options_.max_committed_per_group > 0, "committed table needs room");
}

SafetyChecker::Group& SafetyChecker::group(std::string_view name) {
  const NameIndex::Id id = group_ids_.intern(name);
  if (id == groups_.size()) groups_.emplace_back();
  return groups_[id];
}

const SafetyChecker::Group* SafetyChecker::find_group(std::string_view name) const {
  const NameIndex::Id id = group_ids_.find(name);
  return id == NameIndex::kAbsent ? nullptr : &groups_[id];
}

void SafetyChecker::set_members(std::string_view group_name, std::vector<std::uint32_t> nodes) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  Group& g = group(group_name);
  g.members = std::move(nodes);
  maybe_forget(group_name, g);
}

void SafetyChecker::observe_leader(std::string_view group_name, std::uint32_t node,
                                   std::uint64_t term) {
  Group& g = group(group_name);
  ++checks_[kElectionSafety];
  auto [it, inserted] = g.leader_by_term.emplace(term, node);
  if (!inserted && it->second != node) {
    violation(Checker::election_safety, group_name, {it->second, node},
              "two leaders in term " + std::to_string(term) + ": node " +
                  std::to_string(it->second) + " and node " + std::to_string(node));
  }
  // Old terms are the least likely to be reported again; drop them first.
  while (g.leader_by_term.size() > options_.max_terms_per_group) {
    g.leader_by_term.erase(g.leader_by_term.begin());
  }
}

void SafetyChecker::record_committed(std::string_view group_name, Group& g, std::uint32_t node,
                                     std::uint64_t index, LogEntryId entry,
                                     std::uint64_t term_bound, const char* what) {
  SIMRUN_ASSERT(index > 0, "Raft log indexes start at 1");
  if (index < g.forgotten_below) return;  // below the watermark: everyone applied it
  const auto inserted = g.committed.emplace(index, CommittedEntry{entry, term_bound, node});
  if (inserted.second) {
    // Bound memory even when no watermark is ever reached (a member that
    // never applies): forget the oldest, which every check touches least.
    while (g.committed.size() > options_.max_committed_per_group) {
      g.forgotten_below = g.committed.first_index() + 1;
      g.committed.erase_below(g.forgotten_below);
    }
    return;
  }
  CommittedEntry& known = *inserted.first;
  ++checks_[kStateMachineSafety];
  if (!same_entry(known.entry, entry)) {
    violation(Checker::state_machine_safety, group_name, {known.first_node, node},
              std::string("node ") + std::to_string(node) + " " + what + " " + describe(entry) +
                  " at index " + std::to_string(index) + " but node " +
                  std::to_string(known.first_node) + " reported " + describe(known.entry));
    return;
  }
  if (known.entry.hash == kUnknownHash) known.entry.hash = entry.hash;
  known.commit_term_bound = std::min(known.commit_term_bound, term_bound);
}

void SafetyChecker::observe_commit(std::string_view group_name, std::uint32_t node,
                                   std::uint64_t index, LogEntryId entry, std::uint64_t node_term) {
  Group& g = group(group_name);
  // A node that lost its term in a crash (a legacy fault mode) can report a
  // term below its entries'; the entry's own term is a lower bound anyway.
  record_committed(group_name, g, node, index, entry, std::max(node_term, entry.term), "committed");
}

void SafetyChecker::observe_apply(std::string_view group_name, std::uint32_t node,
                                  std::uint64_t index, LogEntryId entry) {
  Group& g = group(group_name);
  NodeState& state = g.nodes[node];
  if (state.applied_known) ++checks_[kApplyOrder];
  if (state.applied_known && index != state.applied + 1) {
    violation(Checker::apply_order, group_name, {node},
              "node " + std::to_string(node) + " applied index " + std::to_string(index) +
                  " after index " + std::to_string(state.applied));
  }
  state.applied = index;
  state.applied_known = true;
  record_committed(group_name, g, node, index, entry, kNoTermBound, "applied");
  maybe_forget(group_name, g);
}

void SafetyChecker::observe_snapshot_restore(std::string_view group_name, std::uint32_t node,
                                             std::uint64_t index, std::uint64_t term) {
  Group& g = group(group_name);
  const CommittedEntry* known = g.committed.find(index);
  if (known != nullptr) ++checks_[kStateMachineSafety];
  if (known != nullptr && known->entry.term != term) {
    violation(Checker::state_machine_safety, group_name, {known->first_node, node},
              "node " + std::to_string(node) + " restored a snapshot ending at index " +
                  std::to_string(index) + " term " + std::to_string(term) + " but node " +
                  std::to_string(known->first_node) + " committed " + describe(known->entry) +
                  " there");
  }
  NodeState& state = g.nodes[node];
  state.applied = index;
  state.applied_known = true;
  maybe_forget(group_name, g);
}

void SafetyChecker::observe_restart(std::string_view group_name, std::uint32_t node,
                                    std::uint64_t applied_index) {
  Group& g = group(group_name);
  NodeState& state = g.nodes[node];
  state.applied = applied_index;
  state.applied_known = true;
}

void SafetyChecker::check_leader_log(std::string_view group_name, std::uint64_t term,
                                     const LogView& view) {
  SIMRUN_ASSERT(static_cast<bool>(view.entry), "a log view needs an entry lookup");
  Group& g = group(group_name);
  // Entries compacted into the leader's snapshot are not checked.
  for (std::uint64_t index = std::max(view.first_index, g.committed.first_index());
       index < g.committed.end_index(); ++index) {
    const CommittedEntry* found = g.committed.find(index);
    if (found == nullptr) continue;
    const CommittedEntry& known = *found;
    // Only entries committed in an earlier term must be present: a leader
    // of term T may legitimately lack an entry that a later leader commits.
    if (known.commit_term_bound >= term) continue;
    ++checks_[kLeaderCompleteness];
    if (index > view.last_index) {
      violation(Checker::leader_completeness, group_name, {view.node, known.first_node},
                "leader " + std::to_string(view.node) + " of term " + std::to_string(term) +
                    " lacks index " + std::to_string(index) + " " + describe(known.entry) +
                    ", committed in term <= " + std::to_string(known.commit_term_bound) +
                    " (its log ends at " + std::to_string(view.last_index) + ")");
      return;  // every later index is missing too; one report is enough
    }
    LogEntryId held = view.entry(index);
    if (!same_entry(held, known.entry)) {
      violation(Checker::leader_completeness, group_name, {view.node, known.first_node},
                "leader " + std::to_string(view.node) + " of term " + std::to_string(term) +
                    " holds " + describe(held) + " at index " + std::to_string(index) + " where " +
                    describe(known.entry) +
                    " was committed in term <= " + std::to_string(known.commit_term_bound));
      return;
    }
  }
}

void SafetyChecker::check_logs(std::string_view group_name, std::span<const LogView> views) {
  Group& g = group(group_name);
  for (const LogView& view : views) {
    SIMRUN_ASSERT(static_cast<bool>(view.entry), "a log view needs an entry lookup");
    // The committed prefix of each log must equal what was committed.
    std::uint64_t low = std::max(view.first_index, g.forgotten_below);
    std::uint64_t high = std::min(view.last_index, view.commit_index);
    for (std::uint64_t index = std::max(low, g.committed.first_index());
         index < g.committed.end_index() && index <= high; ++index) {
      const CommittedEntry* known = g.committed.find(index);
      if (known == nullptr) continue;
      LogEntryId held = view.entry(index);
      ++checks_[kCommittedPrefix];
      if (!same_entry(held, known->entry)) {
        violation(Checker::committed_prefix, group_name, {view.node, known->first_node},
                  "node " + std::to_string(view.node) + " holds " + describe(held) +
                      " at committed index " + std::to_string(index) + " but " +
                      describe(known->entry) + " was committed there");
        break;
      }
    }
  }
  // Log matching (5.3): below the highest index where two logs agree on the
  // term, they must agree on everything.
  for (std::size_t a = 0; a < views.size(); ++a) {
    for (std::size_t b = a + 1; b < views.size(); ++b) {
      const LogView& left = views[a];
      const LogView& right = views[b];
      std::uint64_t low = std::max(left.first_index, right.first_index);
      std::uint64_t high = std::min(left.last_index, right.last_index);
      bool matched = false;
      for (std::uint64_t index = high; index >= low && index > 0; --index) {
        LogEntryId l = left.entry(index);
        LogEntryId r = right.entry(index);
        ++checks_[kLogMatching];
        if (!matched && l.term == r.term) matched = true;
        if (matched && !same_entry(l, r)) {
          violation(Checker::log_matching, group_name, {left.node, right.node},
                    "nodes " + std::to_string(left.node) + " and " + std::to_string(right.node) +
                        " agree on a term at or above index " + std::to_string(index) +
                        " but differ there: " + describe(l) + " vs " + describe(r));
          break;
        }
      }
    }
  }
}

void SafetyChecker::check_commit_term(std::string_view group_name, std::uint32_t node,
                                      std::uint64_t leader_term, std::uint64_t index,
                                      std::uint64_t entry_term) {
  ++checks_[kCommitOwnTerm];
  if (entry_term == leader_term) return;
  violation(Checker::commit_own_term, group_name, {node},
            "leader " + std::to_string(node) + " of term " + std::to_string(leader_term) +
                " committed through index " + std::to_string(index) + ", an entry of term " +
                std::to_string(entry_term) +
                " (a leader commits only an entry of its own term, 5.4.2)");
}

void SafetyChecker::forget_below(std::string_view group_name, std::uint64_t index) {
  Group& g = group(group_name);
  if (index <= g.forgotten_below) return;
  g.forgotten_below = index;
  g.committed.erase_below(index);
}

void SafetyChecker::maybe_forget(std::string_view group_name, Group& g) {
  if (g.members.empty()) return;
  std::uint64_t lowest_applied = kNoTermBound;
  for (std::uint32_t member : g.members) {
    auto it = g.nodes.find(member);
    if (it == g.nodes.end() || !it->second.applied_known) return;
    lowest_applied = std::min(lowest_applied, it->second.applied);
  }
  forget_below(group_name, lowest_applied + 1);
}

std::size_t SafetyChecker::remembered_committed(std::string_view group_name) const {
  const Group* g = find_group(group_name);
  return g == nullptr ? 0 : g->committed.size();
}

std::uint64_t SafetyChecker::forgotten_below(std::string_view group_name) const {
  const Group* g = find_group(group_name);
  return g == nullptr ? 1 : g->forgotten_below;
}

void SafetyChecker::violation(Checker checker, std::string_view group_name,
                              std::vector<std::uint32_t> nodes, std::string detail) {
  ++violation_count_;
  SafetyViolation record{std::string(checker_name(checker)), now_ns_, std::string(group_name),
                         std::move(nodes), std::move(detail)};
  if (handler_) handler_(record);
  if (violations_.size() < options_.max_violations) violations_.push_back(std::move(record));
}

std::string SafetyChecker::report() const {
  std::string out;
  for (const SafetyViolation& v : violations_) {
    out += "[" + v.checker + "] t=" + std::to_string(v.time) + "ns group=" + v.group + " nodes=";
    for (std::size_t i = 0; i < v.nodes.size(); ++i) {
      if (i > 0) out += ",";
      out += std::to_string(v.nodes[i]);
    }
    out += ": " + v.detail + "\n";
  }
  if (violation_count_ > violations_.size()) {
    // Appended piecewise: gcc 12 warns (-Wrestrict, falsely) on "(" + to_string(...).
    out += '(';
    out += std::to_string(violation_count_ - violations_.size());
    out += " more not kept)\n";
  }
  return out;
}

}  // namespace simrun::sim
