#include "tools/simrun/fault_triggers.h"

#include <algorithm>

#include "broker/events.h"
#include "sim/assert.h"
#include "tools/simrun/duration.h"

namespace simrun::cli {

const TriggerEventInfo& trigger_event_info(TriggerEvent event) {
  const auto index = static_cast<std::size_t>(event);
  SIMRUN_ASSERT(index < kTriggerEvents.size() && kTriggerEvents[index].event == event,
                "kTriggerEvents must list every TriggerEvent in enum order");
  return kTriggerEvents[index];
}

std::optional<TriggerEvent> trigger_event_from_name(std::string_view name) {
  for (const TriggerEventInfo& info : kTriggerEvents) {
    if (info.name == name) return info.event;
  }
  return std::nullopt;
}

nlohmann::json trigger_to_json(const TriggerSpec& trigger) {
  nlohmann::json entry = {{"event", std::string(trigger_event_info(trigger.event).name)}};
  if (trigger.node > 0) entry["node"] = "n" + std::to_string(trigger.node);
  if (!trigger.group.empty()) entry["group"] = trigger.group;
  if (!trigger.client.empty()) entry["client"] = trigger.client;
  if (trigger.after_ms > 0) entry["after"] = format_duration_ms(trigger.after_ms);
  if (trigger.within_ms) entry["within"] = format_duration_ms(*trigger.within_ms);
  if (trigger.delay_ms > 0) entry["delay"] = format_duration_ms(trigger.delay_ms);
  return entry;
}

void TriggerWatcher::set_node_process(int node_id, std::uint32_t process) {
  node_of_process_[process] = node_id;
}

void TriggerWatcher::arm(const TriggerSpec& spec, sim::time_ns from, sim::time_ns until,
                         Fire fire) {
  SIMRUN_ASSERT(from <= until, "a trigger's window must not end before it starts");
  // Bounded like the nemesis schedule: 16 kinds of at most 10,000 faults,
  // plus the file's faults and their `until`s.
  SIMRUN_ASSERT(armed_.size() < 200'000, "too many armed triggers");
  armed_.push_back(Armed{spec, from, until, std::move(fire)});
}

std::vector<std::pair<TriggerEvent, TriggerMatch>> TriggerWatcher::events_of(
    const sim::TraceRecord& record) {
  namespace events = broker::events;
  std::vector<std::pair<TriggerEvent, TriggerMatch>> found;
  const std::string_view kind = record.kind;
  auto node_event = [&](TriggerEvent event, int node) {
    found.emplace_back(event, TriggerMatch{sim::to_millis(record.time), node, "",
                                           std::string(record.text("group"))});
  };
  auto client_event = [&](TriggerEvent event) {
    found.emplace_back(event, TriggerMatch{sim::to_millis(record.time), 0,
                                           std::string(record.text("client")), ""});
  };
  // With nothing armed only the leadership bookkeeping below runs: return
  // before the field lookup (this runs for every record of the run).
  if (armed_.empty() && kind != events::kRoleChanged && kind != events::kNodeCrashed) return found;
  const int node = static_cast<int>(record.number("node"));
  if (kind == events::kRoleChanged) {
    const bool leader = record.text("role") == "leader";
    auto [slot, inserted] = leading_.try_emplace({std::string(record.text("group")), node}, false);
    const bool was_leader = slot->second;
    slot->second = leader;
    if (leader) node_event(TriggerEvent::became_leader, node);
    if (was_leader && !leader) node_event(TriggerEvent::stepped_down, node);
  } else if (kind == events::kNodeCrashed) {
    // A crashed node leads nothing; its restart's follower role is no step-down.
    for (auto& [key, leading] : leading_) {
      if (key.second == node) leading = false;
    }
    node_event(TriggerEvent::node_crashed, node);
  } else if (armed_.empty()) {
    return found;
  } else if (kind == events::kElectionStarted) {
    node_event(record.number("pre_vote") == 0 ? TriggerEvent::election_started
                                              : TriggerEvent::pre_vote_started,
               node);
  } else if (kind == events::kVote) {
    if (record.number("granted") == 1) node_event(TriggerEvent::vote_granted, node);
  } else if (kind == events::kVoteReceived) {
    if (record.number("granted") == 1) {
      node_event(TriggerEvent::vote_delivered, static_cast<int>(record.number("voter")));
    }
  } else if (kind == sim::trace_kinds::kDiskFsyncStarted) {
    const auto found_node =
        node_of_process_.find(static_cast<std::uint32_t>(record.number("process")));
    if (found_node != node_of_process_.end()) {
      node_event(TriggerEvent::fsync_started, found_node->second);
    }
  } else if (kind == events::kLogTruncated) {
    node_event(TriggerEvent::log_truncated, node);
  } else if (kind == events::kSnapshotInstalled) {
    node_event(TriggerEvent::snapshot_installed, node);
  } else if (kind == events::kCommitAdvanced) {
    node_event(TriggerEvent::commit_advanced, node);
  } else if (kind == events::kNodeStarted) {
    node_event(TriggerEvent::node_started, node);
  } else if (kind == events::kProduceAcked) {
    client_event(TriggerEvent::produce_acked);
  } else if (kind == events::kProduceFailed) {
    client_event(TriggerEvent::produce_failed);
  } else if (kind == events::kOffsetCommit) {
    client_event(TriggerEvent::offset_committed);
  }
  return found;
}

void TriggerWatcher::observe(const sim::TraceRecord& record, RecordKind kind) {
  // With nothing armed only the leadership bookkeeping of events_of runs:
  // every other record (all of the kernel's) returns here.
  if (armed_.empty() && kind != kind_of(broker::events::kRoleChanged) &&
      kind != kind_of(broker::events::kNodeCrashed)) {
    return;
  }
  const auto found = events_of(record);
  if (found.empty() || armed_.empty()) return;
  // Collect first: a fire callback may arm more triggers (an `until`).
  std::vector<std::pair<Fire, TriggerMatch>> firing;
  for (const auto& [event, match] : found) {
    for (auto it = armed_.begin(); it != armed_.end();) {
      const TriggerSpec& spec = it->spec;
      const bool hit = spec.event == event && record.time >= it->from && record.time < it->until &&
                       (spec.node == 0 || spec.node == match.node) &&
                       (spec.group.empty() || spec.group == match.group) &&
                       (spec.client.empty() || spec.client == match.client);
      if (!hit) {
        ++it;
        continue;
      }
      firing.emplace_back(std::move(it->fire), match);
      it = armed_.erase(it);
    }
  }
  for (auto& [fire, match] : firing) {
    ++fired_;
    fire(match);
  }
}

std::uint64_t TriggerWatcher::expire(sim::time_ns now) {
  const auto before = armed_.size();
  std::erase_if(armed_, [now](const Armed& armed) { return armed.until <= now; });
  return before - armed_.size();
}

}  // namespace simrun::cli
