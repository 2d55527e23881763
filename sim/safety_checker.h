#pragma once
// Cross-node Raft safety checker (Raft paper, Figure 3), kept outside the
// nodes: it sees only what the nodes report and compares them with each
// other. It knows nothing about raft/ types; it is fed plain integers (node
// ids, terms, indexes, a 64-bit hash of each entry's payload) so that the
// scenario runner can feed it from trace records and the raft property test
// can feed it directly.
//
// Properties checked:
//  - election safety: at most one leader per term per group (5.2);
//  - state machine safety: no two nodes commit or apply a different entry
//    (term or payload hash) at one index (5.4.3), and every node applies
//    indexes in order without gaps;
//  - log matching (5.3): two logs holding an entry with the same index and
//    term hold identical entries up to that index; and no node's committed
//    prefix differs from what was committed;
//  - leader completeness (5.4): a leader of term T holds every entry that was
//    committed in a term below T.
//
// Memory is bounded: committed entries below a watermark that every member
// applied are forgotten (set_members + observe_apply do it automatically;
// forget_below does it by hand; simrun calls it with each group's restart
// floor, below which no node can apply or restore again, issue 12:
// tools/simrun/restart_floor.h), the per-group term table is capped, and at
// most Options::max_violations records are kept (all are counted).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/checkers.h"
#include "sim/committed_table.h"
#include "sim/name_index.h"
#include "sim/time.h"

namespace simrun::sim {

struct SafetyViolation {
  std::string checker;  // checker_name(): "election_safety", ... (sim/checkers.h)
  time_ns time = 0;     // simulated time of the observation that revealed it
  std::string group;
  std::vector<std::uint32_t> nodes;
  std::string detail;
};

// LogEntryId and kUnknownHash: sim/committed_table.h.
bool same_entry(LogEntryId left, LogEntryId right);

// A read-only view of one node's log for the log-based checks. `entry` is
// called only for indexes in [first_index, last_index]; an empty log has
// last_index < first_index. Entries below first_index are compacted into a
// snapshot (which holds only committed entries, so they are not checked).
struct LogView {
  std::uint32_t node = 0;
  std::uint64_t first_index = 1;
  std::uint64_t last_index = 0;
  std::uint64_t commit_index = 0;  // the node's own commit index
  std::function<LogEntryId(std::uint64_t index)> entry;
};

class SafetyChecker {
 public:
  struct Options {
    std::size_t max_violations = 64;                 // records kept; all are counted
    std::size_t max_terms_per_group = 1u << 16;      // election-safety table cap
    std::size_t max_committed_per_group = 1u << 20;  // hard cap on remembered entries
  };
  using ViolationHandler = std::function<void(const SafetyViolation&)>;

  SafetyChecker();
  explicit SafetyChecker(Options options);

  // Timestamp for the violations reported by the next observations.
  void set_time(time_ns now) { now_ns_ = now; }
  // Called on every violation as it is found (e.g. to fail a test at once).
  void set_violation_handler(ViolationHandler handler) { handler_ = std::move(handler); }

  // The nodes of a group. When set, committed entries below the lowest index
  // all members applied are forgotten automatically.
  void set_members(std::string_view group, std::vector<std::uint32_t> nodes);

  // `node` became (or is) leader of `term`. Repeated reports are fine.
  void observe_leader(std::string_view group, std::uint32_t node, std::uint64_t term);

  // `node`, whose current term is `node_term`, learned that (index, entry)
  // is committed. The committing leader's term is at most node_term: a node
  // learns a commit only from a message of that leader or a later one. The
  // lowest node_term seen bounds the term the entry was committed in, which
  // is what leader completeness needs.
  void observe_commit(std::string_view group, std::uint32_t node, std::uint64_t index,
                      LogEntryId entry, std::uint64_t node_term);

  // `node` applied (index, entry) to its state machine. Must follow the
  // node's previous apply (or restore) at index - 1.
  void observe_apply(std::string_view group, std::uint32_t node, std::uint64_t index,
                     LogEntryId entry);

  // `node` restored a snapshot covering everything up to (index, term):
  // its next apply is index + 1.
  void observe_snapshot_restore(std::string_view group, std::uint32_t node, std::uint64_t index,
                                std::uint64_t term);

  // `node` restarted and will apply from applied_index + 1 on (its volatile
  // apply position is gone; what it recovered decides where it resumes).
  void observe_restart(std::string_view group, std::uint32_t node, std::uint64_t applied_index);

  // Leader completeness: `view` is the log of a current leader of `term`.
  // Every remembered committed entry whose commit term is below `term` must
  // be in it (or compacted below view.first_index).
  void check_leader_log(std::string_view group, std::uint64_t term, const LogView& view);

  // Log matching across all given logs, plus each log's committed prefix
  // (indexes <= its commit_index) against the remembered committed entries.
  void check_logs(std::string_view group, std::span<const LogView> views);

  // Figure 8 (5.4.2): a leader of `leader_term` moved its commit index onto
  // `index`, where its log holds an entry of `entry_term`. A leader commits
  // only by counting replicas of an entry of its own term.
  void check_commit_term(std::string_view group, std::uint32_t node, std::uint64_t leader_term,
                         std::uint64_t index, std::uint64_t entry_term);

  // Forget remembered committed entries below `index` (every node has
  // applied them, so no later report can disagree at those indexes).
  void forget_below(std::string_view group, std::uint64_t index);

  bool ok() const { return violation_count_ == 0; }
  std::uint64_t violation_count() const { return violation_count_; }
  const std::vector<SafetyViolation>& violations() const { return violations_; }
  // How many comparisons each checker made, by checker name (a checker that
  // sat idle shows 0): one per leader report, per entry compared, per pair
  // of log positions compared.
  std::map<std::string, std::uint64_t> checks() const;
  // Every checker name this class can report, in a fixed order.
  static std::span<const std::string_view> checker_names();
  // Human-readable list of the kept violations, one per line.
  std::string report() const;

  // Introspection for tests and metrics.
  std::size_t remembered_committed(std::string_view group) const;
  std::uint64_t forgotten_below(std::string_view group) const;

 private:
  struct NodeState {
    std::uint64_t applied = 0;
    bool applied_known = false;  // false until a first apply/restore/restart
  };
  struct Group {
    std::map<std::uint64_t, std::uint32_t> leader_by_term;
    CommittedTable committed;  // index -> entry
    std::map<std::uint32_t, NodeState> nodes;
    std::vector<std::uint32_t> members;
    std::uint64_t forgotten_below = 1;  // indexes below this are no longer checked
  };

  Group& group(std::string_view name);
  const Group* find_group(std::string_view name) const;
  void record_committed(std::string_view group_name, Group& g, std::uint32_t node,
                        std::uint64_t index, LogEntryId entry, std::uint64_t term_bound,
                        const char* what);
  void maybe_forget(std::string_view group_name, Group& g);
  void violation(Checker checker, std::string_view group, std::vector<std::uint32_t> nodes,
                 std::string detail);

  Options options_;
  time_ns now_ns_ = 0;
  ViolationHandler handler_;
  // By group id (issue 12: a name lookup per observation, cheaper than a
  // map keyed by the name); a deque keeps references stable.
  NameIndex group_ids_;
  std::deque<Group> groups_;
  std::vector<SafetyViolation> violations_;
  std::uint64_t violation_count_ = 0;
  // Indexed like checker_names().
  // Same order as the first rows of kCheckers (sim/checkers.h).
  enum Check : std::uint8_t {
    kElectionSafety = static_cast<std::uint8_t>(Checker::election_safety),
    kStateMachineSafety = static_cast<std::uint8_t>(Checker::state_machine_safety),
    kApplyOrder = static_cast<std::uint8_t>(Checker::apply_order),
    kLeaderCompleteness = static_cast<std::uint8_t>(Checker::leader_completeness),
    kCommittedPrefix = static_cast<std::uint8_t>(Checker::committed_prefix),
    kLogMatching = static_cast<std::uint8_t>(Checker::log_matching),
    kCommitOwnTerm = static_cast<std::uint8_t>(Checker::commit_own_term),
    kCheckCount,
  };
  std::uint64_t checks_[kCheckCount] = {};
};

}  // namespace simrun::sim
