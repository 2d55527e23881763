#pragma once
// One Raft group as a node runs it: the raft::Raft object, its durable
// storage on the node's simulated disk, and the driver loop fiber that ticks
// it and handles every Ready according to BrokerConfig (mechanisms 1-7 of
// the field report). The node runtime (broker/node.h) owns one RaftGroup per
// group it hosts and routes peer messages to it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/config.h"
#include "broker/transport.h"
#include "raft/raft.h"
#include "sim/env.h"

namespace simrun::broker {

// The application state machine a group drives (the __meta state or a
// partition log). Called in commit order from the group's apply path.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // A non-empty committed entry. Returns false when the entry cannot be
  // decoded (the caller counts and traces a deserialization error).
  virtual bool apply(const raft::Entry& entry) = 0;
  // Appends the image to `out`, which may already hold the snapshot file's
  // header: the image is written once, where the file keeps it (issue 12).
  virtual void snapshot_into(raft::Bytes& out) const = 0;
  raft::Bytes snapshot() const {
    raft::Bytes image;
    snapshot_into(image);
    return image;
  }
  virtual void restore(const raft::Bytes& image) = 0;
};

struct GroupSpec {
  std::string name;                  // "__meta" or "<topic>/<partition>"
  std::vector<raft::NodeId> voters;  // replica node ids (1-based)
};

enum class ProposeError : std::uint8_t {
  none,
  not_leader,      // this node is not the leader (see leader hint)
  leader_changed,  // lost leadership / a different entry committed there
  timeout,
  stopped,
};

struct ProposeOutcome {
  ProposeError error = ProposeError::none;
  raft::Term term = 0;
  raft::Index index = 0;
  raft::NodeId leader_hint = raft::kNoNode;
};

// Counters for tests and diagnostics; metrics come from trace records.
struct GroupStats {
  std::uint64_t ticks = 0;           // raft.tick() calls
  std::uint64_t ticks_skipped = 0;   // missed ticks dropped (MissedTicks::skip)
  std::uint64_t max_tick_burst = 0;  // longest run of back-to-back late ticks
  std::uint64_t readies = 0;
  std::uint64_t fsyncs = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t early_messages_sent = 0;  // pipelined: taken early, not through a Ready
  std::uint64_t inbox_dropped = 0;        // deliver() into a full mailbox
  std::uint64_t applied = 0;              // entries applied (empty ones included)
  std::uint64_t deser_errors = 0;         // StateMachine::apply returned false
  std::uint64_t snapshots_taken = 0;      // local compactions
  std::uint64_t snapshots_installed = 0;
  sim::duration_ns max_ready_ns = 0;  // longest Ready handling (local time)
};

class RaftGroup {
 public:
  // Messages leave through `transport` (shared by the node's groups);
  // `env`, `config`, `state_machine` and `transport` must outlive the group.
  RaftGroup(sim::Env& env, raft::NodeId self, GroupSpec spec, const BrokerConfig& config,
            StateMachine& state_machine, Transport& transport);
  ~RaftGroup();

  // Loads durable state from the disk and spawns the driver (and, in
  // pipelined mode, persist and apply) fibers.
  void start();
  // A peer's message for this group (called from the node's dispatcher fiber).
  void deliver(raft::Message message);
  // Proposes `data` and blocks the calling fiber until the entry is applied
  // (success), leadership is lost, or `timeout` passes. With
  // BrokerConfig::pending_keyed_by_term (the default) every pending
  // proposal fails with leader_changed as soon as this node stops being
  // leader (the entry may still commit later). With it false (legacy)
  // completion is keyed by index only: a proposal waits through a step-down
  // and another entry applied at that index "succeeds".
  ProposeOutcome propose_and_wait(raft::Bytes data, sim::duration_ns timeout);
  // Proposes without waiting (acks=0/1 paths, high-watermark updates).
  ProposeOutcome propose(raft::Bytes data);

  const std::string& name() const;
  bool is_leader() const;
  raft::NodeId leader() const;
  raft::Term term() const;
  const raft::Raft& raft() const;
  const GroupStats& stats() const;
  // Highest index applied to the state machine with everything below it.
  raft::Index applied_index() const;
  // GroupStorage::durable_snapshot_index: where a restart now would resume
  // applying (the next index), nullopt while the snapshot file has an
  // unsynced change. For the safety checker's restart floor (issue 12).
  std::optional<raft::Index> durable_snapshot_index() const;
  // This node leads and has applied an entry of its own term, so its state
  // machine holds everything committed before its term. A new leader learns
  // what is committed only by committing an entry of its own term (Raft
  // section 8); until it has applied one, a read of its state machine may
  // be older than what an earlier leader already answered.
  bool serves_reads() const;
  // Leadership transfer (Raft thesis 3.10), for a controlled shutdown. The
  // follower a leader hands over to: the most caught-up by match index,
  // ties to the lowest node id (a deterministic choice); nullopt when this
  // node does not lead or is the group's only voter.
  std::optional<raft::ProgressView> transfer_candidate() const;
  // Asks the core to hand leadership to `to` (it sends TimeoutNow once `to`
  // has the whole log, appends until then); the driver is woken to send.
  void transfer_leadership(raft::NodeId to);
  // Called (from the driver fiber) whenever this node's role or term changes.
  // The callback must not block (it would stall the driver loop): spawn a
  // fiber for slow work such as a metadata sync.
  void on_role_change(std::function<void(raft::Role role, raft::Term term)> callback);

 private:
  struct Impl;
  // Shared with the group's fibers, which may outlive this object briefly
  // (they are unwound or see `stopped` and leave).
  std::shared_ptr<Impl> impl_;
};

}  // namespace simrun::broker
