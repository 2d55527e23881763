#pragma once
// Flags a runaway message loop (issue 11): the Raft messages one replica of
// a group sends to one peer per simulated second (raft.message_rate
// records, broker/message_rate.h) rise strictly for kClimbSeconds seconds
// in a row and end at or above kRunawayMessagesPerSecond. A healthy group
// sends at a steady rate set by the heartbeat interval and the produce rate;
// a resend loop that gains a chain per heartbeat climbs without bound. The
// violation names the group and both nodes.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sim/trace.h"
#include "tools/simrun/data_checker.h"
#include "tools/simrun/record_kind.h"

namespace simrun::cli {

inline constexpr int kClimbSeconds = 5;
inline constexpr std::int64_t kRunawayMessagesPerSecond = 2000;

class MessageRateChecker {
 public:
  void observe(const sim::TraceRecord& record) { observe(record, record_kind(record.kind)); }
  // `kind` is record_kind(record.kind), resolved once by the caller.
  void observe(const sim::TraceRecord& record, RecordKind kind);
  const std::vector<Violation>& violations() const { return violations_; }
  std::uint64_t violation_count() const { return violations_.size(); }
  std::uint64_t seconds_checked() const { return seconds_checked_; }

 private:
  struct Series {
    std::int64_t last_second = -1;
    std::int64_t last_messages = 0;
    int climbing_seconds = 0;  // consecutive seconds, each above the one before
    bool flagged = false;      // one violation per link and group
  };
  using Link = std::tuple<std::string, std::int64_t, std::int64_t>;  // group, node, peer
  std::map<Link, Series> series_;
  std::vector<Violation> violations_;
  std::uint64_t seconds_checked_ = 0;
};

}  // namespace simrun::cli
