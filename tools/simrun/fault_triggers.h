#pragma once
// Event-triggered faults (issue 10, FoundationDB's BUGGIFY at the moments
// that matter): a fault may say `"when": {"event": "raft.vote_granted",
// "node": "n2"}` instead of `"at"`, and a clog may say `"until": {...}`
// (held until a leader change, then released: a deposed leader's late
// appends). The events are a closed set, one table (kTriggerEvents), each
// derived from one trace record kind; the schema's `trigger_event` enum and
// scenarios/README.md ("Event-triggered faults") are checked against it by
// fault_triggers_test.cpp.
//
// Semantics (the same for `when` and `until`): a trigger is armed from
// `armed_from` to `armed_until` (simulated global time; a `faults` entry
// arms at `when.after`, a nemesis kind at each arrival, an `until` when its
// fault applies). It fires once, at the first trace record of its event
// inside that window that passes its filters (node, group, client). The
// fault then applies `delay` later (0: at that same instant, as an event
// queued behind everything already due then: the node that emitted the
// record runs on until it next blocks, so "crash after raft.vote_granted"
// crashes it before the vote's fsync completes and before the vote leaves).
// A trigger whose window closes unfired does nothing (counted as skipped).
// Deterministic: records arrive in trace order, armed triggers are matched
// in arming order.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/events.h"
#include "sim/time.h"
#include "sim/trace.h"
#include "sim/trace_kinds.h"
#include "tools/simrun/record_kind.h"

namespace simrun::cli {

enum class TriggerEvent : std::uint8_t {
  became_leader,
  stepped_down,
  election_started,
  pre_vote_started,
  vote_granted,
  vote_delivered,
  fsync_started,
  log_truncated,
  snapshot_installed,
  commit_advanced,
  node_started,
  node_crashed,
  produce_acked,
  produce_failed,
  offset_committed,
};

struct TriggerEventInfo {
  TriggerEvent event;
  std::string_view name;         // as scenarios write it
  std::string_view record_kind;  // the trace record it is derived from
  bool about_client;             // the subject is a client process, not a Raft node
  std::string_view summary;      // one line, for docs and messages
};

inline constexpr std::array kTriggerEvents = {
    TriggerEventInfo{TriggerEvent::became_leader, "raft.became_leader",
                     broker::events::kRoleChanged, false, "node became leader of group"},
    TriggerEventInfo{TriggerEvent::stepped_down, "raft.stepped_down", broker::events::kRoleChanged,
                     false, "node, leader of group, became follower (deposed or check-quorum)"},
    TriggerEventInfo{TriggerEvent::election_started, "raft.election_started",
                     broker::events::kElectionStarted, false,
                     "node started a real (not pre-vote) candidacy in group"},
    TriggerEventInfo{TriggerEvent::pre_vote_started, "raft.pre_vote_started",
                     broker::events::kElectionStarted, false,
                     "node started a pre-vote campaign in group"},
    TriggerEventInfo{TriggerEvent::vote_granted, "raft.vote_granted", broker::events::kVote, false,
                     "node decided to grant a vote (before its fsync; the vote has not left)"},
    TriggerEventInfo{TriggerEvent::vote_delivered, "raft.vote_delivered",
                     broker::events::kVoteReceived, false,
                     "a vote node granted reached its candidate (node is the voter; durable)"},
    TriggerEventInfo{TriggerEvent::fsync_started, "disk.fsync_started",
                     sim::trace_kinds::kDiskFsyncStarted, false,
                     "node's disk began an fsync (its writes are in the page cache only)"},
    TriggerEventInfo{TriggerEvent::log_truncated, "raft.log_truncated",
                     broker::events::kLogTruncated, false,
                     "node cut a conflicting suffix of its log in group"},
    TriggerEventInfo{TriggerEvent::snapshot_installed, "raft.snapshot_installed",
                     broker::events::kSnapshotInstalled, false,
                     "node installed its leader's snapshot in group"},
    TriggerEventInfo{TriggerEvent::commit_advanced, "raft.commit_advanced",
                     broker::events::kCommitAdvanced, false,
                     "node, leader of group, moved its commit index"},
    TriggerEventInfo{TriggerEvent::node_started, "node.started", broker::events::kNodeStarted,
                     false, "node's broker process started (boot or restart)"},
    TriggerEventInfo{TriggerEvent::node_crashed, "node.crashed", broker::events::kNodeCrashed,
                     false, "node's broker process crashed"},
    TriggerEventInfo{TriggerEvent::produce_acked, "produce.acked", broker::events::kProduceAcked,
                     true, "client (a producer) got a produce acknowledged"},
    TriggerEventInfo{TriggerEvent::produce_failed, "produce.failed", broker::events::kProduceFailed,
                     true, "client (a producer) gave up on a produce"},
    TriggerEventInfo{TriggerEvent::offset_committed, "consume.offset_commit",
                     broker::events::kOffsetCommit, true,
                     "client (a consumer) committed an offset"},
};

const TriggerEventInfo& trigger_event_info(TriggerEvent event);
std::optional<TriggerEvent> trigger_event_from_name(std::string_view name);

// A trigger as the scenario states it (`when` or `until`).
struct TriggerSpec {
  TriggerEvent event = TriggerEvent::became_leader;
  int node = 0;                           // Raft node id filter (1-based); 0: any
  std::string group;                      // Raft group filter; empty: any
  std::string client;                     // client process filter ("producer1"); empty: any
  std::int64_t after_ms = 0;              // `when` of a faults entry: armed from here
  std::optional<std::int64_t> within_ms;  // armed this long; none: to the scenario's end
  std::int64_t delay_ms = 0;              // the fault applies this long after the event
  bool operator==(const TriggerSpec&) const = default;
};

// The trigger as a scenario writes it (materialised and shrunk scenarios);
// `after` only when nonzero.
nlohmann::json trigger_to_json(const TriggerSpec& trigger);

// What fired a trigger: the subject the `event` target refers to.
struct TriggerMatch {
  std::int64_t time_ms = 0;
  int node = 0;        // Raft node id, 0 for a client event
  std::string client;  // process name for a client event
  std::string group;
};

// Matches trace records against armed triggers. Fed every record of the
// run (Simulation::observe); costs nothing while no trigger is armed.
class TriggerWatcher {
 public:
  using Fire = std::function<void(const TriggerMatch&)>;

  // For disk.fsync_started (a record about a process, not a node).
  void set_node_process(int node_id, std::uint32_t process);
  // Arms `spec` for [from, until); `fire` is called once, from inside the
  // observer (it must only schedule work, never apply a fault there).
  void arm(const TriggerSpec& spec, sim::time_ns from, sim::time_ns until, Fire fire);
  void observe(const sim::TraceRecord& record) { observe(record, record_kind(record.kind)); }
  // `kind` is record_kind(record.kind), resolved once by the caller.
  void observe(const sim::TraceRecord& record, RecordKind kind);
  // Triggers armed and not fired whose window has closed by `now` (they
  // are dropped); with `now` at the end of the run, every unfired one.
  std::uint64_t expire(sim::time_ns now);
  std::size_t armed() const { return armed_.size(); }
  std::uint64_t fired() const { return fired_; }

 private:
  struct Armed {
    TriggerSpec spec;
    sim::time_ns from = 0;
    sim::time_ns until = 0;
    Fire fire;
  };
  // The events `record` is, with their subjects (one record can be two:
  // a leader's role change to follower is raft.stepped_down).
  std::vector<std::pair<TriggerEvent, TriggerMatch>> events_of(const sim::TraceRecord& record);

  std::vector<Armed> armed_;
  std::map<std::uint32_t, int> node_of_process_;
  // Who leads what, for raft.stepped_down: (group, node) -> is leader.
  std::map<std::pair<std::string, int>, bool, std::less<>> leading_;
  std::uint64_t fired_ = 0;
};

}  // namespace simrun::cli
