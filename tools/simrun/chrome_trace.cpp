#include "tools/simrun/chrome_trace.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "broker/events.h"
#include "sim/assert.h"
#include "sim/trace_kinds.h"

namespace simrun::cli {

namespace {

constexpr int kClusterPid = 0;
constexpr int kFaultsTid = 1;
constexpr int kDiskTid = 2;
constexpr int kNetworkTid = 3;
constexpr int kFirstGroupTid = 10;

std::string json_string(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

// Trace event timestamps are microseconds; simulated time is nanoseconds,
// so three decimals keep it exact.
std::string micros(sim::time_ns ns) {
  return fmt::format("{}.{:03}", ns / 1000, static_cast<int>(ns % 1000));
}

}  // namespace

std::string_view ChromeTrace::name(Category category) {
  switch (category) {
    case Category::role:
      return "role";
    case Category::election:
      return "election";
    case Category::fault:
      return "fault";
    case Category::stall:
      return "stall";
    case Category::disk:
      return "disk";
    case Category::apply:
      return "apply";
    case Category::message:
      return "message";
  }
  SIMRUN_ASSERT(false, "unknown trace category");
  return {};
}

std::size_t ChromeTraceBudget::of(ChromeTraceCategory category) const {
  using Category = ChromeTraceCategory;
  switch (category) {
    case Category::role:
      return role;
    case Category::election:
      return election;
    case Category::fault:
      return fault;
    case Category::stall:
      return stall;
    case Category::disk:
      return disk;
    case Category::apply:
      return apply;
    case Category::message:
      return message;
  }
  SIMRUN_ASSERT(false, "unknown trace category");
  return {};
}

ChromeTrace::ChromeTrace(Budget budget) : budget_(budget) {
  process_names_[kClusterPid] = "cluster";
}

std::size_t ChromeTrace::kept(Category category) const { return kept_[static_cast<int>(category)]; }
std::size_t ChromeTrace::dropped(Category category) const {
  return dropped_[static_cast<int>(category)];
}

bool ChromeTrace::admit(Category category) {
  const auto index = static_cast<int>(category);
  if (kept_[index] >= budget_.of(category)) {
    ++dropped_[index];
    return false;
  }
  ++kept_[index];
  return true;
}

void ChromeTrace::add(Event event) { events_.push_back(std::move(event)); }

int ChromeTrace::node_pid(std::int64_t node) const {
  const auto found = node_pids_.find(node);
  // broker::Cluster adds node i as process i - 1, before anything else.
  return found == node_pids_.end() ? static_cast<int>(node) : found->second;
}

int ChromeTrace::group_tid(std::string_view group) {
  auto found = group_tids_.find(group);
  if (found == group_tids_.end()) {
    const int tid = kFirstGroupTid + static_cast<int>(group_tids_.size());
    found = group_tids_.emplace(std::string(group), tid).first;
  }
  return found->second;
}

void ChromeTrace::set_heartbeat_period(std::string_view group, sim::duration_ns period) {
  SIMRUN_ASSERT(period >= 0, "a heartbeat period is not negative");
  heartbeat_period_ns_.insert_or_assign(std::string(group), period);
}

ChromeTrace::Event ChromeTrace::role_slice(const std::string& group, std::int64_t node,
                                           const OpenRole& open, sim::time_ns end) const {
  Event event;
  event.category = Category::role;
  event.pid = node_pid(node);
  event.tid = group_tids_.find(group)->second;
  event.ts = open.since;
  event.dur = end - open.since;
  event.name = fmt::format("{} t{}", open.role, open.term);
  event.args = fmt::format("{{\"group\":{},\"role\":{},\"term\":{}}}", json_string(group),
                           json_string(open.role), open.term);
  return event;
}

void ChromeTrace::close_role(const std::pair<std::string, std::int64_t>& key, sim::time_ns now) {
  const auto found = open_roles_.find(key);
  if (found == open_roles_.end()) return;
  if (admit(Category::role)) add(role_slice(key.first, key.second, found->second, now));
  open_roles_.erase(found);
}

void ChromeTrace::observe_fault(const sim::TraceRecord& record) {
  const sim::time_ns now = record.time;
  if (!record.has("action")) {
    // The World's own record of what a fault did: crashes, stops and restarts are
    // instants on the process; the rest repeat the injector's record.
    const std::string_view type = record.text("type");
    if ((type == "crash" || type == "stop" || type == "restart") && admit(Category::fault)) {
      add(Event{Category::fault,
                'i',
                static_cast<int>(record.number("process")) + 1,
                kFaultsTid,
                now,
                0,
                0,
                std::string(type),
                {}});
    }
    return;
  }
  // The injector's record: {action, targets "n1,n3", duration_ms, origin}.
  const std::string_view action = record.text("action");
  const std::string_view targets = record.text("targets");
  const sim::duration_ns duration = sim::millis(record.number("duration_ms"));
  std::vector<int> pids;
  for (std::size_t at = 0; at < targets.size();) {
    std::size_t comma = targets.find(',', at);
    if (comma == std::string_view::npos) comma = targets.size();
    const std::string_view target = targets.substr(at, comma - at);
    if (target.size() > 1 && target[0] == 'n') {
      pids.push_back(node_pid(std::stoll(std::string(target.substr(1)))));
    }
    at = comma + 1;
  }
  if (pids.empty()) pids.push_back(kClusterPid);
  const std::string args =
      fmt::format("{{\"action\":{},\"targets\":{},\"origin\":{}}}", json_string(action),
                  json_string(targets), json_string(record.text("origin")));
  for (const int pid : pids) {
    if (!admit(Category::fault)) return;
    add(Event{Category::fault, duration > 0 ? 'X' : 'i', pid, kFaultsTid, now, duration, 0,
              std::string(action), args});
  }
}

void ChromeTrace::add_process(std::int64_t process, std::string_view process_name) {
  const int pid = static_cast<int>(process) + 1;
  const std::string text(process_name);
  process_names_[pid] = text;
  if (text.size() > 1 && text[0] == 'n' &&
      text.find_first_not_of("0123456789", 1) == std::string::npos) {
    node_pids_[std::stoll(text.substr(1))] = pid;
  }
}

void ChromeTrace::observe(const sim::TraceRecord& record) {
  const std::string_view kind = record.kind;
  const sim::time_ns now = record.time;
  if (kind == sim::trace_kinds::kProcessAdd) {
    add_process(record.number("process"), record.text("name"));
  } else if (kind == broker::events::kRoleChanged) {
    const std::string group(record.text("group"));
    const std::int64_t node = record.number("node");
    group_tid(group);
    close_role({group, node}, now);
    open_roles_[{group, node}] =
        OpenRole{now, std::string(record.text("role")), record.number("term")};
  } else if (kind == broker::events::kNodeCrashed) {
    // A crashed node holds no role until it restarts and reports one.
    const std::int64_t node = record.number("node");
    std::vector<std::pair<std::string, std::int64_t>> closing;
    for (const auto& [key, open] : open_roles_) {
      if (key.second == node) closing.push_back(key);
    }
    for (const auto& key : closing) close_role(key, now);
  } else if (kind == broker::events::kElectionStarted) {
    if (!admit(Category::election)) return;
    const bool pre_vote = record.number("pre_vote") != 0;
    const std::string group(record.text("group"));
    add(Event{
        Category::election, 'i', node_pid(record.number("node")), group_tid(group), now, 0, 0,
        fmt::format("{} t{}", pre_vote ? "pre-vote" : "election", record.number("term")),
        fmt::format("{{\"group\":{},\"pre_vote\":{}}}", json_string(group), pre_vote ? 1 : 0)});
  } else if (kind == broker::events::kHeartbeatGap) {
    const std::string_view group = record.text("group");
    const auto period = heartbeat_period_ns_.find(group);
    const sim::duration_ns beat = period == heartbeat_period_ns_.end() || period->second <= 0
                                      ? kDefaultHeartbeatPeriod
                                      : period->second;
    const sim::duration_ns gap = record.number("gap_ns");
    if (gap <= kStallHeartbeatPeriods * beat || !admit(Category::stall)) return;
    add(Event{Category::stall, 'X', node_pid(record.number("node")), group_tid(group), now - gap,
              gap, 0, "heartbeat gap",
              fmt::format("{{\"group\":{},\"leader\":{},\"gap_ms\":{}}}", json_string(group),
                          record.number("leader"), gap / 1'000'000)});
  } else if (kind == sim::trace_kinds::kDiskFsync) {
    const sim::duration_ns waited = record.number("wait_ns");
    if (waited <= 0 || !admit(Category::disk)) return;
    add(Event{Category::disk,
              'X',
              static_cast<int>(record.number("process")) + 1,
              kDiskTid,
              now - waited,
              waited,
              0,
              "fsync",
              {}});
  } else if (kind == broker::events::kApplied) {
    if (!admit(Category::apply)) return;
    const std::string_view group = record.text("group");
    add(Event{Category::apply, 'X', node_pid(record.number("node")), group_tid(group), now, 0, 0,
              fmt::format("apply {}", record.number("index")),
              fmt::format("{{\"term\":{}}}", record.number("term"))});
  } else if (kind == sim::trace_kinds::kNetDeliver) {
    if (!admit(Category::message)) return;
    const auto id = static_cast<std::uint64_t>(record.number("id"));
    const int from = static_cast<int>(record.number("from")) + 1;
    const int to = static_cast<int>(record.number("to")) + 1;
    const sim::time_ns sent = now - record.number("latency_ns");
    // Flow ends bind to the enclosing slice, so each end gets a 1 us slice.
    add(Event{Category::message, 'X', from, kNetworkTid, sent, 1000, 0, "send", {}});
    add(Event{Category::message, 's', from, kNetworkTid, sent, 0, id, "message", {}});
    add(Event{Category::message, 'X', to, kNetworkTid, now, 1000, 0, "receive", {}});
    add(Event{Category::message, 'f', to, kNetworkTid, now, 0, id, "message", {}});
  } else if (kind == sim::trace_kinds::kFault) {
    observe_fault(record);
  }
}

void ChromeTrace::write(std::ostream& out, sim::time_ns end, const std::string& title) const {
  out << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  bool first = true;
  auto line = [&](const std::string& text) {
    out << (first ? "" : ",\n") << text;
    first = false;
  };
  // Names for every process and thread an event uses.
  std::map<int, std::set<int>> threads;
  auto render = [&](const Event& event) {
    threads[event.pid].insert(event.tid);
    std::string text = fmt::format(
        "{{\"ph\":\"{}\",\"cat\":\"{}\",\"name\":{},\"pid\":{},\"tid\":{},\"ts\":{}", event.phase,
        name(event.category), json_string(event.name), event.pid, event.tid, micros(event.ts));
    if (event.phase == 'X') text += ",\"dur\":" + micros(event.dur);
    if (event.phase == 'i') text += ",\"s\":\"t\"";
    if (event.phase == 's' || event.phase == 'f') text += fmt::format(",\"id\":{}", event.flow_id);
    if (event.phase == 'f') text += ",\"bp\":\"e\"";
    if (!event.args.empty()) text += ",\"args\":" + event.args;
    line(text + "}");
  };
  for (const Event& event : events_) render(event);
  // Roles still held at the end, within the same budget.
  std::size_t role_room = budget_.role - std::min(budget_.role, kept(Category::role));
  std::size_t unclosed_dropped = 0;
  for (const auto& [key, open] : open_roles_) {
    if (role_room == 0) {
      ++unclosed_dropped;
      continue;
    }
    --role_room;
    render(role_slice(key.first, key.second, open, end));
  }
  for (const auto& [pid, tids] : threads) {
    const auto named = process_names_.find(pid);
    line(fmt::format(
        "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{},\"tid\":0,\"args\":{{\"name\":{}}}}}",
        pid,
        json_string(named == process_names_.end() ? fmt::format("process {}", pid - 1)
                                                  : named->second)));
    line(
        fmt::format("{{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":{},\"tid\":0,\"args\":{"
                    "{\"sort_index\":{}}}}}",
                    pid, pid));
    for (const int tid : tids) {
      std::string thread = tid == kFaultsTid ? "faults" : tid == kDiskTid ? "disk" : "network";
      for (const auto& [group, group_tid_value] : group_tids_) {
        if (group_tid_value == tid) thread = "raft " + group;
      }
      line(
          fmt::format("{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{},\"tid\":{},\"args\":{{"
                      "\"name\":{}}}}}",
                      pid, tid, json_string(thread)));
    }
  }
  nlohmann::json kept_json = nlohmann::json::object();
  nlohmann::json dropped_json = nlohmann::json::object();
  nlohmann::json budget_json = nlohmann::json::object();
  for (int index = 0; index < kCategoryCount; ++index) {
    const auto category = static_cast<Category>(index);
    kept_json[std::string(name(category))] = kept_[index];
    dropped_json[std::string(name(category))] = dropped_[index];
    budget_json[std::string(name(category))] = budget_.of(category);
  }
  dropped_json["role"] = dropped_json["role"].get<std::size_t>() + unclosed_dropped;
  out << "\n],\"otherData\":{\"simrun\":"
      << nlohmann::json{{"title", title},
                        {"end_ms", end / 1'000'000},
                        {"kept", kept_json},
                        {"dropped", dropped_json},
                        {"budget", budget_json}}
             .dump()
      << "}}\n";
}

}  // namespace simrun::cli
