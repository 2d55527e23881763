#pragma once
// The Raft consensus core as a pure state machine (etcd-io/raft style).
//
// Inputs:  tick(), step(message), propose(data), transfer_leadership(to),
//          compact(index).
// Outputs: ready() -> Ready; the caller persists, sends and applies it, then
//          calls advance(ready).
//
// This object never reads a clock, a socket, a file or a global RNG, never
// blocks and never spawns. Time is counted in ticks; randomness (election
// jitter) comes from the injected Config::random_below.
//
// ## Persistence contract (what must be durable before which messages leave)
// For a Ready `rd`:
//  1. rd.snapshot (if any), rd.entries and rd.hard_state must be written to
//     stable storage before any message in rd.messages for which
//     `needs_durable_state(message)` is true is sent. When rd.must_sync is
//     true "written" means fsynced. This is what makes a vote or an
//     acknowledged append binding across a crash (Figure 2, "Updated on
//     stable storage before responding to RPCs").
//  2. Messages with needs_durable_state(m) == false (a leader's append,
//     heartbeat and snapshot messages, and pre-vote traffic) may be sent
//     before or while persisting (thesis 10.2.1): the leader counts its own
//     log toward the commit quorum only for entries acknowledged through
//     advance(), so sending early cannot commit an entry that is not durable
//     on a majority.
//  3. rd.committed_entries may be applied in any fiber, but in index order,
//     and only entries of one Ready after those of the previous one.
//  4. advance(rd) is called once all of rd has been persisted as above.
//     The node may call ready() again only after advance().
//  5. While a Ready is outstanding (between ready() and advance()) the node
//     may keep calling tick(), step() and propose(): whatever they produce
//     waits for the next Ready, except that take_early_messages() hands out
//     at once every queued message with needs_durable_state(m) == false
//     (rule 2), so that a slow fsync delays neither a leader's heartbeats
//     nor a follower's heartbeat responses (field report, mechanism 2).
//     Messages that need durable state stay queued: they may promise
//     something (a vote, an appended entry) that only the NEXT Ready
//     persists. State changed while a Ready is outstanding reaches storage
//     through that next Ready; advance(rd) marks durable only what rd held
//     (an entry replaced in between stays unstable), and the leader counts
//     its own log toward commit only through advance().
// The broker honours this contract by default and, under legacy knobs,
// breaks it on purpose (for example by not persisting term and vote).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "raft/probe.h"
#include "raft/types.h"

namespace simrun::raft {

struct Config {
  NodeId id = kNoNode;
  std::vector<NodeId> voters;  // all members including this node
  // A follower campaigns after a randomized timeout in
  // [election_ticks, 2 * election_ticks) ticks without hearing a leader.
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  bool pre_vote = true;      // thesis 9.6
  bool check_quorum = true;  // leader steps down without a quorum's contact
  // Bound on append messages in flight to one follower in replicate mode.
  std::size_t max_inflight_messages = 64;
  std::size_t max_entries_per_message = 64;
  // Issue 11. true: a node restored with damaged storage is repaired before
  // it votes (RestoredState::needs_repair), a leader re-probes a follower
  // whose log went backwards, and a rejection that cannot move the probe
  // waits for the next heartbeat. false (legacy, the behaviour before):
  // none of that; a follower below match is rejected and resent at once,
  // forever.
  bool protocol_aware_recovery = true;
  // Uniform integer in [0, bound). Injected so the simulator owns the
  // randomness (one stream per node); must not be empty.
  std::function<std::uint64_t(std::uint64_t bound)> random_below;
  // Coverage probes (raft/probe.h): called at rare paths; may be empty.
  std::function<void(Probe)> probe;
  // The snapshot the node's storage holds, with its image (raft-rs's
  // Storage::snapshot): asked when a follower needs entries compacted away,
  // so the core keeps only the metadata of a durable snapshot instead of a
  // second copy of the state machine (issue 12). It must return the
  // snapshot of the last compact() or of the last received snapshot made
  // durable through advance(), whichever is later. May be empty for a node
  // that never compacts nor receives a snapshot.
  std::function<Snapshot()> snapshot_source;
};

// What a node recovered from its disk at (re)start.
struct RestoredState {
  HardState hard_state;
  Snapshot snapshot;           // meta.index == 0 when there is none
  std::vector<Entry> entries;  // contiguous, starting at snapshot.meta.index + 1
  // Protocol-Aware Recovery (Alagappan et al., FAST 2018): the storage found
  // synced state damaged (a corrupt hard state, snapshot or log record, not
  // a torn unsynced tail). The node may have acknowledged entries or cast a
  // vote it no longer remembers, so until it is repaired from a leader it
  // neither votes nor campaigns. Repaired once a leader is known and the
  // node's durable log reaches both `repair_through` (the highest index the
  // storage saw evidence of) and the commit index of the leader's first
  // append or snapshot.
  bool needs_repair = false;
  Index repair_through = 0;
};

enum class ProgressState : std::uint8_t { probe, replicate, snapshot };

struct ProgressView {
  NodeId id = kNoNode;
  Index match = 0;
  Index next = 0;
  ProgressState state = ProgressState::probe;
  bool recently_active = false;
  std::size_t inflight = 0;
};

// Observability events, with reasons. Drained through Ready::events.
enum class EventKind : std::uint8_t {
  pre_vote_started,
  election_started,
  vote_granted,
  vote_rejected,
  became_leader,
  became_follower,
  stepped_down,   // leader or candidate lost its role
  log_truncated,  // conflicting suffix removed
  snapshot_installed,
  leader_transfer_started,
  // Protocol-Aware Recovery: this node's damaged storage caught up with the
  // leader (index: the repair target); it votes again from now on.
  storage_repaired,
  // Leader: a follower rejected an append with a last index below what it
  // had acknowledged (peer: the follower, index: its real last index); its
  // storage lost synced entries. Probing restarts from there.
  follower_log_regressed,
  // A leader moved its commit index to `index` (section 5.3); the checker
  // verifies the entry there is of the leader's own term (5.4.2, Figure 8).
  commit_advanced,
};

struct Event {
  EventKind kind = EventKind::election_started;
  Term term = 0;
  NodeId peer = kNoNode;  // voter, new leader, or transfer target
  Index index = 0;        // truncation point, snapshot index
  std::string reason;     // e.g. "higher term seen", "check-quorum lost",
                          // "log not up to date", "already voted"
};

const char* to_string(EventKind kind);

struct Ready {
  HardState hard_state;
  bool hard_state_changed = false;
  // To append to stable storage, replacing any stored entries at the same
  // or a higher index (a follower's conflicting suffix, section 5.3).
  std::vector<Entry> entries;
  // Received from the leader; persist it, drop the stored log up to it and
  // restore the state machine from it before applying committed_entries.
  // (Snapshots made by compact() are the application's own; they are not
  // echoed here.)
  std::optional<Snapshot> snapshot;
  std::vector<Entry> committed_entries;  // to apply, in order
  std::vector<Message> messages;         // to send (see contract above)
  bool must_sync = false;                // entries or term/vote changed
  std::vector<Event> events;
};

// True for messages that may only leave after the Ready that produced them
// is durable (rule 1 of the persistence contract).
bool needs_durable_state(const Message& message);

struct ProposeResult {
  enum class Status : std::uint8_t { accepted, not_leader, transfer_in_progress };
  Status status = Status::not_leader;
  Term term = 0;    // accepted: term of the new entry
  Index index = 0;  // accepted: index of the new entry
  NodeId leader_hint = kNoNode;
};

// Messages the core dropped or answered without acting on them. They are
// operating conditions, not errors: counted so that scenarios can see them.
struct RaftCounters {
  std::uint64_t messages_stepped = 0;
  std::uint64_t stale_term_messages = 0;  // lower term than ours
  std::uint64_t malformed_messages = 0;   // failed validation (ids, indexes, terms)
  std::uint64_t ignored_messages = 0;     // valid but meaningless in our role/state
  std::uint64_t snapshots_sent = 0;
  std::uint64_t snapshots_installed = 0;
};

class Raft {
 public:
  Raft(Config config, RestoredState restored);
  ~Raft();
  Raft(Raft&&) noexcept;
  Raft& operator=(Raft&&) noexcept;

  void tick();
  // Handles one message from a peer. Stale or malformed messages are
  // operating conditions, handled and counted, never crashes.
  void step(const Message& message);
  ProposeResult propose(Bytes data);
  // Starts a campaign now (tests and leader transfer).
  void campaign();
  void transfer_leadership(NodeId to);
  // The application stored a snapshot of its state through `index`
  // (<= applied, durable) where Config::snapshot_source reads it: the log
  // up to `index` is dropped and only the snapshot's metadata kept.
  void compact(Index index);

  bool has_ready() const;
  Ready ready();
  void advance(const Ready& ready);
  // Removes and returns, in queue order, every queued message that needs no
  // durable state (rule 5 of the persistence contract). Callable at any time,
  // including while a Ready is outstanding; the messages that need durable
  // state stay queued, in order, for the next ready().
  std::vector<Message> take_early_messages();
  // The same into `out` (cleared first, its capacity reused): a driver that
  // calls this on every wake-up allocates no vector per call.
  void take_early_messages(std::vector<Message>& out);

  // Read-only views for checkers and metrics.
  NodeId id() const;
  Role role() const;
  Term term() const;
  NodeId vote() const;
  // Protocol-Aware Recovery: restored with damaged storage, not yet repaired
  // from a leader (neither votes nor campaigns meanwhile).
  bool repairing() const;
  NodeId leader() const;
  // The follower a leader transfer is under way to (thesis 3.10), kNoNode
  // when none is: a transfer ends when the target wins or is abandoned
  // after an election timeout, so a caller that must see leadership move
  // (a controlled shutdown) learns here when to ask again.
  NodeId transfer_target() const;
  Index commit_index() const;
  Index applied_index() const;
  Index first_index() const;  // first index still in the log
  Index last_index() const;
  Term last_term() const;
  // Term of the entry at `index`, or nullopt when compacted or beyond last.
  std::optional<Term> term_at(Index index) const;
  // nullptr when compacted or beyond the last index.
  const Entry* entry_at(Index index) const;
  std::vector<ProgressView> progress() const;  // leader only; empty otherwise
  const Config& config() const;
  // Operating conditions handled so far (stale, malformed, ignored input).
  const RaftCounters& counters() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace simrun::raft
