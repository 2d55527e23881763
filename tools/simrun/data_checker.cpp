#include "tools/simrun/data_checker.h"

#include <fmt/format.h>

#include "broker/events.h"

namespace simrun::cli {

namespace {

namespace events = broker::events;
constexpr std::size_t kMaxViolationsKept = 64;

std::int64_t to_ms(sim::time_ns time) { return time / sim::kNanosPerMilli; }

}  // namespace

RaftSafetyFeed::RaftSafetyFeed() = default;

void RaftSafetyFeed::observe(const sim::TraceRecord& record) {
  const std::string_view kind = record.kind;
  if (kind == events::kNodeStarted) {
    // A restarted node resumes applying wherever its durable state puts it.
    const auto node = static_cast<std::uint32_t>(record.number("node"));
    restarted_nodes_.insert(node);
    resumed_groups_[node].clear();
    return;
  }
  if (kind != events::kRoleChanged && kind != events::kApplied) return;
  checker_.set_time(record.time);
  const std::string group(record.text("group"));
  const auto node = static_cast<std::uint32_t>(record.number("node"));
  const auto term = static_cast<std::uint64_t>(record.number("term"));
  if (kind == events::kRoleChanged) {
    if (record.text("role") == "leader") checker_.observe_leader(group, node, term);
    return;
  }
  const auto index = static_cast<std::uint64_t>(record.number("index"));
  const auto hash = static_cast<std::uint64_t>(record.number("hash"));
  auto key = std::make_pair(group, node);
  auto it = last_applied_.find(key);
  const bool first_apply_since_start =
      restarted_nodes_.count(node) != 0 && resumed_groups_[node].insert(group).second;
  if (it == last_applied_.end() || first_apply_since_start) {
    checker_.observe_restart(group, node, index - 1);
  } else if (index > it->second + 1) {
    // Entries in between came with a snapshot install (they were committed,
    // so the state machine check covers them through the other nodes).
    checker_.observe_snapshot_restore(group, node, index - 1, term);
  }
  checker_.observe_apply(group, node, index, sim::LogEntryId{term, hash});
  last_applied_[key] = index;
}

std::vector<Violation> RaftSafetyFeed::violations() const {
  std::vector<Violation> result;
  for (const auto& violation : checker_.violations()) {
    result.push_back(Violation{violation.checker, to_ms(violation.time), violation.group,
                               violation.nodes, violation.detail});
  }
  return result;
}

void DataChecker::add(Violation violation) {
  ++violation_count_;
  if (violations_.size() < kMaxViolationsKept) violations_.push_back(std::move(violation));
}

void DataChecker::observe(const sim::TraceRecord& record) {
  const std::string_view kind = record.kind;
  if (kind == events::kProduceAcked) {
    if (record.number("acks") != -1) return;  // only acks=all promises durability
    Key key{std::string(record.text("topic")), static_cast<int>(record.number("partition")),
            record.number("offset")};
    const Acked acked{static_cast<std::uint64_t>(record.number("hash")), record.time,
                      record.number("client")};
    const auto [it, inserted] = acked_.emplace(key, acked);
    if (!inserted && it->second.hash != acked.hash) {
      add(Violation{"acked_records",
                    to_ms(record.time),
                    std::get<0>(key) + "/" + std::to_string(std::get<1>(key)),
                    {},
                    fmt::format("two different records acknowledged at offset {} (clients {} and "
                                "{})",
                                std::get<2>(key), it->second.client, acked.client)});
    }
  } else if (kind == events::kConsumeRecord) {
    Key key{std::string(record.text("topic")), static_cast<int>(record.number("partition")),
            record.number("offset")};
    consumed_[key].insert(static_cast<std::uint64_t>(record.number("hash")));
  } else if (kind == events::kOffsetCommit) {
    const std::string topic(record.text("topic"));
    const int partition = static_cast<int>(record.number("partition"));
    const std::int64_t offset = record.number("offset");
    auto [it, inserted] = committed_offsets_.emplace(
        std::make_tuple(std::string(record.text("group_id")), topic, partition), offset);
    if (!inserted) {
      if (offset < it->second) {
        add(Violation{"consumer_offsets",
                      to_ms(record.time),
                      topic + "/" + std::to_string(partition),
                      {},
                      fmt::format("consumer group {} committed offset {} after {}",
                                  record.text("group_id"), offset, it->second)});
      }
      it->second = std::max(it->second, offset);
    }
  }
}

std::map<std::string, std::int64_t> DataChecker::finish(
    sim::time_ns end, std::int64_t consume_grace_ms, const std::set<std::string>& consumer_topics,
    const CommittedRecords& committed) {
  std::map<std::string, std::int64_t> lost;
  std::map<std::pair<std::string, int>, std::map<std::int64_t, std::uint64_t>> stored;
  for (const auto& [key, acked] : acked_) {
    const auto& [topic, partition, offset] = key;
    const std::string group = topic + "/" + std::to_string(partition);
    auto part = stored.find({topic, partition});
    if (part == stored.end()) {
      std::map<std::int64_t, std::uint64_t> by_offset;
      for (const auto& record : committed(topic, partition)) by_offset[record.offset] = record.hash;
      part = stored.emplace(std::make_pair(topic, partition), std::move(by_offset)).first;
    }
    const auto found = part->second.find(offset);
    if (found == part->second.end() || found->second != acked.hash) {
      ++lost[group];
      add(Violation{"acked_records",
                    to_ms(end),
                    group,
                    {},
                    fmt::format("record acknowledged at {} ms (client {}) at offset {} is {} at "
                                "the end",
                                to_ms(acked.acked_at), acked.client, offset,
                                found == part->second.end() ? "missing" : "different")});
      continue;
    }
    const bool old_enough = acked.acked_at + sim::millis(consume_grace_ms) <= end;
    if (old_enough && consumer_topics.count(topic) != 0) {
      const auto read = consumed_.find(key);
      if (read == consumed_.end() || read->second.count(acked.hash) == 0) {
        add(Violation{"acked_records",
                      to_ms(end),
                      group,
                      {},
                      fmt::format("record acknowledged at {} ms at offset {} was never read by a "
                                  "consumer",
                                  to_ms(acked.acked_at), offset)});
      }
    }
  }
  return lost;
}

}  // namespace simrun::cli
