#include "tools/simrun/message_rate_checker.h"

#include "broker/events.h"
#include "sim/assert.h"
#include "sim/checkers.h"

namespace simrun::cli {

void MessageRateChecker::observe(const sim::TraceRecord& record, RecordKind kind) {
  if (kind != kind_of(broker::events::kMessageRate)) return;
  const std::int64_t node = record.number("node");
  const std::int64_t peer = record.number("peer");
  Series& series = series_[Link{std::string(record.text("group")), node, peer}];
  const std::int64_t second = record.number("second");
  const std::int64_t messages = record.number("messages");
  SIMRUN_ASSERT(node != peer, "a replica sends Raft messages to its peers, not to itself");
  SIMRUN_ASSERT(second >= 0 && messages > 0,
                "a rate record counts the messages of one second (only seconds with some)");
  SIMRUN_ASSERT(series_.size() < (std::size_t{1} << 20), "links are bounded by nodes and groups");
  ++seconds_checked_;
  // A gap (a second without messages) breaks a climb.
  const bool climbing = series.last_second == second - 1 && messages > series.last_messages;
  series.climbing_seconds = climbing ? series.climbing_seconds + 1 : 0;
  series.last_second = second;
  series.last_messages = messages;
  if (series.flagged || series.climbing_seconds < kClimbSeconds ||
      messages < kRunawayMessagesPerSecond)
    return;
  series.flagged = true;
  violations_.push_back(
      Violation{std::string(sim::checker_name(sim::Checker::message_rate)),
                sim::to_millis(record.time),
                std::string(record.text("group")),
                {static_cast<std::uint32_t>(node), static_cast<std::uint32_t>(peer)},
                "runaway loop: n" + std::to_string(node) + " -> n" + std::to_string(peer) +
                    " sent " + std::to_string(messages) + " messages in second " +
                    std::to_string(second) + ", more than the second before for " +
                    std::to_string(kClimbSeconds) + " seconds in a row"});
}

}  // namespace simrun::cli
