#pragma once
// DIR/trace.json: the run in the Chrome trace event format, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open. Built by a trace observer
// during the run, in bounded memory:
//  - every simulated process is a process ("n1".."n9", "admin",
//    "producer1", ...; pid = process id + 1), plus pid 0 "cluster" for faults
//    without node targets (partitions, heal);
//  - threads: "faults" (tid 1), "disk" (tid 2), "network" (tid 3) and one
//    thread per Raft group (tid 10 + the group's order of first appearance,
//    the same on every node);
//  - slices: each node's role in each group (follower, pre_candidate,
//    candidate, leader, with the term; a candidate slice is an election),
//    election starts, fsyncs (their wait), applies (zero length), heartbeat
//    gaps longer than kStallHeartbeatPeriods heartbeat periods ("stall"),
//    injected faults (with their duration) and crashes/restarts;
//  - messages (net.deliver) as flow events from a slice on the sender's
//    network thread to one on the receiver's.
// The cap: each category has a budget of events (ChromeTraceBudget; about 130,000
// events, under 20 MiB, in all); past it, further events of that category are
// dropped and counted in otherData.simrun.dropped, so a long run keeps its
// beginning in full detail and still opens quickly.

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"
#include "sim/trace.h"

namespace simrun::cli {

// A heartbeat gap is a stall when longer than this many heartbeat periods
// (a follower missed at least three heartbeats in a row).
inline constexpr std::int64_t kStallHeartbeatPeriods = 4;
// The heartbeat period assumed for a group whose period was not set.
inline constexpr sim::duration_ns kDefaultHeartbeatPeriod = sim::millis(100);

enum class ChromeTraceCategory { role, election, fault, stall, disk, apply, message };

struct ChromeTraceBudget {
  std::size_t role = 40'000;  // role slices (elections included)
  std::size_t election = 10'000;
  std::size_t fault = 5'000;
  std::size_t stall = 10'000;
  std::size_t disk = 15'000;
  std::size_t apply = 15'000;
  std::size_t message = 10'000;  // messages; each is 4 events (2 slices, 2 flow ends)
  std::size_t of(ChromeTraceCategory category) const;
};

class ChromeTrace {
 public:
  using Category = ChromeTraceCategory;
  using Budget = ChromeTraceBudget;
  static constexpr int kCategoryCount = 7;
  static std::string_view name(Category category);

  ChromeTrace() : ChromeTrace(Budget{}) {}
  explicit ChromeTrace(Budget budget);

  void set_heartbeat_period(std::string_view group, sim::duration_ns period);
  // A simulated process and its name ("n3" is Raft node 3); also learnt
  // from process.add records, for processes added after observing began.
  void add_process(std::int64_t process, std::string_view name);
  void observe(const sim::TraceRecord& record);

  // The JSON document, open role slices closed at `end`.
  void write(std::ostream& out, sim::time_ns end, const std::string& title) const;

  // Events kept and dropped per category (messages count once each).
  std::size_t kept(Category category) const;
  std::size_t dropped(Category category) const;

 private:
  struct Event {
    Category category = Category::role;
    char phase = 'X';  // X complete slice, i instant, s/f flow start/end
    int pid = 0;
    int tid = 0;
    sim::time_ns ts = 0;
    sim::duration_ns dur = 0;
    std::uint64_t flow_id = 0;
    std::string name;
    std::string args;  // a rendered JSON object, or empty
  };
  struct OpenRole {
    sim::time_ns since = 0;
    std::string role;
    std::int64_t term = 0;
  };

  bool admit(Category category);
  void add(Event event);
  int node_pid(std::int64_t node) const;
  int group_tid(std::string_view group);
  void close_role(const std::pair<std::string, std::int64_t>& key, sim::time_ns now);
  Event role_slice(const std::string& group, std::int64_t node, const OpenRole& open,
                   sim::time_ns end) const;
  void observe_fault(const sim::TraceRecord& record);

  Budget budget_;
  std::size_t kept_[kCategoryCount] = {};
  std::size_t dropped_[kCategoryCount] = {};
  std::vector<Event> events_;
  std::map<int, std::string> process_names_;  // pid -> name
  std::map<std::int64_t, int> node_pids_;     // Raft node id -> pid
  std::map<std::string, int, std::less<>> group_tids_;
  std::map<std::string, sim::duration_ns, std::less<>> heartbeat_period_ns_;
  std::map<std::pair<std::string, std::int64_t>, OpenRole> open_roles_;  // (group, node)
};

}  // namespace simrun::cli
