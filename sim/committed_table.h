#pragma once
// The safety checker's table of committed entries of one Raft group, by log
// index. Indexes are dense (a group commits 1, 2, 3, ...), so the table is
// a deque of fixed 40-byte slots (a 32-byte entry and its presence flag)
// from its lowest index instead of a std::map node per index (about 80
// bytes with the allocator's header): at production load the checker
// remembers hundreds of thousands of entries per run (issue 12). A slot can
// be empty when a lower index is reported after a higher one (a lagging
// node); lookups are O(1).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace simrun::sim {

// A payload hash of 0 means "not known": a log mirrored from trace records
// carries (index, term) pairs only. Two ids match when their terms are
// equal and, where both hashes are known, their hashes are too.
inline constexpr std::uint64_t kUnknownHash = 0;

// One log position as a node holds it.
struct LogEntryId {
  std::uint64_t term = 0;
  std::uint64_t hash = kUnknownHash;
  bool operator==(const LogEntryId&) const = default;
};

struct CommittedEntry {
  LogEntryId entry;
  std::uint64_t commit_term_bound = 0;  // lowest node_term seen; UINT64_MAX if only applied
  std::uint32_t first_node = 0;         // who reported it first
};

class CommittedTable {
 public:
  // The entry at `index`, or nullptr.
  CommittedEntry* find(std::uint64_t index);
  const CommittedEntry* find(std::uint64_t index) const;
  // Inserts `entry` at `index` unless one is there; returns the entry held
  // there and whether it was inserted.
  std::pair<CommittedEntry*, bool> emplace(std::uint64_t index, const CommittedEntry& entry);
  // Forgets every entry below `index`.
  void erase_below(std::uint64_t index);
  // Entries held (not counting empty slots).
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Lowest index held (call only when not empty) and one past the highest.
  std::uint64_t first_index() const { return first_index_; }
  std::uint64_t end_index() const { return first_index_ + slots_.size(); }

 private:
  struct Slot {
    CommittedEntry value;
    bool present = false;
  };
  void drop_leading_empty();
  std::deque<Slot> slots_;  // slots_[k] is index first_index_ + k
  std::uint64_t first_index_ = 0;
  std::size_t size_ = 0;
};

}  // namespace simrun::sim
