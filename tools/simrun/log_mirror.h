#pragma once
// A mirror of every node's Raft log as (index -> term), rebuilt from the
// broker's log records (broker/log_trace.h), so the cross-node checkers see
// follower logs and commit indexes without the nodes' payloads. Each mirror
// keeps at most kMaxEntriesPerLog of a log's newest entries: the checks look
// at the tail, where logs diverge, and memory stays bounded.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/name_index.h"
#include "sim/safety_checker.h"

namespace simrun::cli {

struct MirroredLog {
  std::uint64_t first_index = 1;    // index of terms.front()
  std::deque<std::uint64_t> terms;  // terms[i] is the term at first_index + i
  std::uint64_t commit_index = 0;   // the node's own, as last traced

  std::uint64_t last_index() const { return first_index + terms.size() - 1; }
  std::optional<std::uint64_t> term_at(std::uint64_t index) const;
};

class LogMirror {
 public:
  static constexpr std::size_t kMaxEntriesPerLog = 1024;

  // Entries [index, index + count) of `term` written, replacing any at
  // index or above.
  void append(std::string_view group, std::uint32_t node, std::uint64_t index, std::uint64_t count,
              std::uint64_t term);
  // The log now starts after (index, term).
  void install_snapshot(std::string_view group, std::uint32_t node, std::uint64_t index);
  // The node restarted with [first_index, last_index] (last of last_term)
  // recovered: unsynced entries past it are gone.
  void loaded(std::string_view group, std::uint32_t node, std::uint64_t first_index,
              std::uint64_t last_index, std::uint64_t last_term, std::uint64_t commit_index);
  // Returns the previous commit index.
  std::uint64_t set_commit(std::string_view group, std::uint32_t node, std::uint64_t commit_index);

  const MirroredLog* find(std::string_view group, std::uint32_t node) const;
  // The nodes of `group` with a mirrored log, ascending.
  std::vector<std::uint32_t> nodes(std::string_view group) const;
  // Every group with a mirrored log, ascending.
  std::vector<std::string> groups() const;
  // A view for the safety checker (payload hashes unknown); valid while the
  // mirror is not changed.
  sim::LogView view(std::string_view group, std::uint32_t node) const;

 private:
  MirroredLog& log(std::string_view group, std::uint32_t node);
  // node -> log, by group id (sim/name_index.h: cheaper than a map keyed by
  // the group name, issue 12).
  sim::NameIndex group_ids_;
  std::deque<std::map<std::uint32_t, MirroredLog>> logs_;
};

}  // namespace simrun::cli
