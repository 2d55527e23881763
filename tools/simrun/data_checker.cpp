#include "tools/simrun/data_checker.h"

#include <limits>

#include <fmt/format.h>

#include "broker/consumer.h"
#include "broker/events.h"
#include "sim/checkers.h"

namespace simrun::cli {

namespace {

namespace events = broker::events;
constexpr std::size_t kMaxViolationsKept = 64;

std::int64_t to_ms(sim::time_ns time) { return time / sim::kNanosPerMilli; }

}  // namespace

RaftSafetyFeed::RaftSafetyFeed() = default;

void RaftSafetyFeed::observe(const sim::TraceRecord& record, RecordKind kind) {
  if (kind == kind_of(events::kNodeStarted)) {
    // A restarted node resumes applying wherever its durable state puts it.
    const auto node = static_cast<std::uint32_t>(record.number("node"));
    restarted_nodes_.insert(node);
    for (FeedGroup& group : groups_) {
      const auto found = group.nodes.find(node);
      if (found != group.nodes.end()) found->second.resumed = false;
    }
    return;
  }
  if (kind == kind_of(events::kEntries) || kind == kind_of(events::kCommitted) ||
      kind == kind_of(events::kCommitAdvanced) || kind == kind_of(events::kSnapshotInstalled) ||
      kind == kind_of(events::kLogLoaded)) {
    checker_.set_time(record.time);
    observe_log_record(kind, record);
    return;
  }
  if (kind != kind_of(events::kRoleChanged) && kind != kind_of(events::kApplied)) return;
  checker_.set_time(record.time);
  const std::string_view group = record.text("group");
  const auto node = static_cast<std::uint32_t>(record.number("node"));
  const auto term = static_cast<std::uint64_t>(record.number("term"));
  if (kind == kind_of(events::kRoleChanged)) {
    if (record.text("role") != "leader") return;
    checker_.observe_leader(group, node, term);
    // A new leader must hold everything committed before its term (5.4),
    // and every log of its group must still match (5.3).
    if (mirror_.find(group, node) != nullptr) {
      checker_.check_leader_log(group, term, mirror_.view(group, node));
    }
    check_group_logs(group);
    return;
  }
  const auto index = static_cast<std::uint64_t>(record.number("index"));
  const auto hash = static_cast<std::uint64_t>(record.number("hash"));
  const sim::NameIndex::Id id = group_ids_.intern(group);
  if (id == groups_.size()) groups_.emplace_back();
  const auto [it, first_apply] = groups_[id].nodes.try_emplace(node);
  NodeFeed& feed = it->second;
  bool first_apply_since_start = false;
  if (restarted_nodes_.count(node) != 0 && !feed.resumed) {
    feed.resumed = true;
    first_apply_since_start = true;
  }
  if (first_apply || first_apply_since_start) {
    checker_.observe_restart(group, node, index - 1);
  } else if (index > feed.last_applied + 1) {
    // Entries in between came with a snapshot install (they were committed,
    // so the state machine check covers them through the other nodes).
    checker_.observe_snapshot_restore(group, node, index - 1, term);
  }
  checker_.observe_apply(group, node, index, sim::LogEntryId{term, hash});
  feed.last_applied = index;
}

void RaftSafetyFeed::observe_log_record(RecordKind kind, const sim::TraceRecord& record) {
  const std::string_view group = record.text("group");
  const auto node = static_cast<std::uint32_t>(record.number("node"));
  auto number = [&](std::string_view name) {
    return static_cast<std::uint64_t>(record.number(name));
  };
  if (kind == kind_of(events::kEntries)) {
    mirror_.append(group, node, number("index"), number("count"), number("term"));
  } else if (kind == kind_of(events::kSnapshotInstalled)) {
    mirror_.install_snapshot(group, node, number("index"));
  } else if (kind == kind_of(events::kLogLoaded)) {
    mirror_.loaded(group, node, number("first_index"), number("last_index"), number("last_term"),
                   number("commit"));
  } else if (kind == kind_of(events::kCommitted)) {
    // Every entry the node now counts as committed, as its log holds it:
    // compared with what any node committed or applied there (5.4.3). The
    // node's term bounds the term of the commit (leader completeness).
    const std::uint64_t commit = number("commit");
    const std::uint64_t previous = mirror_.set_commit(group, node, commit);
    const MirroredLog* mirrored = mirror_.find(group, node);
    const std::uint64_t from = std::max(previous + 1, mirrored->first_index);
    const std::uint64_t through = std::min(commit, mirrored->last_index());
    const std::uint64_t node_term = number("term");
    for (std::uint64_t index = from; index <= through; ++index) {
      checker_.observe_commit(group, node, index,
                              sim::LogEntryId{*mirrored->term_at(index), sim::kUnknownHash},
                              node_term);
    }
  } else if (kind == kind_of(events::kCommitAdvanced)) {
    const MirroredLog* mirrored = mirror_.find(group, node);
    const std::uint64_t index = number("index");
    const auto entry_term = mirrored == nullptr ? std::nullopt : mirrored->term_at(index);
    if (entry_term) checker_.check_commit_term(group, node, number("term"), index, *entry_term);
  }
}

void RaftSafetyFeed::check_group_logs(std::string_view group) {
  std::vector<sim::LogView> views;
  for (std::uint32_t node : mirror_.nodes(group)) views.push_back(mirror_.view(group, node));
  checker_.check_logs(group, views);
}

void RaftSafetyFeed::finish(sim::time_ns end) {
  checker_.set_time(end);
  for (const std::string& group : mirror_.groups()) check_group_logs(group);
}

std::vector<Violation> RaftSafetyFeed::violations() const {
  std::vector<Violation> result;
  for (const auto& violation : checker_.violations()) {
    result.push_back(Violation{violation.checker, to_ms(violation.time), violation.group,
                               violation.nodes, violation.detail});
  }
  return result;
}

std::map<std::string, std::uint64_t> DataChecker::checks() const {
  return {{std::string(sim::checker_name(sim::Checker::acked_records)), acked_checks_},
          {std::string(sim::checker_name(sim::Checker::consumer_offsets)), offset_checks_},
          {std::string(sim::checker_name(sim::Checker::high_watermark)), watermark_checks_}};
}

void DataChecker::add(Violation violation) {
  ++violation_count_;
  if (violations_.size() < kMaxViolationsKept) violations_.push_back(std::move(violation));
}

// Offsets more than this beyond the dense range go to the sparse map (a
// bound on what one odd offset can allocate).
constexpr std::int64_t kMaxDenseGap = 1 << 20;

DataChecker::OffsetState& DataChecker::PartitionState::at(std::int64_t offset) {
  SIMRUN_ASSERT(offset < 0 || offset >= dense_base(), "a settled offset has no OffsetState");
  const std::int64_t index = offset - dense_base();
  const auto size = static_cast<std::int64_t>(dense.size());
  if (offset < 0 || index >= size + kMaxDenseGap) return sparse[offset];
  if (index >= size) dense.resize(static_cast<std::size_t>(index) + 1);
  return dense[static_cast<std::size_t>(index)];
}

const DataChecker::OffsetState* DataChecker::PartitionState::find(std::int64_t offset) const {
  const std::int64_t index = offset - dense_base();
  if (offset >= dense_base() && index < static_cast<std::int64_t>(dense.size())) {
    return &dense[static_cast<std::size_t>(index)];
  }
  const auto found = sparse.find(offset);
  return found == sparse.end() ? nullptr : &found->second;
}

std::size_t DataChecker::settled_records() const {
  std::size_t count = 0;
  for (const auto& entry : partitions_) count += entry.second.settled.size();
  return count;
}

std::optional<DataChecker::SettledState> DataChecker::settle(const OffsetState& state) {
  if (!state.acked || !state.consumed || state.consumed_hash != state.acked_hash) return {};
  const std::int64_t acked_at_ms = to_ms(state.acked_at);
  if (state.acked_at < 0 || acked_at_ms > std::numeric_limits<std::uint32_t>::max() ||
      state.acks > std::numeric_limits<std::uint16_t>::max() ||
      state.client < std::numeric_limits<std::int16_t>::min() ||
      state.client > std::numeric_limits<std::int16_t>::max()) {
    return {};  // does not fit: stays as it is
  }
  return SettledState{state.acked_hash, static_cast<std::uint32_t>(acked_at_ms),
                      static_cast<std::uint16_t>(state.acks),
                      static_cast<std::int16_t>(state.client)};
}

DataChecker::OffsetState DataChecker::to_offset_state(const SettledState& settled) {
  // The acknowledgement time only appears in messages, in ms; a settled
  // record was read, so the consume grace period (ns) never applies to it.
  return OffsetState{settled.acked_hash,
                     settled.acked_hash,
                     sim::millis(settled.acked_at_ms),
                     settled.client,
                     settled.acks,
                     true,
                     true};
}

void DataChecker::PartitionState::settle_front() {
  while (!dense.empty()) {
    const std::optional<SettledState> settled_state = settle(dense.front());
    if (!settled_state) return;
    settled.push_back(*settled_state);
    dense.pop_front();
  }
}

DataChecker::PartitionState& DataChecker::partition(std::string_view topic, int partition) {
  // Found without building the key (a std::string per record before).
  const auto found = partitions_.find(std::make_pair(topic, partition));
  if (found != partitions_.end()) return found->second;
  return partitions_[PartitionKey{std::string(topic), partition}];
}

// A second, different record acknowledged at an offset: both were promised,
// so the other one is kept for the end-of-run check and reported now.
void DataChecker::add_other_ack(std::string_view topic, int partition_index, std::int64_t offset,
                                OtherAck ack, std::int32_t first_client) {
  auto& others = other_acked_[{std::string(topic), partition_index, offset}];
  SIMRUN_ASSERT(others.size() < 1'000'000, "too many acknowledgements at one offset");
  others.push_back(ack);
  add(Violation{std::string(sim::checker_name(sim::Checker::acked_records)),
                to_ms(ack.acked_at),
                std::string(topic) + "/" + std::to_string(partition_index),
                {},
                fmt::format("two different records acknowledged at offset {} (clients {} and {})",
                            offset, first_client, ack.client)});
}

void DataChecker::observe(const sim::TraceRecord& record, RecordKind kind) {
  if (kind == kind_of(events::kProduceAcked)) {
    if (record.number("acks") != -1) return;  // only acks=all promises durability
    const std::string_view topic = record.text("topic");
    const int partition_index = static_cast<int>(record.number("partition"));
    const std::int64_t offset = record.number("offset");
    const auto hash = static_cast<std::uint64_t>(record.number("hash"));
    const auto client = static_cast<std::int32_t>(record.number("client"));
    PartitionState& part = partition(topic, partition_index);
    if (offset >= 0 && offset < part.dense_base()) {
      // Settled: acknowledged and read before. The same record again is
      // one more promise; another one is as below.
      SettledState& settled = part.settled[static_cast<std::size_t>(offset)];
      if (settled.acked_hash == hash) {
        SIMRUN_ASSERT(settled.acks < std::numeric_limits<std::uint16_t>::max(),
                      "too many acknowledgements at one offset");
        ++settled.acks;
        return;
      }
      add_other_ack(topic, partition_index, offset, OtherAck{hash, record.time, client},
                    settled.client);
      return;
    }
    OffsetState& state = part.at(offset);
    if (!state.acked) {
      state.acked = true;
      state.acked_hash = hash;
      state.acked_at = record.time;
      state.client = client;
      state.acks = 1;
    } else if (state.acked_hash == hash) {
      ++state.acks;
    } else {
      add_other_ack(topic, partition_index, offset, OtherAck{hash, record.time, client},
                    state.client);
    }
    part.settle_front();
  } else if (kind == kind_of(events::kConsumeRecord)) {
    const std::string_view topic = record.text("topic");
    const int partition_index = static_cast<int>(record.number("partition"));
    const std::int64_t offset = record.number("offset");
    const auto hash = static_cast<std::uint64_t>(record.number("hash"));
    PartitionState& part = partition(topic, partition_index);
    if (offset >= 0 && offset < part.dense_base()) {
      // Settled: its first read was the acknowledged record.
      if (part.settled[static_cast<std::size_t>(offset)].acked_hash != hash) {
        other_consumed_[{std::string(topic), partition_index, offset}].insert(hash);
      }
      return;
    }
    OffsetState& state = part.at(offset);
    if (!state.consumed) {
      state.consumed = true;
      state.consumed_hash = hash;
    } else if (state.consumed_hash != hash) {
      other_consumed_[{std::string(topic), partition_index, offset}].insert(hash);
    }
    part.settle_front();
  } else if (kind == kind_of(events::kConsumeFetch)) {
    // Every fetch is one check: its high watermark against the highest this
    // consumer saw before (Raft section 8: a read never shows less than an
    // earlier read did).
    ++watermark_checks_;
    const std::int64_t watermark = record.number("high_watermark");
    const std::int64_t previous = record.number("previous");
    if (watermark < previous) {
      add(Violation{
          std::string(sim::checker_name(sim::Checker::high_watermark)),
          to_ms(record.time),
          std::string(record.text("topic")) + "/" + std::to_string(record.number("partition")),
          {},
          fmt::format("consumer {} saw high watermark {} after {}", record.text("client"),
                      watermark, previous)});
    }
  } else if (kind == kind_of(broker::kConsumeOffsetRegression)) {
    // The consumer saw an offset move backwards (broker/consumer.h): a lost
    // offset commit or a re-numbered log.
    const std::string_view what = record.text("kind");
    ++offset_checks_;
    add(Violation{
        std::string(sim::checker_name(sim::Checker::consumer_offsets)),
        to_ms(record.time),
        std::string(record.text("topic")) + "/" + std::to_string(record.number("partition")),
        {},
        fmt::format("consumer {} (group {}) saw {} offset {} after {}", record.text("client"),
                    record.text("group_id"), what, record.number("offset"),
                    record.number("previous"))});
  } else if (kind == kind_of(events::kOffsetCommit)) {
    const std::string topic(record.text("topic"));
    const int partition = static_cast<int>(record.number("partition"));
    const std::int64_t offset = record.number("offset");
    auto [it, inserted] = committed_offsets_.emplace(
        std::make_tuple(std::string(record.text("group_id")), topic, partition), offset);
    if (!inserted) {
      ++offset_checks_;
      if (offset < it->second) {
        add(Violation{std::string(sim::checker_name(sim::Checker::consumer_offsets)),
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
    const CommittedRecords& committed, const LogStartOffset& log_start) {
  std::map<std::string, std::int64_t> lost;
  for (const auto& [key, state_of] : partitions_) {
    // Named copies, not structured bindings: clang 14 cannot capture those
    // in the lambda below.
    const std::string& topic = key.first;
    const int partition_index = key.second;
    const std::string group = topic + "/" + std::to_string(partition_index);
    bool fetched = false;
    std::map<std::int64_t, std::uint64_t> stored;
    std::int64_t start = 0;
    const bool consumed_topic = consumer_topics.count(topic) != 0;
    const auto check = [&](std::int64_t offset, const OffsetState& state) {
      if (!state.acked) return;
      ++acked_checks_;
      if (!fetched) {
        for (const auto& record : committed(topic, partition_index)) {
          stored[record.offset] = record.hash;
        }
        if (log_start) start = log_start(topic, partition_index);
        fetched = true;
      }
      if (offset < start) {
        ++deleted_by_retention_;  // deleted by retention: only the read can be checked
      } else {
        const auto found = stored.find(offset);
        const auto others = other_acked_.find({topic, partition_index, offset});
        if (others != other_acked_.end()) {
          for (const OtherAck& other : others->second) {
            if (found != stored.end() && found->second == other.hash) continue;
            ++lost[group];
            add(Violation{std::string(sim::checker_name(sim::Checker::acked_records)),
                          to_ms(end),
                          group,
                          {},
                          fmt::format("record acknowledged at {} ms (client {}) at offset {} is "
                                      "not there at the end",
                                      to_ms(other.acked_at), other.client, offset)});
          }
        }
        if (found == stored.end() || found->second != state.acked_hash) {
          lost[group] += state.acks;
          add(Violation{std::string(sim::checker_name(sim::Checker::acked_records)),
                        to_ms(end),
                        group,
                        {},
                        fmt::format("record acknowledged at {} ms (client {}) at offset {} is {} "
                                    "at the end",
                                    to_ms(state.acked_at), state.client, offset,
                                    found == stored.end() ? "missing" : "different")});
          return;
        }
      }
      // Issue 11: reading the acknowledged version is not enough; a consumer
      // that also read another record at that offset (a corrupt copy served
      // by a damaged replica) read data nobody acknowledged.
      bool read_other = state.consumed && state.consumed_hash != state.acked_hash;
      if (const auto others = other_consumed_.find({topic, partition_index, offset});
          others != other_consumed_.end()) {
        for (const std::uint64_t hash : others->second) read_other |= hash != state.acked_hash;
      }
      if (read_other) {
        add(Violation{std::string(sim::checker_name(sim::Checker::acked_records)),
                      to_ms(end),
                      group,
                      {},
                      fmt::format("a consumer read at offset {} a record other than the one "
                                  "acknowledged there at {} ms",
                                  offset, to_ms(state.acked_at))});
      }
      const bool old_enough = state.acked_at + sim::millis(consume_grace_ms) <= end;
      if (!old_enough || !consumed_topic) return;
      bool read = state.consumed && state.consumed_hash == state.acked_hash;
      if (!read && state.consumed) {
        const auto others = other_consumed_.find({topic, partition_index, offset});
        read = others != other_consumed_.end() && others->second.count(state.acked_hash) != 0;
      }
      if (!read) {
        add(Violation{std::string(sim::checker_name(sim::Checker::acked_records)),
                      to_ms(end),
                      group,
                      {},
                      fmt::format("record acknowledged at {} ms at offset {} was never read by a "
                                  "consumer",
                                  to_ms(state.acked_at), offset)});
      }
    };
    // Offsets in order (sparse negatives first), as the old map gave them.
    auto sparse = state_of.sparse.begin();
    for (; sparse != state_of.sparse.end() && sparse->first < 0; ++sparse) {
      check(sparse->first, sparse->second);
    }
    for (std::size_t i = 0; i < state_of.settled.size(); ++i) {
      check(static_cast<std::int64_t>(i), to_offset_state(state_of.settled[i]));
    }
    for (std::size_t i = 0; i < state_of.dense.size(); ++i) {
      check(state_of.dense_base() + static_cast<std::int64_t>(i), state_of.dense[i]);
    }
    for (; sparse != state_of.sparse.end(); ++sparse) check(sparse->first, sparse->second);
  }
  return lost;
}

}  // namespace simrun::cli
