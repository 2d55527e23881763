#pragma once
// After the cluster settles (the liveness window after the last fault),
// every partition's leader and epoch published in __meta must match the
// real Raft leader of the partition's group and its term (field report,
// mechanism 5: a deposed leader's late assignment write must not win).
// Checked once at the end of a run with a liveness section.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/simrun/data_checker.h"

namespace simrun::cli {

struct LeaderAndTerm {
  std::uint32_t node = 0;  // 0: none
  std::uint64_t term = 0;
};

// `published`: per partition group ("topic/p"), __meta's leader and epoch
// as the __meta leader holds them; `actual`: the live Raft leader of each
// partition group and its term (groups without one are not checked).
// Returns one violation per partition that disagrees; `checks` counts the
// partitions compared.
std::vector<Violation> check_meta_assignments(const std::map<std::string, LeaderAndTerm>& published,
                                              const std::map<std::string, LeaderAndTerm>& actual,
                                              std::int64_t time_ms, std::uint64_t& checks);

}  // namespace simrun::cli
