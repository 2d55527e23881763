#pragma once
// Writing to __meta from any node, and the leader-assignment sync of field
// report mechanism 5.
//
// MetaWriter proposes a __meta command through the __meta leader: locally
// when this node leads __meta, otherwise by forwarding it to the leader this
// node knows (frames below), or it fails at once with "No leader elected
// yet" when no leader is known - exactly the error the report's nodes saw.
//
// Frames (first byte broker/frame.h FrameKind), little-endian:
//   meta_forward:       kind | u64 request_id | i64 timeout_ns | bytes command
//   meta_forward_reply: kind | u64 request_id | u8 status | u32 leader_hint | string error
// request_id 0 is fire-and-forget: the leader proposes and sends no reply.
//
// run_assignment_sync applies the BrokerConfig::metadata_retry policy to one
// set_assignment write and emits (broker/events.h):
//   meta.sync_attempt   {node, group, attempt}           before every attempt
//   meta.sync_retry     {node, group, attempt, delay_ns} before sleeping; attempt = the next one
//   meta.sync_succeeded {node, group, attempts}
//   meta.sync_failed    {node, group, attempts, error}   after the last attempt failed
// `group` is the partition's group name ("orders/0"). Each sync ends in
// exactly one succeeded or failed record, so success rate = succeeded /
// (succeeded + failed).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/config.h"
#include "broker/group.h"
#include "broker/metadata.h"
#include "sim/env.h"

namespace simrun::broker {

inline constexpr std::string_view kNoLeaderError = "No leader elected yet";
// Forwarded proposals a __meta leader serves at once; more are refused.
inline constexpr std::size_t kMaxServedForwards = 256;
// Forwarded writes one node waits for at once; more fail at once.
inline constexpr std::size_t kMaxPendingForwards = 1024;

struct MetaWriteResult {
  bool ok = false;
  std::string error;  // empty when ok
};

struct MetaWriterStats {
  std::uint64_t local_writes = 0;
  std::uint64_t forwarded_writes = 0;
  std::uint64_t no_leader_failures = 0;
  std::uint64_t forwards_served = 0;
  std::uint64_t forwards_refused = 0;
  std::uint64_t stale_replies = 0;
};

class MetaWriter {
 public:
  // `node_processes[i]` is the process of node id i + 1. `meta` must outlive this.
  MetaWriter(sim::Env& env, raft::NodeId self, std::vector<sim::ProcessId> node_processes,
             RaftGroup& meta);
  MetaWriter(const MetaWriter&) = delete;
  MetaWriter& operator=(const MetaWriter&) = delete;

  // Blocks the calling fiber until the command is applied on the __meta
  // leader, or fails (no leader known, not leader, leadership lost, timeout).
  MetaWriteResult write(const MetaCommand& command, sim::duration_ns timeout);
  // Fire and forget, through the leader; false if no leader is known.
  bool write_async(const MetaCommand& command);

  // Dispatcher side: a meta_forward frame (served in a fiber of its own
  // when it must wait) and a meta_forward_reply frame.
  void serve(const sim::Envelope& envelope);
  void on_reply(const sim::Envelope& envelope);
  // The connection to `peer` was reset: forwarded writes waiting on it fail
  // now (as a gRPC call on a reset connection does).
  void on_reset(sim::ProcessId peer);

  const MetaWriterStats& stats() const { return stats_; }

  // Frame codecs (exposed for tests).
  struct Forward {
    std::uint64_t request_id = 0;
    sim::duration_ns timeout_ns = 0;
    wire::Bytes command;
  };
  struct Reply {
    std::uint64_t request_id = 0;
    std::uint8_t status = 0;  // 0 ok, 1 not leader, 2 failed
    raft::NodeId leader_hint = raft::kNoNode;
    std::string error;
  };
  static wire::Bytes encode_forward(const Forward& forward);
  static std::optional<Forward> decode_forward(std::span<const std::uint8_t> payload);
  static wire::Bytes encode_reply(const Reply& reply);
  static std::optional<Reply> decode_reply(std::span<const std::uint8_t> payload);

 private:
  struct Pending;
  MetaWriteResult write_local(wire::Bytes command, sim::duration_ns timeout);
  sim::ProcessId process_of(raft::NodeId node) const;

  sim::Env& env_;
  raft::NodeId self_;
  std::vector<sim::ProcessId> node_processes_;
  RaftGroup& meta_;
  std::uint64_t next_request_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending_;
  std::shared_ptr<std::size_t> serving_ = std::make_shared<std::size_t>(0);
  MetaWriterStats stats_;
};

// The delay slept after failed attempt `attempt` (1-based): delays_ms[attempt
// - 1], the last one repeating, times (1 +- jitter_fraction) drawn from `rng`
// (no draw when jitter_fraction is 0).
sim::duration_ns retry_delay(const RetryPolicy& policy, int attempt, sim::Rng& rng);

// One assignment sync under `policy` (see the header comment). Blocks the
// calling fiber; true on success.
bool run_assignment_sync(sim::Env& env, MetaWriter& writer, const RetryPolicy& policy,
                         raft::NodeId self, const MetaCommand& assignment);

}  // namespace simrun::broker
