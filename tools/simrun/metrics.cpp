#include "tools/simrun/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <system_error>

#include "broker/events.h"
#include "sim/assert.h"
#include "sim/trace_kinds.h"

namespace simrun::cli {

namespace {

namespace events = broker::events;

constexpr sim::time_ns kTermSampleAt = sim::seconds(3);
constexpr sim::duration_ns kTermGrowthWindow = sim::seconds(3);
// Bound on stored term rises per group (within 3 s); beyond it the oldest
// are folded into the base term, which only lowers the measured growth.
constexpr std::size_t kMaxRecentRises = 1u << 16;
// Bound on stored latency samples per group; beyond it, later samples are
// not kept (deterministically), so percentiles describe the first ones.
constexpr std::size_t kMaxLatencySamples = 1u << 20;
// Bound on remembered (voter, term) grants per group; beyond it new terms
// are not tracked (deterministically), so later double votes go uncounted.
constexpr std::size_t kMaxTrackedVotes = 1u << 20;

// How a fault bears on heartbeat blocking (see observe_fault).
enum class Disturbance { ends_faults, until_healed, for_duration };

Disturbance disturbance_of(FaultKind kind) {
  switch (kind) {
    case FaultKind::heal:
    case FaultKind::restart:
    case FaultKind::resume:
      return Disturbance::ends_faults;
    case FaultKind::crash:
    case FaultKind::controlled_shutdown:
    case FaultKind::pause:
    case FaultKind::partition:
    case FaultKind::cut_one_way:
    case FaultKind::isolate:
    case FaultKind::bridge:
      return Disturbance::until_healed;  // for its duration, or until a heal/restart/resume
    case FaultKind::disk_stall:
    case FaultKind::clog:
    case FaultKind::latency_spike:
    case FaultKind::disk_corrupt:
    case FaultKind::disk_torn_writes:
    case FaultKind::disk_slow:
    case FaultKind::net_loss:
    case FaultKind::net_duplicate:
    case FaultKind::net_reorder:
    case FaultKind::clock_offset:
    case FaultKind::clock_drift:
    case FaultKind::clock_jump:
      return Disturbance::for_duration;  // without one, an instant that overlaps no gap
  }
  SIMRUN_ASSERT(false, "a FaultKind value outside the enum");
  return Disturbance::for_duration;
}

double ns_to_ms(sim::time_ns ns) { return static_cast<double>(ns) / 1e6; }

double percentile(std::vector<double> samples, double fraction) {
  if (samples.empty()) return 0.0;
  std::sort(samples.begin(), samples.end());
  // Nearest rank: the smallest sample with at least `fraction` of samples <= it.
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(samples.size())));
  return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

// "topic/partition", written into `buffer` (reused: no allocation per
// record once it has grown).
std::string_view partition_group(const sim::TraceRecord& record, std::string& buffer) {
  const std::string_view topic = record.text("topic");
  char digits[24];
  const auto written =
      std::to_chars(std::begin(digits), std::end(digits), record.number("partition"));
  SIMRUN_ASSERT(written.ec == std::errc{}, "a partition number fits");
  buffer.assign(topic);
  buffer.push_back('/');
  buffer.append(digits, written.ptr);
  return buffer;
}

void finish_rates(GroupMetrics& metrics, sim::duration_ns window_ns) {
  auto& sync = metrics.metadata_sync;
  sync.in_flight = std::max<std::int64_t>(0, sync.started - sync.succeeded - sync.failed);
  sync.success_rate = sync.started == 0
                          ? 0.0
                          : static_cast<double>(sync.succeeded) / static_cast<double>(sync.started);
  const double minutes = static_cast<double>(window_ns) / 60e9;
  metrics.campaigns = metrics.pre_vote_campaigns + metrics.elections_started;
  metrics.campaigns_per_min =
      minutes <= 0.0 ? 0.0 : static_cast<double>(metrics.campaigns) / minutes;
  metrics.elections_per_min =
      minutes <= 0.0 ? 0.0 : static_cast<double>(metrics.elections) / minutes;
}

}  // namespace

// ---- The metric table: the one list of metric names ----
// A metric's scenario name is its field path in GroupMetrics, so the name
// cannot drift from the value; the few whose summary.json place or field
// differs (storage damage is one object with a total) say both. The schema's
// assertion `metric` enum and scenarios/README.md ("Metrics") are checked
// against this table by schema_consistency_test.cpp. Adding a metric: a
// field in GroupMetrics (metrics.h), one row here, the name in the schema's
// metric enum, and its definition in scenarios/README.md.
#define SIMRUN_METRIC(field) SIMRUN_METRIC_AT(#field, #field, field)
#define SIMRUN_METRIC_AT(name, json_path, field)                                   \
  MetricDefinition {                                                               \
    name, json_path, [](const GroupMetrics& m) { return nlohmann::json(m.field); } \
  }

const std::vector<MetricDefinition>& metric_table() {
  static const std::vector<MetricDefinition> table = {
      SIMRUN_METRIC(elections_started),
      SIMRUN_METRIC(pre_vote_campaigns),
      SIMRUN_METRIC(campaigns),
      SIMRUN_METRIC(elections),
      SIMRUN_METRIC(leader_changes),
      SIMRUN_METRIC(max_term),
      SIMRUN_METRIC(campaigns_per_min),
      SIMRUN_METRIC(elections_per_min),
      SIMRUN_METRIC(max_term_growth_3s),
      SIMRUN_METRIC(max_heartbeat_gap_ms),
      SIMRUN_METRIC(heartbeat_blocking_raw_ms),
      SIMRUN_METRIC(heartbeat_blocking_ms),
      SIMRUN_METRIC(leaderless_ms),
      SIMRUN_METRIC(time_to_first_leader_ms),
      SIMRUN_METRIC(term_at_3s),
      SIMRUN_METRIC(deser_errors),
      SIMRUN_METRIC(double_votes),
      SIMRUN_METRIC(unknown_group_drops),
      SIMRUN_METRIC(raft_inbox_drops),
      SIMRUN_METRIC(snapshots_installed),
      SIMRUN_METRIC(metadata_sync.attempts),
      SIMRUN_METRIC(metadata_sync.started),
      SIMRUN_METRIC(metadata_sync.succeeded),
      SIMRUN_METRIC(metadata_sync.failed),
      SIMRUN_METRIC(metadata_sync.in_flight),
      SIMRUN_METRIC(metadata_sync.retries),
      SIMRUN_METRIC(metadata_sync.deferred),
      SIMRUN_METRIC(metadata_sync.success_rate),
      SIMRUN_METRIC(produce.sent),
      SIMRUN_METRIC(produce.acked),
      SIMRUN_METRIC(produce.failed),
      SIMRUN_METRIC(produce.lost_acked),
      SIMRUN_METRIC(produce.latency_p50_ms),
      SIMRUN_METRIC(produce.latency_p99_ms),
      SIMRUN_METRIC_AT("storage_damage", "storage_damage.total", storage.damage),
      SIMRUN_METRIC_AT("storage_damage.hard_state", "storage_damage.hard_state",
                       storage.hard_state),
      SIMRUN_METRIC_AT("storage_damage.snapshot", "storage_damage.snapshot", storage.snapshot),
      SIMRUN_METRIC_AT("storage_damage.log_record", "storage_damage.log_record",
                       storage.log_record),
      SIMRUN_METRIC_AT("storage_damage.commit", "storage_damage.commit", storage.commit),
      SIMRUN_METRIC_AT("storage_damage.repair_marker", "storage_damage.repair_marker",
                       storage.repair_marker),
      SIMRUN_METRIC_AT("storage_repairs", "storage_repairs", storage.repairs),
      SIMRUN_METRIC_AT("torn_tails", "torn_tails", storage.torn_tails),
      SIMRUN_METRIC(follower_regressions),
      SIMRUN_METRIC(replica_lag_entries_max),
      SIMRUN_METRIC(replica_lag_ms_max),
  };
  return table;
}

#undef SIMRUN_METRIC_AT
#undef SIMRUN_METRIC

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const MetricDefinition& metric : metric_table()) names.emplace_back(metric.name);
  return names;
}

std::optional<double> metric_value(const GroupMetrics& m, std::string_view name) {
  for (const MetricDefinition& metric : metric_table()) {
    if (metric.name == name) return metric.read(m).get<double>();
  }
  return std::nullopt;
}

std::optional<std::string> metric_undefined_reason(const GroupMetrics& m, std::string_view name) {
  if (name == "metadata_sync.success_rate" && m.metadata_sync.started == 0) {
    return "metadata_sync.success_rate is succeeded / started and no metadata sync started";
  }
  return std::nullopt;
}

nlohmann::json to_json(const GroupMetrics& m) {
  // "produce.acked" -> {"produce": {"acked": ...}}
  nlohmann::json result = nlohmann::json::object();
  for (const MetricDefinition& metric : metric_table()) {
    std::string pointer = "/" + std::string(metric.json_path);
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    result[nlohmann::json::json_pointer(pointer)] = metric.read(m);
  }
  if (!m.replica_lag_by_node.empty()) {
    nlohmann::json& by_node = result["replica_lag_by_node"];
    for (const auto& [node, lag] : m.replica_lag_by_node) {
      by_node["n" + std::to_string(node)] = {{"entries_max", lag.entries}, {"ms_max", lag.ms}};
    }
  }
  return result;
}

nlohmann::json to_json(const Metrics& metrics) {
  nlohmann::json result = to_json(metrics.totals);
  result["groups"] = nlohmann::json::object();
  for (const auto& [name, group] : metrics.groups) result["groups"][name] = to_json(group);
  return result;
}

MetricsObserver::MetricsObserver(TimeWindow window) : window_(window) {}

void MetricsObserver::observe_storage(const sim::TraceRecord& record, sim::time_ns now) {
  GroupMetrics& metrics = group(record.text("group"), now).metrics;
  const std::string_view kind = record.kind;
  if (kind == events::kStorageRepaired) {
    ++metrics.storage.repairs;
  } else if (kind == events::kStorageTornTail) {
    ++metrics.storage.torn_tails;
  } else if (kind == events::kFollowerRegressed) {
    ++metrics.follower_regressions;
  } else {
    ++metrics.storage.damage;
    const std::string_view damage = record.text("damage");
    std::int64_t* slot = damage == "hard_state"      ? &metrics.storage.hard_state
                         : damage == "snapshot"      ? &metrics.storage.snapshot
                         : damage == "log_record"    ? &metrics.storage.log_record
                         : damage == "commit"        ? &metrics.storage.commit
                         : damage == "repair_marker" ? &metrics.storage.repair_marker
                                                     : nullptr;
    SIMRUN_ASSERT(slot != nullptr, "storage.damage of an unknown kind");
    ++*slot;
  }
}

bool MetricsObserver::in_window(sim::time_ns time) const {
  return time >= sim::millis(window_.from_ms) &&
         (window_.to_ms == INT64_MAX || time < sim::millis(window_.to_ms));
}

MetricsObserver::GroupState& MetricsObserver::group(std::string_view name, sim::time_ns now) {
  const sim::NameIndex::Id id = group_ids_.intern(name);
  if (id == groups_.size()) {
    GroupState& state = groups_.emplace_back();
    state.first_seen = now;
    state.leaderless_since = now;
    const auto period = heartbeat_period_ns_.find(name);
    if (period != heartbeat_period_ns_.end()) state.heartbeat_period_ns = period->second;
  }
  return groups_[id];
}

void MetricsObserver::close_leaderless(GroupState& state, sim::time_ns now) {
  const sim::time_ns from =
      std::max({state.leaderless_since, sim::millis(window_.from_ms), state.first_seen});
  const sim::time_ns to =
      window_.to_ms == INT64_MAX ? now : std::min(now, sim::millis(window_.to_ms));
  if (to > from) state.metrics.leaderless_ms += ns_to_ms(to - from);
}

void MetricsObserver::note_group_term(GroupState& state, std::int64_t term, sim::time_ns now,
                                      bool counted) {
  if (term <= state.highest_term) return;
  state.highest_term = term;
  while (!state.recent_rises.empty() &&
         (state.recent_rises.front().first <= now - kTermGrowthWindow ||
          state.recent_rises.size() >= kMaxRecentRises)) {
    state.term_before_recent = state.recent_rises.front().second;
    state.recent_rises.pop_front();
  }
  state.recent_rises.emplace_back(now, term);
  if (!counted) return;
  ++state.metrics.elections;
  state.metrics.max_term_growth_3s =
      std::max(state.metrics.max_term_growth_3s, term - state.term_before_recent);
}

void MetricsObserver::note_term(GroupState& state, std::int64_t term, sim::time_ns now) {
  // Only a campaign raises a term in Raft, so every rise of the group's
  // highest term is one election round.
  note_group_term(state, term, now, in_window(now));
  // Terms only grow, so the highest term seen before the window ends is the
  // highest term held at some moment inside it.
  if (window_.to_ms == INT64_MAX || now < sim::millis(window_.to_ms)) {
    state.metrics.max_term = std::max(state.metrics.max_term, term);
  }
  if (now <= kTermSampleAt) state.metrics.term_at_3s = std::max(state.metrics.term_at_3s, term);
}

void MetricsObserver::set_leadership(GroupState& state, int node, std::optional<std::int64_t> term,
                                     sim::time_ns now) {
  const bool was_leaderless = state.leaders.empty();
  if (term) {
    state.leaders[node] = *term;
    if (was_leaderless) close_leaderless(state, now);
    if (node != state.last_leader_node || *term != state.last_leader_term) {
      if (state.last_leader_term >= 0 && in_window(now)) ++state.metrics.leader_changes;
      state.last_leader_node = node;
      state.last_leader_term = *term;
    }
    if (!state.first_leader_at && now >= sim::millis(window_.from_ms)) {
      state.first_leader_at = now;
    }
  } else {
    state.leaders.erase(node);
    if (!was_leaderless && state.leaders.empty()) state.leaderless_since = now;
  }
}

void MetricsObserver::set_heartbeat_period(std::string_view group_name, sim::duration_ns period) {
  SIMRUN_ASSERT(period >= 0, "a heartbeat period is not negative");
  heartbeat_period_ns_.insert_or_assign(std::string(group_name), period);
  const sim::NameIndex::Id id = group_ids_.find(group_name);
  if (id != sim::NameIndex::kAbsent) groups_[id].heartbeat_period_ns = period;
}

void MetricsObserver::observe_fault(const sim::TraceRecord& record) {
  // The injector's records carry the scenario's action; the World's own
  // "fault" records (type, process) repeat what they did and are skipped.
  if (!record.has("action")) return;
  const std::string_view action = record.text("action");
  // By kind: heal/restart/resume end every open window; a fault that cuts
  // or stops messages or nodes opens a window for its duration, or until
  // healed when it has none; any other fault counts for its duration only,
  // and without one it is an instant that overlaps no gap.
  const auto kind = fault_kind_from_name(action);
  SIMRUN_ASSERT(kind.has_value(), "a fault record whose action is not in kFaultKinds");
  bool open_ended = false;
  switch (disturbance_of(*kind)) {
    case Disturbance::ends_faults:
      for (auto& [start, end] : fault_windows_) {
        if (end == INT64_MAX) end = record.time;
      }
      return;
    case Disturbance::until_healed:
      open_ended = true;
      break;
    case Disturbance::for_duration:
      break;
  }
  SIMRUN_ASSERT(fault_windows_.size() < 1'000'000, "too many fault windows");
  const std::int64_t duration_ms = record.number("duration_ms");
  if (duration_ms > 0) {
    fault_windows_.emplace_back(record.time, record.time + sim::millis(duration_ms));
  } else if (open_ended) {
    fault_windows_.emplace_back(record.time, INT64_MAX);
  }
}

sim::duration_ns MetricsObserver::fault_overlap(sim::time_ns from, sim::time_ns to) const {
  std::vector<std::pair<sim::time_ns, sim::time_ns>> clipped;
  for (const auto& [start, end] : fault_windows_) {
    const sim::time_ns a = std::max(start, from);
    const sim::time_ns b = std::min(end, to);
    if (b > a) clipped.emplace_back(a, b);
  }
  std::sort(clipped.begin(), clipped.end());
  sim::duration_ns covered = 0;
  sim::time_ns reached = from;
  for (const auto& [a, b] : clipped) {
    const sim::time_ns begin = std::max(a, reached);
    if (b > begin) covered += b - begin;
    reached = std::max(reached, b);
  }
  return covered;
}

void MetricsObserver::observe(const sim::TraceRecord& record, RecordKind kind) {
  const sim::time_ns now = record.time;
  if (kind == kind_of(sim::trace_kinds::kFault)) {
    observe_fault(record);
    return;
  }
  // A leader in place when the window opens counts as present from its start.
  // Once is enough: after the window opens, set_leadership stamps a group's
  // first leader itself (walking every group per record cost more than the
  // rest of this function).
  if (!window_opened_ && now >= sim::millis(window_.from_ms)) {
    window_opened_ = true;
    for (GroupState& state : groups_) {
      if (!state.first_leader_at && !state.leaders.empty()) {
        state.first_leader_at = sim::millis(window_.from_ms);
      }
    }
  }
  const bool counted = in_window(now);

  switch (kind) {
    case kind_of(events::kApplied):
      replica_lag_.applied(record.text("group"), record.number("node"), record.number("index"), now,
                           counted);
      return;
    case kind_of(events::kNodeStarted):
      replica_lag_.started(record.number("node"));
      return;
    case kind_of(events::kNodeCrashed): {
      replica_lag_.crashed(record.number("node"));
      const int node = static_cast<int>(record.number("node"));
      for (GroupState& state : groups_) {
        if (state.leaders.count(node) != 0) set_leadership(state, node, std::nullopt, now);
      }
      return;
    }
    case kind_of(events::kRoleChanged): {
      GroupState& state = group(record.text("group"), now);
      const std::int64_t term = record.number("term");
      note_term(state, term, now);
      const int node = static_cast<int>(record.number("node"));
      if (record.text("role") == "leader") {
        set_leadership(state, node, term, now);
      } else if (state.leaders.count(node) != 0) {
        set_leadership(state, node, std::nullopt, now);
      }
      return;
    }
    case kind_of(events::kElectionStarted): {
      GroupState& state = group(record.text("group"), now);
      // A pre-vote campaign runs at the node's current term: it raises none.
      if (record.number("pre_vote") == 0) note_term(state, record.number("term"), now);
      if (counted) {
        if (record.number("pre_vote") != 0) {
          ++state.metrics.pre_vote_campaigns;
        } else {
          ++state.metrics.elections_started;
        }
      }
      return;
    }
    case kind_of(events::kTermChanged):
      note_term(group(record.text("group"), now), record.number("term"), now);
      return;
    case kind_of(events::kVoteReceived):
      // Votes delivered before the window are remembered: a second one inside
      // it is still a double vote.
      observe_vote(record, counted);
      return;
    default:
      break;
  }
  if (!counted) return;  // everything below is a plain count inside the window
  switch (kind) {
    case kind_of(events::kHeartbeatGap): {
      GroupState& state = group(record.text("group"), now);
      const sim::duration_ns gap = record.number("gap_ns");
      state.metrics.max_heartbeat_gap_ms =
          std::max(state.metrics.max_heartbeat_gap_ms, ns_to_ms(gap));
      const sim::duration_ns beyond =
          std::max<sim::duration_ns>(0, gap - state.heartbeat_period_ns);
      state.metrics.heartbeat_blocking_raw_ms =
          std::max(state.metrics.heartbeat_blocking_raw_ms, ns_to_ms(beyond));
      // The overlap can only lower a gap: skip the computation when even the
      // raw value would not raise the maximum.
      if (ns_to_ms(beyond) > state.metrics.heartbeat_blocking_ms) {
        const sim::duration_ns excluded =
            std::max<sim::duration_ns>(0, beyond - fault_overlap(now - gap, now));
        state.metrics.heartbeat_blocking_ms =
            std::max(state.metrics.heartbeat_blocking_ms, ns_to_ms(excluded));
      }
      return;
    }
    case kind_of(events::kStorageDamage):
    case kind_of(events::kStorageRepaired):
    case kind_of(events::kStorageTornTail):
    case kind_of(events::kFollowerRegressed):
      observe_storage(record, now);
      return;
    case kind_of(events::kUnknownGroupDrop):
      ++group(record.text("group"), now).metrics.unknown_group_drops;
      return;
    case kind_of(events::kInboxDrop):
      ++group(record.text("group"), now).metrics.raft_inbox_drops;
      return;
    case kind_of(events::kSnapshotInstalled):
      ++group(record.text("group"), now).metrics.snapshots_installed;
      return;
    case kind_of(events::kDeserError):
      ++group(record.text("group"), now).metrics.deser_errors;
      return;
    case kind_of(events::kMetaSyncAttempt): {
      auto& sync = group(record.text("group"), now).metrics.metadata_sync;
      ++sync.attempts;
      if (record.number("attempt") == 1) ++sync.started;
      return;
    }
    case kind_of(events::kMetaSyncRetry):
      ++group(record.text("group"), now).metrics.metadata_sync.retries;
      return;
    case kind_of(events::kMetaSyncSucceeded):
      ++group(record.text("group"), now).metrics.metadata_sync.succeeded;
      return;
    case kind_of(events::kMetaSyncFailed):
      ++group(record.text("group"), now).metrics.metadata_sync.failed;
      return;
    case kind_of(events::kMetaSyncDeferred):
      ++group(record.text("group"), now).metrics.metadata_sync.deferred;
      return;
    case kind_of(events::kProduceSent):
      ++group(partition_group(record, partition_name_), now).metrics.produce.sent;
      return;
    case kind_of(events::kProduceAcked): {
      GroupState& state = group(partition_group(record, partition_name_), now);
      ++state.metrics.produce.acked;
      if (state.latencies_ms.size() < kMaxLatencySamples) {
        state.latencies_ms.push_back(ns_to_ms(record.number("latency_ns")));
      }
      return;
    }
    case kind_of(events::kProduceFailed):
      ++group(partition_group(record, partition_name_), now).metrics.produce.failed;
      return;
    default:
      return;  // a kind no metric counts
  }
}

// A vote answer reached candidate `node` in `term`: its own vote for itself
// went out with its requests (it binds), and a grant binds `voter`. A vote
// decided but never delivered (its voter crashed inside the fsync before
// sending it) binds no one and is not counted.
void MetricsObserver::observe_vote(const sim::TraceRecord& record, bool counted) {
  GroupState& state = group(record.text("group"), record.time);
  const std::int64_t candidate = record.number("node");
  const std::int64_t term = record.number("term");
  note_vote(state, static_cast<int>(candidate), term, candidate, counted);
  if (record.number("granted") == 0) return;
  note_vote(state, static_cast<int>(record.number("voter")), term, candidate, counted);
}

void MetricsObserver::note_vote(GroupState& state, int voter, std::int64_t term,
                                std::int64_t candidate, bool counted) {
  const auto key = std::make_pair(voter, term);
  auto it = state.votes_granted.find(key);
  if (it == state.votes_granted.end()) {
    if (state.votes_granted.size() >= kMaxTrackedVotes) return;
    it = state.votes_granted.emplace(key, std::set<std::int64_t>{}).first;
  }
  // Each further candidate is one more double vote; granting a candidate
  // again (a retried request) is the same vote.
  const bool new_candidate = it->second.insert(candidate).second;
  if (counted && new_candidate && it->second.size() > 1) ++state.metrics.double_votes;
}

Metrics MetricsObserver::finish(sim::time_ns end) const {
  const sim::time_ns from = sim::millis(window_.from_ms);
  const sim::time_ns to =
      window_.to_ms == INT64_MAX ? end : std::min(end, sim::millis(window_.to_ms));
  const sim::duration_ns window_ns = std::max<sim::duration_ns>(0, to - from);
  Metrics result;
  GroupMetrics& totals = result.totals;
  std::vector<double> all_latencies;
  // In name order, as before (a map keyed by the name).
  for (const sim::NameIndex::Id id : group_ids_.sorted_ids()) {
    const std::string& name = group_ids_.name(id);
    GroupState closed = groups_[id];
    if (closed.leaders.empty()) {
      // Still leaderless at the end: count up to the end of the window.
      const sim::time_ns start = std::max({closed.leaderless_since, from, closed.first_seen});
      if (to > start) closed.metrics.leaderless_ms += ns_to_ms(to - start);
    }
    GroupMetrics metrics = closed.metrics;
    metrics.time_to_first_leader_ms =
        ns_to_ms(closed.first_leader_at ? *closed.first_leader_at - from : window_ns);
    if (!closed.first_leader_at && !closed.leaders.empty()) metrics.time_to_first_leader_ms = 0;
    metrics.produce.latency_p50_ms = percentile(closed.latencies_ms, 0.50);
    metrics.produce.latency_p99_ms = percentile(closed.latencies_ms, 0.99);
    finish_rates(metrics, window_ns);
    all_latencies.insert(all_latencies.end(), closed.latencies_ms.begin(),
                         closed.latencies_ms.end());

    totals.elections_started += metrics.elections_started;
    totals.pre_vote_campaigns += metrics.pre_vote_campaigns;
    totals.elections += metrics.elections;
    totals.leader_changes += metrics.leader_changes;
    totals.max_term = std::max(totals.max_term, metrics.max_term);
    totals.max_term_growth_3s = std::max(totals.max_term_growth_3s, metrics.max_term_growth_3s);
    totals.heartbeat_blocking_raw_ms =
        std::max(totals.heartbeat_blocking_raw_ms, metrics.heartbeat_blocking_raw_ms);
    totals.max_heartbeat_gap_ms =
        std::max(totals.max_heartbeat_gap_ms, metrics.max_heartbeat_gap_ms);
    totals.heartbeat_blocking_ms =
        std::max(totals.heartbeat_blocking_ms, metrics.heartbeat_blocking_ms);
    totals.leaderless_ms = std::max(totals.leaderless_ms, metrics.leaderless_ms);
    totals.time_to_first_leader_ms =
        std::max(totals.time_to_first_leader_ms, metrics.time_to_first_leader_ms);
    totals.term_at_3s = std::max(totals.term_at_3s, metrics.term_at_3s);
    totals.deser_errors += metrics.deser_errors;
    totals.double_votes += metrics.double_votes;
    totals.unknown_group_drops += metrics.unknown_group_drops;
    totals.raft_inbox_drops += metrics.raft_inbox_drops;
    totals.snapshots_installed += metrics.snapshots_installed;
    totals.metadata_sync.attempts += metrics.metadata_sync.attempts;
    totals.metadata_sync.started += metrics.metadata_sync.started;
    totals.metadata_sync.succeeded += metrics.metadata_sync.succeeded;
    totals.metadata_sync.failed += metrics.metadata_sync.failed;
    totals.metadata_sync.retries += metrics.metadata_sync.retries;
    totals.metadata_sync.deferred += metrics.metadata_sync.deferred;
    totals.produce.sent += metrics.produce.sent;
    totals.produce.acked += metrics.produce.acked;
    totals.produce.failed += metrics.produce.failed;
    totals.produce.lost_acked += metrics.produce.lost_acked;
    if (const auto* const lag = replica_lag_.maxima(name)) {
      metrics.replica_lag_by_node = *lag;
      for (const auto& [node, max] : *lag) {
        metrics.replica_lag_entries_max = std::max(metrics.replica_lag_entries_max, max.entries);
        metrics.replica_lag_ms_max = std::max(metrics.replica_lag_ms_max, max.ms);
      }
    }
    totals.replica_lag_entries_max =
        std::max(totals.replica_lag_entries_max, metrics.replica_lag_entries_max);
    totals.replica_lag_ms_max = std::max(totals.replica_lag_ms_max, metrics.replica_lag_ms_max);
    totals.storage.damage += metrics.storage.damage;
    totals.storage.hard_state += metrics.storage.hard_state;
    totals.storage.snapshot += metrics.storage.snapshot;
    totals.storage.log_record += metrics.storage.log_record;
    totals.storage.commit += metrics.storage.commit;
    totals.storage.repair_marker += metrics.storage.repair_marker;
    totals.storage.repairs += metrics.storage.repairs;
    totals.storage.torn_tails += metrics.storage.torn_tails;
    totals.follower_regressions += metrics.follower_regressions;
    result.groups.emplace(name, metrics);
  }
  totals.produce.latency_p50_ms = percentile(all_latencies, 0.50);
  totals.produce.latency_p99_ms = percentile(all_latencies, 0.99);
  finish_rates(totals, window_ns);
  return result;
}

std::optional<int> MetricsObserver::current_leader(std::string_view group_name) const {
  const sim::NameIndex::Id id = group_ids_.find(group_name);
  if (id == sim::NameIndex::kAbsent || groups_[id].leaders.empty()) return std::nullopt;
  int best_node = 0;
  std::int64_t best_term = -1;
  for (const auto& [node, term] : groups_[id].leaders) {
    if (term > best_term) {
      best_term = term;
      best_node = node;
    }
  }
  return best_node;
}

bool MetricsObserver::has_leader(std::string_view group_name) const {
  return current_leader(group_name).has_value();
}

}  // namespace simrun::cli
