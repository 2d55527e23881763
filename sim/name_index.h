#pragma once
// Dense ids for the names a checker keys its state by (Raft group names,
// "topic/partition"), in order of first use: 0, 1, 2, ...
//
// The checkers and metrics look up a group's state for almost every trace
// record; with one std::map keyed by the name per checker (some keyed by
// (name, node) pairs, some nested) those lookups, each a chain of memcmp
// calls, cost more than the checks themselves (issue 12). A name is resolved
// here with one probe of an open-addressed table (a hash of its length and
// first and last eight bytes, then the bytes compared), and the state lives
// in a vector indexed by the id.
//
// Ids depend only on the order in which names are first seen, never on
// addresses, so state kept by id is as deterministic as the records. A
// reader that must report in name order sorts the names (sorted_ids).

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace simrun::sim {

class NameIndex {
 public:
  using Id = std::uint32_t;
  static constexpr Id kAbsent = UINT32_MAX;
  // A bound like every other table's: far above any scenario's group count.
  static constexpr std::size_t kMaxNames = 1u << 20;

  NameIndex();

  // The id of `name`, adding it (the next id) when it is new.
  Id intern(std::string_view name);
  // The id of `name`, or kAbsent.
  Id find(std::string_view name) const;
  // The name of an id intern returned; the reference stays valid.
  const std::string& name(Id id) const;
  std::size_t size() const { return names_.size(); }
  // Every id, ordered by name (the order a std::map keyed by the name had).
  std::vector<Id> sorted_ids() const;

 private:
  std::size_t slot_of(std::string_view name) const;
  void grow();

  std::deque<std::string> names_;  // by id; a deque keeps references stable
  // Open addressing: id + 1, 0 for an empty slot; a power of two, at most
  // half full.
  std::vector<Id> slots_;
};

}  // namespace simrun::sim
