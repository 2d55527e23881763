#pragma once
// The always-on checkers: one enum and one table of their names. A violation
// is reported as "checker:<name>" among a run's failed checks; the scenario
// loader offers these names to `expect.legacy.fails`, and checkers_test.cpp
// (tools/simrun) checks that scenarios/README.md documents each.
//
// Adding a checker: one enumerator in Checker, one row in kCheckers (same
// order), its violations built with checker_name(Checker::x), and a line in
// scenarios/README.md ("Checkers (always on)").

#include <array>
#include <string_view>

namespace simrun::sim {

enum class Checker {
  election_safety,
  state_machine_safety,
  apply_order,
  leader_completeness,
  committed_prefix,
  log_matching,
  commit_own_term,
  acked_records,
  consumer_offsets,
  high_watermark,
  stale_leader,
  meta_assignment,
  replica_liveness,
  message_rate,
};

struct CheckerInfo {
  Checker checker;
  std::string_view name;
  std::string_view summary;
};

inline constexpr std::array kCheckers = {
    CheckerInfo{Checker::election_safety, "election_safety",
                "at most one leader per term per group (Raft 5.2)"},
    CheckerInfo{Checker::state_machine_safety, "state_machine_safety",
                "no two nodes apply different entries at one index (Raft 5.4.3)"},
    CheckerInfo{Checker::apply_order, "apply_order",
                "each node applies indexes in order, without gaps or repeats"},
    CheckerInfo{Checker::leader_completeness, "leader_completeness",
                "a leader holds every entry committed before its term (Raft 5.4.1)"},
    CheckerInfo{Checker::committed_prefix, "committed_prefix",
                "a committed entry is never truncated or overwritten"},
    CheckerInfo{Checker::log_matching, "log_matching",
                "logs agreeing on (index, term) agree on every entry before (Raft 5.3)"},
    CheckerInfo{Checker::commit_own_term, "commit_own_term",
                "a leader commits only onto an entry of its own term (Raft 5.4.2, Figure 8)"},
    CheckerInfo{Checker::acked_records, "acked_records",
                "every acknowledged produce is in the partition's log (and consumed)"},
    CheckerInfo{Checker::consumer_offsets, "consumer_offsets",
                "a consumer group's committed offsets only grow"},
    CheckerInfo{Checker::high_watermark, "high_watermark",
                "a partition's high watermark as a consumer sees it never goes backwards"},
    CheckerInfo{Checker::stale_leader, "stale_leader",
                "no node stays leader long while a majority of its group is in a higher term"},
    CheckerInfo{Checker::meta_assignment, "meta_assignment",
                "at the end of a settled run __meta names each partition's real leader and term"},
    CheckerInfo{Checker::replica_liveness, "replica_liveness",
                "every live replica catches up within the liveness bound after the last fault"},
    CheckerInfo{Checker::message_rate, "message_rate",
                "no per-link Raft message rate climbs 5 s in a row to 2000/s (a runaway loop)"},
};

constexpr std::string_view checker_name(Checker checker) {
  // The table is in enum order (static_assert below keeps it so).
  return kCheckers[static_cast<std::size_t>(checker)].name;
}

constexpr bool checkers_in_enum_order() {
  for (std::size_t i = 0; i < kCheckers.size(); ++i) {
    if (static_cast<std::size_t>(kCheckers[i].checker) != i) return false;
  }
  return true;
}
static_assert(checkers_in_enum_order(), "kCheckers rows must follow the Checker enum order");

}  // namespace simrun::sim
