#pragma once
// The run's timeline for report.html, aggregated by a trace observer during
// the run in bounded memory, so a 10-minute run with thousands of elections
// still gives a page of a few hundred KiB:
//  - each node's role in each Raft group, as exact segments (from, to, role,
//    term) while their total stays under kMaxSegments, and always as
//    kBuckets time buckets per (group, node) holding the time spent in each
//    role (the page shows the dominant one);
//  - node lanes: crashed and paused intervals;
//  - elections and leader changes, exact up to kMaxMarkers each, and counted
//    per bucket and group always;
//  - injected fault windows (duration, or until the heal / restart / resume
//    that ends them, or the end of the run), up to kMaxFaults;
//  - heartbeat gaps longer than kStallHeartbeatPeriods heartbeat periods
//    (chrome_trace.h), up to kMaxGaps, counted beyond;
//  - produce acknowledged / failed and metadata syncs succeeded / failed per
//    bucket.
// Everything is keyed by simulated time; nothing here reads a clock.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/time.h"
#include "sim/trace.h"

namespace simrun::cli {

class Timeline {
 public:
  static constexpr int kBuckets = 1000;
  static constexpr std::size_t kMaxSegments = 20'000;
  static constexpr std::size_t kMaxMarkers = 5'000;
  static constexpr std::size_t kMaxFaults = 2'000;
  static constexpr std::size_t kMaxGaps = 2'000;
  // Roles, in the order of Timeline::Role; "none" while the node is down or
  // has not reported a role yet.
  enum class Role : std::uint8_t { follower, pre_candidate, candidate, leader, none };
  static constexpr int kRoleCount = 5;
  static std::string_view name(Role role);

  // `end`: the run's planned end (the bucket width is end / kBuckets);
  // records after it land in the last bucket.
  explicit Timeline(sim::time_ns end);

  void add_process(std::int64_t process, std::string_view name);
  void set_heartbeat_period(std::string_view group, sim::duration_ns period);
  void observe(const sim::TraceRecord& record);

  // The page's data, open intervals closed at `end`.
  nlohmann::json to_json(sim::time_ns end) const;

 private:
  struct Segment {
    sim::time_ns from = 0;
    sim::time_ns to = 0;
    Role role = Role::none;
    std::int64_t term = 0;
  };
  struct Replica {  // one node's view of one group
    Role role = Role::none;
    std::int64_t term = 0;
    sim::time_ns since = 0;
    std::vector<std::array<sim::duration_ns, kRoleCount>> role_ns;  // per bucket
    std::vector<Segment> segments;
  };
  struct Group {
    std::vector<std::int64_t> max_term;   // per bucket
    std::vector<std::int32_t> elections;  // per bucket, real (not pre-vote)
    std::vector<std::int32_t> pre_votes;
    std::int64_t last_leader_node = 0;
    std::int64_t last_leader_term = -1;
  };
  struct Marker {
    sim::time_ns time = 0;
    std::string group;
    std::int64_t node = 0;
    std::int64_t term = 0;
  };
  struct Window {
    sim::time_ns from = 0;
    std::optional<sim::time_ns> to;  // open: until the end
    std::string action;
    std::string targets;
    std::string origin;
    std::string detail;  // heartbeat gaps: group and leader
    std::int64_t node = 0;
  };

  int bucket(sim::time_ns time) const;
  void add_role_time(Replica& replica, sim::time_ns from, sim::time_ns to) const;
  void set_role(const std::string& group, std::int64_t node, Role role, std::int64_t term,
                sim::time_ns now);
  Group& group(std::string_view name);
  void observe_fault(const sim::TraceRecord& record);
  void close_windows(std::vector<Window>& windows, sim::time_ns now, std::string_view action,
                     std::string_view targets);

  sim::time_ns end_;
  sim::duration_ns bucket_ns_;
  std::map<std::int64_t, std::string> nodes_;           // Raft node id -> process name
  std::map<std::int64_t, std::int64_t> process_nodes_;  // process id -> node id
  std::map<std::string, sim::duration_ns, std::less<>> heartbeat_period_ns_;
  std::map<std::pair<std::string, std::int64_t>, Replica> replicas_;  // (group, node)
  std::map<std::string, Group, std::less<>> groups_;
  std::size_t segment_count_ = 0;
  bool segments_complete_ = true;
  std::vector<Marker> elections_;
  std::vector<Marker> leader_changes_;
  std::uint64_t markers_dropped_ = 0;
  std::vector<Window> faults_;
  std::uint64_t faults_dropped_ = 0;
  std::vector<Window> node_down_;  // crashed ("down") and paused ("paused") intervals
  std::vector<Window> gaps_;
  std::uint64_t gaps_dropped_ = 0;
  std::vector<std::array<std::int32_t, 4>>
      traffic_;  // per bucket: acked, failed, sync ok, sync failed
};

}  // namespace simrun::cli
