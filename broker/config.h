#pragma once
// Every mechanism of ../shared/field-report.md as a configuration knob, the
// correct behaviour as the default and the legacy behaviour as the other
// value, so one scenario can measure "before" and "after".
//
// JSON names (scenario `cluster.raft.*` and `cluster.broker.*`) are given
// beside each field; broker/config_json.cpp maps them, and the scenario
// schema (scenarios/scenario.schema.json) lists exactly these names.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace simrun::broker {

// Mechanism 1: how millisecond timeouts become Raft tick counts.
enum class TickConversion : std::uint8_t {
  as_written,      // election_ticks = election_ms / tick_ms, heartbeat likewise
  legacy_formula,  // base = election_ms / heartbeat_ms; election_ticks =
                   // base + hash(group) % base; heartbeat_ticks = 1
};

// Mechanism 2: how a driver loop handles one Ready.
enum class ReadyMode : std::uint8_t {
  pipelined,          // persist (one fsync per Ready) on a persist fiber while
                      // the loop keeps ticking and sending what needs no
                      // durable state; apply on a separate ordered apply fiber
  inline_sequential,  // v1.3.67: one fsync per entry, sequential sends that
                      // await each RPC (connect/request timeouts), apply inline
  v2_spawned_apply,   // v2.0.0: inline persist and send, apply spawned as
                      // independent fibers (out of order)
};

// Mechanism 2: what the tick loop does with ticks missed during a stall.
enum class MissedTicks : std::uint8_t { skip, burst };

struct RetryPolicy {
  // Including the first try. 12 attempts span about 6.4 s: longer than the
  // TCP retransmission back-off (0.2, 0.6, 1.4, 3.0, 6.2 s) that delays the
  // first message after a partition of a few seconds heals.
  int max_attempts = 12;
  std::vector<std::int64_t> delays_ms{50, 100, 200, 400,
                                      800};  // slept between attempts; last repeats
  std::int64_t per_try_timeout_ms = 1000;
  double jitter_fraction = 0.2;  // delay * (1 +- jitter), from the node rng
};

struct BrokerConfig {
  // --- cluster.raft.* ---
  // etcd's defaults: a 100 ms tick, heartbeat 1 tick, election 10 ticks.
  // A finer tick buys nothing once timeouts are counted as written, and
  // costs ten times the idle wake-ups per group (simulation speed).
  std::int64_t tick_interval_ms = 100;                          // "tick_interval_ms"
  std::int64_t election_timeout_ms = 1000;                      // "election_timeout_ms"
  std::int64_t heartbeat_interval_ms = 100;                     // "heartbeat_interval_ms"
  TickConversion tick_conversion = TickConversion::as_written;  // "tick_conversion"
  bool pre_vote = true;                                         // "pre_vote"       (mechanism 3)
  bool check_quorum = true;                                     // "check_quorum"   (mechanism 3)
  bool persist_term_and_vote = true;  // "persist_term_and_vote" (mechanism 7)
  // Issue 11: Protocol-Aware Recovery (raft::Config::protocol_aware_recovery).
  // false (legacy): damaged storage is not repaired before voting, a leader
  // never re-probes below match, and rejections are answered at once.
  bool protocol_aware_recovery = true;  // "protocol_aware_recovery"
  int max_inflight_messages = 64;       // "max_inflight_messages"
  // Entries one append message carries at most (etcd's MaxSizePerMsg,
  // raft-rs max_size_per_msg, counted in entries): a follower far behind
  // catches up in slices of this many entries.
  int max_entries_per_message = 64;  // "max_entries_per_message"

  // --- cluster.broker.* ---
  ReadyMode ready_mode = ReadyMode::pipelined;   // "ready_mode" (2)
  std::int64_t rpc_connect_timeout_ms = 5000;    // "rpc_connect_timeout_ms" (9)
  std::int64_t rpc_request_timeout_ms = 30000;   // "rpc_request_timeout_ms" (9)
  MissedTicks missed_ticks = MissedTicks::skip;  // "missed_ticks" (2)
  bool skip_empty_entries_at_apply = true;       // "skip_empty_entries_at_apply" (4)
  bool pending_keyed_by_term = true;             // "pending_keyed_by_term" (6)
  bool metadata_epochs = true;                   // "metadata_epochs" (5)
  // "metadata_retry" (5): {max_attempts, delays_ms, per_try_timeout_ms, jitter_fraction}
  RetryPolicy metadata_retry;
  bool metadata_handler_serial = false;                   // "metadata_handler_serial" (5)
  bool buffer_unknown_group_messages = true;              // "buffer_unknown_group_messages" (8)
  bool batched_high_watermarks = true;                    // "batched_high_watermarks" (10)
  std::int64_t high_watermark_publish_interval_ms = 200;  // "high_watermark_publish_interval_ms"
  int replication_factor = 3;                             // "replication_factor"
  std::int64_t produce_timeout_ms = 30000;                // "produce_timeout_ms"
  std::int64_t snapshot_every_entries = 10000;            // "snapshot_every_entries"
  // Also compact once this many entry bytes were applied since the last
  // snapshot (0: by entry count only), so the Raft log's memory and disk
  // follow its bytes, not only its entry count.
  std::int64_t snapshot_every_bytes = 0;  // "snapshot_every_bytes"
  // false: a group checks after every applied entry, so every replica
  // compacts at the same indexes. true: it checks once per batch of committed
  // entries it applies and compacts at the batch's last index, as etcd's
  // server does (triggerSnapshot after applyAll), so replicas that apply in
  // different batches compact at different indexes. v2_spawned_apply applies
  // entry by entry either way.
  bool snapshot_at_batch_end = false;  // "snapshot_at_batch_end"
  // Partition log retention (broker/partition.h; Kafka's log.segment.bytes,
  // retention.bytes, retention.ms per partition replica; -1: unlimited).
  std::int64_t segment_bytes = 1 << 20;     // "segment_bytes"
  std::int64_t retention_bytes = 64 << 20;  // "retention_bytes"
  std::int64_t retention_ms = -1;           // "retention_ms"
  // A controlled shutdown (Kafka's controlled.shutdown, Redpanda's
  // leadership drain; broker/node.h) waits at most this long for the groups
  // the node leads to hand leadership over, then stops anyway.
  std::int64_t controlled_shutdown_timeout_ms = 5000;  // "controlled_shutdown_timeout_ms"
  // Bounded queues (style: a bound on every queue), as real brokers make
  // theirs knobs (Kafka's queued.max.requests): what overflows is dropped
  // and counted, and Raft's retries or the next leader change cover it.
  // Peer Raft messages one group's inbox holds for its driver loop.
  int raft_inbox_messages = 1024;  // "raft_inbox_messages"
  // Messages buffered per group this node has not created yet (with
  // buffer_unknown_group_messages); beyond, the oldest is dropped.
  int unknown_group_buffer_messages = 512;  // "unknown_group_buffer_messages"
  // Assignment-sync jobs waiting for the node's metadata handler.
  int metadata_queue_jobs = 4096;  // "metadata_queue_jobs"
};

// Named profiles: "recommended", "v2.0.0", "v1.3.67". Throws
// std::invalid_argument naming the valid ones for an unknown name.
BrokerConfig profile(std::string_view name);
std::vector<std::string> profile_names();

}  // namespace simrun::broker
