#include "tools/simrun/timeline.h"

#include <algorithm>

#include "broker/events.h"
#include "sim/assert.h"
#include "sim/trace_kinds.h"
#include "tools/simrun/chrome_trace.h"

namespace simrun::cli {

namespace {

// Milliseconds with microsecond precision, for the page only (never hashed).
double ms(sim::time_ns ns) { return static_cast<double>(ns / 1000) / 1000.0; }

bool is_network_fault(std::string_view action) {
  return action == "partition" || action == "cut_one_way" || action == "isolate" ||
         action == "bridge" || action == "clog";
}

char role_letter(Timeline::Role role) {
  switch (role) {
    case Timeline::Role::follower:
      return 'f';
    case Timeline::Role::pre_candidate:
      return 'p';
    case Timeline::Role::candidate:
      return 'c';
    case Timeline::Role::leader:
      return 'l';
    case Timeline::Role::none:
      return '-';
  }
  SIMRUN_ASSERT(false, "unknown role");
  return '-';
}

Timeline::Role role_from(std::string_view text) {
  if (text == "leader") return Timeline::Role::leader;
  if (text == "candidate") return Timeline::Role::candidate;
  if (text == "pre_candidate") return Timeline::Role::pre_candidate;
  if (text == "follower") return Timeline::Role::follower;
  SIMRUN_ASSERT(false, "raft.role_changed with an unknown role");
  return Timeline::Role::none;
}

}  // namespace

std::string_view Timeline::name(Role role) {
  switch (role) {
    case Role::follower:
      return "follower";
    case Role::pre_candidate:
      return "pre_candidate";
    case Role::candidate:
      return "candidate";
    case Role::leader:
      return "leader";
    case Role::none:
      return "none";
  }
  SIMRUN_ASSERT(false, "unknown role");
  return "none";
}

Timeline::Timeline(sim::time_ns end)
    : end_(std::max<sim::time_ns>(end, kBuckets)),
      bucket_ns_((end_ + kBuckets - 1) / kBuckets),
      traffic_(kBuckets, std::array<std::int32_t, 4>{}) {}

int Timeline::bucket(sim::time_ns time) const {
  return static_cast<int>(std::clamp<sim::time_ns>(time / bucket_ns_, 0, kBuckets - 1));
}

void Timeline::add_process(std::int64_t process, std::string_view process_name) {
  const std::string text(process_name);
  if (text.size() > 1 && text[0] == 'n' &&
      text.find_first_not_of("0123456789", 1) == std::string::npos) {
    const std::int64_t node = std::stoll(text.substr(1));
    nodes_[node] = text;
    process_nodes_[process] = node;
  }
}

void Timeline::set_heartbeat_period(std::string_view group_name, sim::duration_ns period) {
  SIMRUN_ASSERT(period >= 0, "a heartbeat period is not negative");
  heartbeat_period_ns_.insert_or_assign(std::string(group_name), period);
}

Timeline::Group& Timeline::group(std::string_view group_name) {
  auto found = groups_.find(group_name);
  if (found == groups_.end()) {
    Group added;
    added.max_term.assign(kBuckets, 0);
    added.elections.assign(kBuckets, 0);
    added.pre_votes.assign(kBuckets, 0);
    found = groups_.emplace(std::string(group_name), std::move(added)).first;
  }
  return found->second;
}

void Timeline::add_role_time(Replica& replica, sim::time_ns from, sim::time_ns to) const {
  const auto role = static_cast<std::size_t>(replica.role);
  // At most kBuckets iterations: one per bucket the interval touches.
  for (int index = bucket(from); index <= bucket(to) && from < to; ++index) {
    const sim::time_ns bucket_end =
        index == kBuckets - 1 ? to : std::min(to, (index + 1) * bucket_ns_);
    replica.role_ns[static_cast<std::size_t>(index)][role] += bucket_end - from;
    from = bucket_end;
  }
}

void Timeline::set_role(const std::string& group_name, std::int64_t node, Role role,
                        std::int64_t term, sim::time_ns now) {
  auto [found, added] = replicas_.try_emplace({group_name, node});
  Replica& replica = found->second;
  if (added) {
    replica.role_ns.assign(kBuckets, std::array<sim::duration_ns, kRoleCount>{});
    replica.since = now;
  }
  add_role_time(replica, replica.since, now);
  if (replica.role != Role::none && now > replica.since && segments_complete_) {
    if (segment_count_ >= kMaxSegments) {
      segments_complete_ = false;  // the page falls back to the buckets
    } else {
      replica.segments.push_back(Segment{replica.since, now, replica.role, replica.term});
      ++segment_count_;
    }
  }
  replica.role = role;
  replica.term = term;
  replica.since = now;
}

void Timeline::close_windows(std::vector<Window>& windows, sim::time_ns now,
                             std::string_view action, std::string_view targets) {
  for (Window& window : windows) {
    if (window.to) continue;
    const bool matches = action == "heal" ? is_network_fault(window.action)
                                          : window.action == action && window.targets == targets;
    if (matches) window.to = now;
  }
}

void Timeline::observe_fault(const sim::TraceRecord& record) {
  const sim::time_ns now = record.time;
  if (!record.has("action")) {
    // The World's record: pauses and resumes of a node's process.
    const std::string_view type = record.text("type");
    const auto node = process_nodes_.find(record.number("process"));
    if (node == process_nodes_.end()) return;
    if (type == "pause" && node_down_.size() < kMaxFaults) {
      node_down_.push_back(Window{now, std::nullopt, "paused", "", "", "", node->second});
    } else if (type == "resume") {
      for (Window& window : node_down_) {
        if (!window.to && window.action == "paused" && window.node == node->second) window.to = now;
      }
    }
    return;
  }
  const std::string action(record.text("action"));
  const std::string targets(record.text("targets"));
  // The faults that end others: a heal ends every network cut, a restart
  // the crash of its targets, a resume their pause.
  if (action == "heal") close_windows(faults_, now, "heal", "");
  if (action == "restart") {
    close_windows(faults_, now, "crash", targets);
    close_windows(faults_, now, "controlled_shutdown", targets);
  }
  if (action == "resume") close_windows(faults_, now, "pause", targets);
  if (faults_.size() >= kMaxFaults) {
    ++faults_dropped_;
    return;
  }
  Window window{now, std::nullopt, action, targets, std::string(record.text("origin")), "", 0};
  const sim::duration_ns duration = sim::millis(record.number("duration_ms"));
  if (duration > 0) {
    window.to = now + duration;
  } else if (action == "heal" || action == "restart" || action == "resume" ||
             action == "clock_jump") {
    window.to = now;  // an instant
  }
  faults_.push_back(std::move(window));
}

void Timeline::observe(const sim::TraceRecord& record) {
  const std::string_view kind = record.kind;
  const sim::time_ns now = record.time;
  const int at = bucket(now);
  const auto index = static_cast<std::size_t>(at);
  auto note_term = [&](std::string_view group_name, std::int64_t term) {
    std::int64_t& slot = group(group_name).max_term[index];
    slot = std::max(slot, term);
  };
  if (kind == sim::trace_kinds::kProcessAdd) {
    add_process(record.number("process"), record.text("name"));
  } else if (kind == broker::events::kRoleChanged) {
    const std::string group_name(record.text("group"));
    const std::int64_t node = record.number("node");
    const std::int64_t term = record.number("term");
    const Role role = role_from(record.text("role"));
    note_term(group_name, term);
    set_role(group_name, node, role, term, now);
    Group& state = group(group_name);
    if (role == Role::leader &&
        (node != state.last_leader_node || term != state.last_leader_term)) {
      state.last_leader_node = node;
      state.last_leader_term = term;
      if (leader_changes_.size() < kMaxMarkers) {
        leader_changes_.push_back(Marker{now, group_name, node, term});
      } else {
        ++markers_dropped_;
      }
    }
  } else if (kind == broker::events::kTermChanged) {
    note_term(record.text("group"), record.number("term"));
  } else if (kind == broker::events::kElectionStarted) {
    const std::string_view group_name = record.text("group");
    note_term(group_name, record.number("term"));
    if (record.number("pre_vote") != 0) {
      ++group(group_name).pre_votes[index];
    } else {
      ++group(group_name).elections[index];
      if (elections_.size() < kMaxMarkers) {
        elections_.push_back(
            Marker{now, std::string(group_name), record.number("node"), record.number("term")});
      } else {
        ++markers_dropped_;
      }
    }
  } else if (kind == broker::events::kNodeCrashed) {
    const std::int64_t node = record.number("node");
    std::vector<std::string> held;
    for (const auto& [key, replica] : replicas_) {
      if (key.second == node) held.push_back(key.first);
    }
    for (const std::string& group_name : held) set_role(group_name, node, Role::none, 0, now);
    if (node_down_.size() < kMaxFaults) {
      node_down_.push_back(Window{now, std::nullopt, "down", "", "", "", node});
    }
  } else if (kind == broker::events::kNodeStarted) {
    const std::int64_t node = record.number("node");
    for (Window& window : node_down_) {
      if (!window.to && window.action == "down" && window.node == node) window.to = now;
    }
  } else if (kind == broker::events::kHeartbeatGap) {
    const std::string_view group_name = record.text("group");
    const auto period = heartbeat_period_ns_.find(group_name);
    const sim::duration_ns beat = period == heartbeat_period_ns_.end() || period->second <= 0
                                      ? kDefaultHeartbeatPeriod
                                      : period->second;
    const sim::duration_ns gap = record.number("gap_ns");
    if (gap <= kStallHeartbeatPeriods * beat) return;
    if (gaps_.size() >= kMaxGaps) {
      ++gaps_dropped_;
      return;
    }
    gaps_.push_back(Window{now - gap, now, "heartbeat_gap", std::string(group_name), "",
                           "leader n" + std::to_string(record.number("leader")),
                           record.number("node")});
  } else if (kind == broker::events::kProduceAcked) {
    ++traffic_[index][0];
  } else if (kind == broker::events::kProduceFailed) {
    ++traffic_[index][1];
  } else if (kind == broker::events::kMetaSyncSucceeded) {
    ++traffic_[index][2];
  } else if (kind == broker::events::kMetaSyncFailed) {
    ++traffic_[index][3];
  } else if (kind == sim::trace_kinds::kFault) {
    observe_fault(record);
  }
}

nlohmann::json Timeline::to_json(sim::time_ns end) const {
  using nlohmann::json;
  json nodes = json::array();
  for (const auto& [node, process_name] : nodes_)
    nodes.push_back({{"id", node}, {"name", process_name}});
  json groups = json::array();
  for (const auto& [group_name, state] : groups_) {
    json replicas = json::array();
    for (const auto& [key, stored] : replicas_) {
      if (key.first != group_name) continue;
      Replica replica = stored;  // close the open interval on a copy
      add_role_time(replica, replica.since, end);
      std::string dominant(kBuckets, '-');
      for (std::size_t index = 0; index < dominant.size(); ++index) {
        const auto& role_ns = replica.role_ns[index];
        const auto best = std::max_element(role_ns.begin(), role_ns.end());
        if (*best > 0) dominant[index] = role_letter(static_cast<Role>(best - role_ns.begin()));
      }
      json segments = json::array();
      if (segments_complete_) {
        for (const Segment& segment : replica.segments) {
          segments.push_back({ms(segment.from), ms(segment.to),
                              std::string(1, role_letter(segment.role)), segment.term});
        }
        if (replica.role != Role::none && end > replica.since) {
          segments.push_back({ms(replica.since), ms(end), std::string(1, role_letter(replica.role)),
                              replica.term});
        }
      }
      replicas.push_back({{"node", key.second}, {"dominant", dominant}, {"segments", segments}});
    }
    groups.push_back({{"name", group_name},
                      {"max_term", state.max_term},
                      {"elections", state.elections},
                      {"pre_votes", state.pre_votes},
                      {"replicas", replicas}});
  }
  auto markers = [](const std::vector<Marker>& list) {
    json out = json::array();
    for (const Marker& marker : list)
      out.push_back({ms(marker.time), marker.group, marker.node, marker.term});
    return out;
  };
  auto windows = [&](const std::vector<Window>& list) {
    json out = json::array();
    for (const Window& window : list) {
      json entry = {{"from_ms", ms(window.from)},
                    {"to_ms", ms(window.to.value_or(end))},
                    {"open", !window.to.has_value()},
                    {"action", window.action}};
      if (!window.targets.empty()) entry["targets"] = window.targets;
      if (!window.origin.empty()) entry["origin"] = window.origin;
      if (!window.detail.empty()) entry["detail"] = window.detail;
      if (window.node != 0) entry["node"] = window.node;
      out.push_back(std::move(entry));
    }
    return out;
  };
  json traffic = {{"acked", json::array()},
                  {"failed", json::array()},
                  {"sync_ok", json::array()},
                  {"sync_failed", json::array()}};
  for (const auto& counts : traffic_) {
    traffic["acked"].push_back(counts[0]);
    traffic["failed"].push_back(counts[1]);
    traffic["sync_ok"].push_back(counts[2]);
    traffic["sync_failed"].push_back(counts[3]);
  }
  return {{"end_ms", ms(end)},
          {"bucket_ms", ms(bucket_ns_)},
          {"buckets", kBuckets},
          {"nodes", nodes},
          {"groups", groups},
          {"segments_complete", segments_complete_},
          {"elections", markers(elections_)},
          {"leaders", markers(leader_changes_)},
          {"markers_dropped", markers_dropped_},
          {"faults", windows(faults_)},
          {"faults_dropped", faults_dropped_},
          {"node_windows", windows(node_down_)},
          {"gaps", windows(gaps_)},
          {"gaps_dropped", gaps_dropped_},
          {"traffic", traffic},
          {"stall_heartbeat_periods", kStallHeartbeatPeriods}};
}

}  // namespace simrun::cli
