#pragma once
// The producer workload (ProducerSpec in broker/cluster.h): Poisson batch
// arrivals at spec.rate_per_second drawn from the process's rng, batches of
// spec.batch_records records of spec.record_bytes deterministic pseudo-random
// bytes, sent to partitions round-robin (sequence % partitions), with acks
// 0, 1 or -1, retried on retriable errors after spec.retry_backoff_ms up to
// spec.max_retries times, each attempt waiting spec.request_timeout_ms (0:
// the broker's produce_timeout_ms + 1 s). Each batch is its own fiber, at
// most spec.max_in_flight (<= kMaxProducerInFlightBatches, the client's own
// bound) at once: an arrival beyond that waits for one
// to finish (back-pressure, so arrivals are Poisson only while the cluster
// keeps up).
//
// Trace records (broker/events.h), `client` = the process name:
//   produce.sent   {client, topic, partition, sequence}          once per batch
//   produce.acked  {client, topic, partition, sequence, offset, hash, latency_ns, acks}
//   produce.failed {client, topic, partition, sequence, error, latency_ns}
// `offset` is the batch's base offset as the broker reported it (-1 when
// unknown: always for acks=0, which is "acked" as soon as it is sent).
// `hash` is RecordBatch::content_hash() (broker/record_batch.h) as the
// int64 with the same bits. latency_ns is on the producer's local clock.
// Only acks=-1 acknowledgements promise durability; the lost-write checker
// must look at those only.

#include <cstdint>
#include <functional>

#include "broker/client.h"
#include "broker/cluster.h"
#include "broker/record_batch.h"
#include "sim/env.h"

namespace simrun::broker {

inline constexpr int kMaxProducerInFlightBatches = 64;

// Blocks the calling fiber (of the client's process) from spec.start_ms to
// spec.stop_ms of local time (forever if stop_ms < 0), then waits for the
// batches still in flight. `client_index` makes producer ids and payloads
// distinct between producers.
void run_producer(sim::Env& env, Client& client, const ProducerSpec& spec, int client_index);

// The batch a producer sends as `sequence`, encoded (encode_record_batch's
// bytes for make_producer_batch's batch, built without the copy): a pure
// function of its arguments.
wire::Bytes encode_producer_batch(int client_index, std::uint64_t sequence, int records,
                                  int record_bytes, std::int64_t timestamp_ms);
// The same batch decoded.
RecordBatch make_producer_batch(int client_index, std::uint64_t sequence, int records,
                                int record_bytes, std::int64_t timestamp_ms);

// A whole client process: a Client over `client_config`, then run_producer.
std::function<void(sim::Env&)> producer_process_main(ClientConfig client_config, ProducerSpec spec,
                                                     int client_index);

}  // namespace simrun::broker
