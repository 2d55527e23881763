#pragma once
// The consumer workload (ConsumerSpec in broker/cluster.h): reads every
// partition of spec.topic from the group's committed offset, polls fetch
// every spec.poll_interval_ms, and commits its position after each poll
// round that advanced it. A round fetches spec.max_in_flight partitions at
// once (default 1: one after the other); every request waits at most
// spec.request_timeout_ms (default 5 s).
//
// Consumption is per batch: one consume.record per batch, keyed by the
// batch's base offset, with the same `hash` as the producer's produce.acked
// for that batch (RecordBatch::content_hash as int64 bits). A batch that
// starts below the consumer's position was already consumed and is skipped;
// the position then moves to the batch's last offset + 1.
//
// Offsets never go backwards within one incarnation of the process (a
// restart re-reads the committed offsets: that is the only reset). What the
// consumer sees from the brokers is checked, and a violation is traced, not
// aborted on:
//   consume.offset_regression {client, group_id, topic, partition, offset,
//                              previous, kind}
//     kind "committed":      the group's committed offset read back is below
//                            one this consumer had committed (lost commit)
//     kind "consumed":       a batch would move the position backwards
// Other trace records: consume.record {client, topic, partition, offset,
// hash}, consume.offset_commit {client, group_id, topic, partition, offset}
// and, for every successful fetch, consume.fetch {client, topic, partition,
// high_watermark, previous} (previous: the highest high watermark this
// incarnation saw before, -1 for none), so that the high_watermark checker
// (tools/simrun/data_checker.h) compares every fetch, not only the bad ones.

#include <cstdint>
#include <functional>
#include <string_view>

#include "broker/client.h"
#include "broker/cluster.h"
#include "broker/events.h"
#include "sim/env.h"

namespace simrun::broker {

inline constexpr std::string_view kConsumeOffsetRegression = events::kConsumeOffsetRegression;
// The committed offsets are read back to check them every this many polls.
inline constexpr int kConsumerVerifyEveryPolls = 10;
// At most this many fetches at once (ConsumerSpec::max_in_flight); the
// client's own in-flight bound (ClientConfig::max_in_flight) is the same.
inline constexpr int kMaxConsumerInFlightFetches = 64;
inline constexpr std::int32_t kConsumerFetchMaxBytes = 1024 * 1024;

// Blocks the calling fiber from spec.start_ms until `stop_at_ns` of local
// time (the default: forever, i.e. the end of the run).
void run_consumer(sim::Env& env, Client& client, const ConsumerSpec& spec, int client_index,
                  sim::time_ns stop_at_ns = sim::kTimeMax);

std::function<void(sim::Env&)> consumer_process_main(ClientConfig client_config, ConsumerSpec spec,
                                                     int client_index);

}  // namespace simrun::broker
