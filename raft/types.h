#pragma once
// Plain data types of the Raft core. No behaviour, no dependencies: the
// broker encodes these onto the simulated network and disk, the checkers in
// sim/ read them, and raft/raft.h moves them between the two.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace simrun::raft {

using NodeId = std::uint32_t;
using Term = std::uint64_t;
using Index = std::uint64_t;
using Bytes = std::vector<std::uint8_t>;

// Node ids start at 1; 0 means "nobody" (no vote cast, no leader known).
inline constexpr NodeId kNoNode = 0;

// A log entry. An entry with empty data is the no-op a new leader appends at
// the start of its term (section 5.4.2 / Figure 8); applications must not
// decode it as a command.
struct Entry {
  Term term = 0;
  Index index = 0;
  Bytes data;
  bool operator==(const Entry&) const = default;
};

// What must survive a crash besides the log (Figure 2, "persistent state").
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;
  bool operator==(const HardState&) const = default;
};

struct SnapshotMeta {
  Index index = 0;  // last index the snapshot covers
  Term term = 0;    // term of that entry
  std::vector<NodeId> voters;
  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  Bytes data;  // the application's state machine image, opaque to Raft
  bool operator==(const Snapshot&) const = default;
};

enum class Role : std::uint8_t { follower, pre_candidate, candidate, leader };

enum class MessageType : std::uint8_t {
  pre_vote_request,
  pre_vote_response,
  vote_request,
  vote_response,
  append,  // AppendEntries with entries (may be empty for a probe)
  append_response,
  heartbeat,  // carries commit only; keeps followers from campaigning
  heartbeat_response,
  snapshot,     // InstallSnapshot, whole image in one message
  timeout_now,  // leader transfer: "campaign now, skip pre-vote"
};

struct Message {
  MessageType type = MessageType::heartbeat;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  // append: index/log_term of the entry preceding `entries`.
  // vote requests: index/log_term of the candidate's last entry.
  // append_response: the index the follower matched (accept) or was asked (reject).
  Index index = 0;
  Term log_term = 0;
  std::vector<Entry> entries;
  Index commit = 0;
  bool reject = false;
  // On a rejected append: the follower's hint for the leader's next probe
  // (fast back-off, thesis 5.3 footnote): last index that might match, and
  // the term of the follower's entry there.
  Index reject_hint = 0;
  Term hint_term = 0;
  std::optional<Snapshot> snapshot;
  // vote_request sent because the leader asked this node to take over
  // (timeout_now, thesis 3.10): voters skip the leader-lease check for it.
  bool leader_transfer = false;
  // append_response / heartbeat_response from a node repairing damaged
  // storage (RestoredState::needs_repair): a last index below what it
  // acknowledged is real loss, not a late answer, so the leader re-probes.
  bool repairing = false;
  bool operator==(const Message&) const = default;
};

const char* to_string(MessageType type);
const char* to_string(Role role);

}  // namespace simrun::raft
