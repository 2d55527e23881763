#pragma once
// The bounds of every integer knob a scenario can set (`cluster.raft.*`,
// `cluster.broker.*`): one table. broker/config_json.cpp reads with these
// bounds, and tools/simrun/schema_consistency_test.cpp checks that
// scenarios/scenario.schema.json states exactly the same minimum and maximum
// for each, so a value the schema accepts is never rejected later (or the
// other way round).
//
// Adding an integer knob: a field in BrokerConfig (config.h), a row here, a
// branch in config_json.cpp that reads it with knob_limit("<path>"), and the
// property with the same bounds in the schema.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace simrun::broker {

struct KnobLimit {
  std::string_view path;  // "raft.tick_interval_ms", "broker.metadata_retry.delays_ms" (items)
  std::int64_t min;
  std::int64_t max;
};

// Ten simulated minutes bounds any timeout, interval or delay a scenario sets.
inline constexpr std::int64_t kMaxKnobMillis = 600'000;
// At most this many entries in broker.metadata_retry.delays_ms.
inline constexpr std::size_t kMaxRetryDelays = 32;

inline constexpr std::array kKnobLimits = {
    KnobLimit{"raft.tick_interval_ms", 1, 10'000},
    KnobLimit{"raft.election_timeout_ms", 1, kMaxKnobMillis},
    KnobLimit{"raft.heartbeat_interval_ms", 1, kMaxKnobMillis},
    // raft::Progress keeps an inflight ring of this size per follower.
    KnobLimit{"raft.max_inflight_messages", 1, 4096},
    // raft::Log::slice copies at most this many entries into one append.
    KnobLimit{"raft.max_entries_per_message", 1, 4096},
    KnobLimit{"broker.rpc_connect_timeout_ms", 1, kMaxKnobMillis},
    KnobLimit{"broker.rpc_request_timeout_ms", 1, kMaxKnobMillis},
    KnobLimit{"broker.metadata_retry.max_attempts", 1, 100},
    KnobLimit{"broker.metadata_retry.delays_ms", 0, kMaxKnobMillis},
    KnobLimit{"broker.metadata_retry.per_try_timeout_ms", 1, kMaxKnobMillis},
    KnobLimit{"broker.high_watermark_publish_interval_ms", 1, kMaxKnobMillis},
    KnobLimit{"broker.replication_factor", 1, 9},
    KnobLimit{"broker.produce_timeout_ms", 1, kMaxKnobMillis},
    // 0 turns snapshots off (broker/group.cpp).
    KnobLimit{"broker.snapshot_every_entries", 0, 100'000'000},
    KnobLimit{"broker.snapshot_every_bytes", 0, 1LL << 40},  // 0: no size trigger
    KnobLimit{"broker.segment_bytes", 1024, 1LL << 30},
    KnobLimit{"broker.retention_bytes", -1, 1LL << 40},      // -1: unlimited
    KnobLimit{"broker.retention_ms", -1, 31'536'000'000LL},  // -1: unlimited; max one year
    KnobLimit{"broker.controlled_shutdown_timeout_ms", 1, kMaxKnobMillis},
    // Queue capacities (broker/group.cpp, broker/node.cpp).
    KnobLimit{"broker.raft_inbox_messages", 1, 65'536},
    KnobLimit{"broker.unknown_group_buffer_messages", 1, 65'536},
    KnobLimit{"broker.metadata_queue_jobs", 1, 65'536},
};

// The row for `path`; asserts that it exists (a programmer error otherwise).
const KnobLimit& knob_limit(std::string_view path);

}  // namespace simrun::broker
