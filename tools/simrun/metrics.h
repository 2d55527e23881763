#pragma once
// Metrics computed from the broker's trace records (broker/events.h) by a
// Trace observer, never from counters kept by hand. Definitions are in
// scenarios/README.md ("Metrics"); in short, per Raft group and in total:
// elections (real, not pre-vote), leader changes, terms, heartbeat gaps,
// leaderless time, metadata sync outcomes, produce outcomes and latencies,
// deserialization errors, the term at 3 s for the field table, double votes
// (mechanism 7) and messages dropped for unknown groups (mechanism 8).
//
// An observer can be restricted to a time window: counts then include only
// records inside [from, to), leaderless time is clipped to it, and max_term
// is the highest term held at any moment inside it.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/name_index.h"
#include "sim/time.h"
#include "sim/trace.h"
#include "tools/simrun/record_kind.h"
#include "tools/simrun/replica_lag.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

struct MetadataSyncMetrics {
  std::int64_t attempts = 0;
  std::int64_t started = 0;  // syncs begun (first attempts)
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
  std::int64_t in_flight = 0;  // started, neither succeeded nor failed by the end
  std::int64_t retries = 0;
  // Leader syncs that found the metadata job queue full (meta.sync_deferred)
  // and were owed until it had room.
  std::int64_t deferred = 0;
  // succeeded / started; undefined (0, and any assertion on it fails) when
  // no sync started.
  double success_rate = 0.0;
};

struct ProduceMetrics {
  std::int64_t sent = 0;
  std::int64_t acked = 0;
  std::int64_t failed = 0;
  std::int64_t lost_acked = 0;  // filled by the acknowledged-write checker at the end
  double latency_p50_ms = 0.0;
  double latency_p99_ms = 0.0;
};

// Issue 11: storage damage found at load (storage.damage records), by kind
// (broker/storage.h DamageKind), torn tails dropped, and repairs.
struct StorageMetrics {
  std::int64_t damage = 0;  // every kind
  std::int64_t hard_state = 0;
  std::int64_t snapshot = 0;
  std::int64_t log_record = 0;
  std::int64_t commit = 0;
  std::int64_t repair_marker = 0;
  std::int64_t repairs = 0;     // storage.repaired
  std::int64_t torn_tails = 0;  // storage.torn_tail
};

struct GroupMetrics {
  std::int64_t elections_started = 0;   // candidacies (pre_vote == 0), one per node
  std::int64_t pre_vote_campaigns = 0;  // pre-vote rounds (pre_vote == 1)
  // Pre-vote and vote campaigns: what the report's raft-rs logs counted
  // ("starting a new election" is printed for both).
  std::int64_t campaigns = 0;
  // Election rounds: campaigns that raised the group's highest term (two
  // candidates of one split round are one election).
  std::int64_t elections = 0;
  std::int64_t leader_changes = 0;  // leaders elected after the first
  std::int64_t max_term = 0;
  double campaigns_per_min = 0.0;
  double elections_per_min = 0.0;
  // The largest rise of the group's highest term within any 3 s (simulated
  // global time) ending inside the window: the report's "term 1766 to 2000+
  // within 3 s" is a growth rate, not an absolute term.
  std::int64_t max_term_growth_3s = 0;
  double max_heartbeat_gap_ms = 0.0;
  // The field report's "heartbeat blocking": the largest heartbeat gap
  // beyond the group's configured heartbeat period, raw (every gap), and
  // with each gap's overlap with fault windows taken out first (faults
  // without a duration are instants; open-ended partitions, crashes and
  // pauses last until their heal, restart or resume). Gaps are measured in
  // simulated global time, including a gap that ends in the follower's own
  // campaign.
  double heartbeat_blocking_raw_ms = 0.0;
  double heartbeat_blocking_ms = 0.0;
  double leaderless_ms = 0.0;
  double time_to_first_leader_ms = 0.0;  // the whole window when no leader ever
  std::int64_t term_at_3s = 0;
  std::int64_t deser_errors = 0;
  // Mechanism 7: real (not pre-) votes by a node for a second, different
  // candidate in a term it had already voted in, counting only votes that
  // reached their candidate (raft.vote_received: a grant, or the
  // candidate's own vote, which went out with its requests).
  std::int64_t double_votes = 0;
  // Mechanism 8: peer Raft messages a node dropped because it had no
  // replica of their group yet ("Replica not found", or a full buffer).
  std::int64_t unknown_group_drops = 0;
  // Peer Raft messages a group's full inbox dropped (broker.inbox_drop,
  // broker.raft_inbox_messages): lost messages that Raft's retries cover.
  std::int64_t raft_inbox_drops = 0;
  // Leader snapshots installed by followers (raft.snapshot_installed): a
  // follower too far behind the leader's compacted log.
  std::int64_t snapshots_installed = 0;
  MetadataSyncMetrics metadata_sync;
  ProduceMetrics produce;
  StorageMetrics storage;
  // Issue 11: a leader found a follower's log below what it acknowledged.
  std::int64_t follower_regressions = 0;
  // Issue 11 (tools/simrun/replica_lag.h): the largest lag of any replica,
  // and per replica (node id -> lag).
  std::int64_t replica_lag_entries_max = 0;
  double replica_lag_ms_max = 0.0;
  std::map<std::int64_t, LagMax> replica_lag_by_node;
};

struct Metrics {
  GroupMetrics totals;
  std::map<std::string, GroupMetrics> groups;
};

// One row of the metric table (metrics.cpp): the scenario name, which is
// mostly the field's path in GroupMetrics ("produce.lost_acked"), its place
// in summary.json (dots are nesting), and how to read it.
struct MetricDefinition {
  std::string_view name;
  std::string_view json_path;
  nlohmann::json (*read)(const GroupMetrics& metrics);
};
// Every metric, in report order: the one list the schema, the docs and
// metric_value/to_json derive from or are checked against.
const std::vector<MetricDefinition>& metric_table();

// The value of a metric by its scenario name ("max_term",
// "metadata_sync.success_rate", "produce.lost_acked"); nullopt if unknown.
std::optional<double> metric_value(const GroupMetrics& metrics, std::string_view name);
// Why a ratio metric has no value in these metrics (its denominator is 0),
// or nullopt when it has one. An assertion on it fails with this reason.
std::optional<std::string> metric_undefined_reason(const GroupMetrics& metrics,
                                                   std::string_view name);
std::vector<std::string> metric_names();

nlohmann::json to_json(const GroupMetrics& metrics);
nlohmann::json to_json(const Metrics& metrics);

class MetricsObserver {
 public:
  explicit MetricsObserver(TimeWindow window = {});

  // The heartbeat period each group was configured with (ticks x tick
  // interval); heartbeat blocking is measured beyond it. 0 when not set.
  void set_heartbeat_period(std::string_view group, sim::duration_ns period);

  void observe(const sim::TraceRecord& record) { observe(record, record_kind(record.kind)); }
  // `kind` is record_kind(record.kind), resolved once by the caller.
  void observe(const sim::TraceRecord& record, RecordKind kind);
  // Closes open intervals at `end` and computes rates and percentiles.
  Metrics finish(sim::time_ns end) const;

  // Current leadership, for fault targets ("leader:__meta") and liveness:
  // the node (1-based Raft id) believing itself leader with the highest
  // term, if any.
  std::optional<int> current_leader(std::string_view group) const;
  bool has_leader(std::string_view group) const;

 private:
  struct GroupState {
    GroupMetrics metrics;
    std::map<int, std::int64_t> leaders;  // node -> term, nodes believing they lead
    sim::time_ns leaderless_since = 0;    // valid while leaders is empty
    sim::time_ns first_seen = 0;
    std::optional<sim::time_ns> first_leader_at;
    std::int64_t last_leader_node = 0;
    std::int64_t last_leader_term = -1;
    bool term_at_3s_frozen = false;
    // The group's highest term so far and its rises (time, term) within the
    // last 3 s, for elections and max_term_growth_3s.
    std::int64_t highest_term = 0;
    std::int64_t term_before_recent = 0;  // highest term 3 s before the latest rise
    std::deque<std::pair<sim::time_ns, std::int64_t>> recent_rises;
    std::vector<double> latencies_ms;
    // The group's configured heartbeat period (set_heartbeat_period), 0 when
    // not set.
    sim::duration_ns heartbeat_period_ns = 0;
    // (voter node, term) -> the candidates it granted its vote to.
    std::map<std::pair<int, std::int64_t>, std::set<std::int64_t>> votes_granted;
  };

  // Vote answers delivered to candidates; `counted` when inside the window.
  void observe_vote(const sim::TraceRecord& record, bool counted);
  // One real vote of `voter` in `term` (a grant, or a candidate's own vote).
  void note_vote(GroupState& state, int voter, std::int64_t term, std::int64_t candidate,
                 bool counted);

  bool in_window(sim::time_ns time) const;
  GroupState& group(std::string_view name, sim::time_ns now);
  void set_leadership(GroupState& state, int node, std::optional<std::int64_t> term,
                      sim::time_ns now);
  void note_term(GroupState& state, std::int64_t term, sim::time_ns now);
  void close_leaderless(GroupState& state, sim::time_ns now);

  // Tracks when a fault was in force ("fault" records).
  void observe_fault(const sim::TraceRecord& record);
  // How much of [from, to) lies inside the union of fault windows.
  sim::duration_ns fault_overlap(sim::time_ns from, sim::time_ns to) const;
  // A rise of the group's highest term (elections, max_term_growth_3s).
  void note_group_term(GroupState& state, std::int64_t term, sim::time_ns now, bool counted);

  void observe_storage(const sim::TraceRecord& record, sim::time_ns now);

  TimeWindow window_;
  // Set by the first record at or after the window's start (see observe).
  bool window_opened_ = false;
  // By group id (sim/name_index.h: one probe per record instead of a map
  // keyed by the name, issue 12); finish reports in name order.
  sim::NameIndex group_ids_;
  std::deque<GroupState> groups_;
  std::string partition_name_;  // partition_group's reused buffer
  ReplicaLag replica_lag_;
  std::map<std::string, sim::duration_ns, std::less<>> heartbeat_period_ns_;
  // Fault windows [start, end); open-ended ones (a partition, crash or pause
  // without a duration) have end INT64_MAX until their heal, restart or
  // resume. Bounded by the scenario's fault count.
  std::vector<std::pair<sim::time_ns, sim::time_ns>> fault_windows_;
};

}  // namespace simrun::cli
