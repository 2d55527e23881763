#include "broker/producer.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>

#include <fmt/format.h>

#include "broker/events.h"
#include "raft/little_endian.h"
#include "sim/assert.h"
#include "sim/hash.h"

namespace simrun::broker {
namespace {

using protocol::ErrorCode;

struct ProducerState {
  ProducerState(sim::Env& env) : slot_free(env.scheduler()) {}
  int in_flight = 0;
  sim::WaitQueue slot_free;
};

void produce_one(sim::Env& env, Client& client, const ProducerSpec& spec, int client_index,
                 std::uint64_t sequence, std::int32_t partition) {
  // The request is built once, the batch encoded straight into it, and
  // every attempt sends it as it is (issue 12: the batch was built, encoded
  // for its hash, encoded again, then copied into each attempt's request).
  // (A RequestBody from the start: passing a ProduceRequest where a
  // RequestBody is expected would copy it into a temporary variant.)
  const protocol::RequestBody body =
      protocol::ProduceRequest{spec.topic, partition, static_cast<std::int8_t>(spec.acks),
                               encode_producer_batch(client_index, sequence, spec.batch_records,
                                                     spec.record_bytes, sim::to_millis(env.now())),
                               client.config().produce_timeout_ms};
  const auto& request = std::get<protocol::ProduceRequest>(body);
  const auto hash = static_cast<std::int64_t>(encoded_batch_content_hash(request.record_batch));
  const auto sequence_field = static_cast<std::int64_t>(sequence);
  env.trace().record(events::kProduceSent, {{"client", client.name()},
                                            {"topic", spec.topic},
                                            {"partition", partition},
                                            {"sequence", sequence_field}});
  const sim::time_ns started_at = env.now();
  const std::int8_t acks = request.acks;
  const std::int64_t produce_timeout_ms = request.timeout_ms;
  const sim::duration_ns wait =
      sim::millis(spec.request_timeout_ms > 0
                      ? spec.request_timeout_ms
                      : produce_timeout_ms + client.config().produce_response_margin_ms);

  if (acks == 0) {
    // Fire and forget: "acknowledged" once sent to whoever we think leads.
    auto to = client.leader_process(spec.topic, partition);
    if (to) {
      client.send_oneway(*to, body);
      env.trace().record(events::kProduceAcked, {{"client", client.name()},
                                                 {"topic", spec.topic},
                                                 {"partition", partition},
                                                 {"sequence", sequence_field},
                                                 {"offset", std::int64_t{-1}},
                                                 {"hash", hash},
                                                 {"latency_ns", std::int64_t{0}},
                                                 {"acks", std::int64_t{0}}});
    } else {
      env.trace().record(events::kProduceFailed,
                         {{"client", client.name()},
                          {"topic", spec.topic},
                          {"partition", partition},
                          {"sequence", sequence_field},
                          {"error", protocol::error_name(ErrorCode::leader_not_available)},
                          {"latency_ns", std::int64_t{0}}});
    }
    return;
  }

  ErrorCode error = ErrorCode::none;
  for (int attempt = 0; attempt <= spec.max_retries; ++attempt) {
    if (attempt > 0) env.sleep(sim::millis(spec.retry_backoff_ms));
    CallResult result = client.call_partition_leader(spec.topic, partition, body, wait);
    error = result.effective_error();
    if (error == ErrorCode::none) {
      const auto& response = std::get<protocol::ProduceResponse>(result.response->body);
      env.trace().record(events::kProduceAcked,
                         {{"client", client.name()},
                          {"topic", spec.topic},
                          {"partition", partition},
                          {"sequence", sequence_field},
                          {"offset", response.base_offset},
                          {"hash", hash},
                          {"latency_ns", std::max<sim::duration_ns>(0, env.now() - started_at)},
                          {"acks", static_cast<std::int64_t>(acks)}});
      return;
    }
    if (!protocol::is_retriable(error)) break;
  }
  env.trace().record(events::kProduceFailed,
                     {{"client", client.name()},
                      {"topic", spec.topic},
                      {"partition", partition},
                      {"sequence", sequence_field},
                      {"error", protocol::error_name(error)},
                      {"latency_ns", std::max<sim::duration_ns>(0, env.now() - started_at)}});
}

}  // namespace

wire::Bytes encode_producer_batch(int client_index, std::uint64_t sequence, int records,
                                  int record_bytes, std::int64_t timestamp_ms) {
  SIMRUN_ASSERT(records > 0 && static_cast<std::uint32_t>(records) <= kMaxRecordsPerBatch,
                "batch_records out of bounds");
  SIMRUN_ASSERT(
      record_bytes >= 0 && static_cast<std::uint32_t>(record_bytes) <= kMaxRecordValueBytes,
      "record_bytes out of bounds");
  const auto producer_id = static_cast<std::uint64_t>(client_index) + 1;
  const auto value_bytes = static_cast<std::size_t>(record_bytes);
  // Keys are at most "p" + 3 numbers + 2 dashes: 64 bytes covers them.
  constexpr std::size_t kKeyBytesMax = 64;
  RecordBatchBuilder builder(producer_id, sequence,
                             kBatchHeaderBytes + static_cast<std::size_t>(records) *
                                                     (8 + 4 + kKeyBytesMax + 4 + value_bytes));
  for (int i = 0; i < records; ++i) {
    std::array<char, kKeyBytesMax> key_text;
    const auto key_end =
        fmt::format_to_n(key_text.data(), key_text.size(), "p{}-{}-{}", client_index, sequence, i);
    SIMRUN_ASSERT(key_end.size <= key_text.size(), "a producer key fits its buffer");
    const std::span<std::uint8_t> value =
        builder.add(timestamp_ms,
                    std::span<const std::uint8_t>(
                        reinterpret_cast<const std::uint8_t*>(key_text.data()), key_end.size),
                    value_bytes);
    // Pseudo-random bytes from (producer, sequence, record, word): distinct
    // content per batch without drawing from any random stream.
    // The hasher state after the first three is shared by every word of
    // the record (issue 12: this loop was 6 % of the production load).
    sim::Hasher record_prefix;
    record_prefix.add(producer_id);
    record_prefix.add(sequence);
    record_prefix.add(static_cast<std::uint64_t>(i));
    std::size_t at = 0;
    for (; at + 8 <= value.size(); at += 8) {
      sim::Hasher hasher = record_prefix;
      hasher.add(at / 8);
      raft::store_le<8>(value.data() + at, hasher.value());
    }
    if (at < value.size()) {
      sim::Hasher hasher = record_prefix;
      hasher.add(at / 8);
      const std::uint64_t word = hasher.value();
      for (std::size_t k = 0; at + k < value.size(); ++k) {
        value[at + k] = static_cast<std::uint8_t>(word >> (8 * k));
      }
    }
  }
  return std::move(builder).finish();
}

RecordBatch make_producer_batch(int client_index, std::uint64_t sequence, int records,
                                int record_bytes, std::int64_t timestamp_ms) {
  auto decoded = decode_record_batch(
      encode_producer_batch(client_index, sequence, records, record_bytes, timestamp_ms));
  SIMRUN_ASSERT(decoded.value.has_value(), "a producer batch decodes");
  return std::move(*decoded);
}

void run_producer(sim::Env& env, Client& client, const ProducerSpec& spec, int client_index) {
  SIMRUN_ASSERT(spec.rate_per_second > 0.0, "producer rate must be positive");
  SIMRUN_ASSERT(spec.acks == 0 || spec.acks == 1 || spec.acks == -1, "acks must be 0, 1 or -1");
  SIMRUN_ASSERT(spec.max_retries >= 0, "max_retries must be >= 0");
  SIMRUN_ASSERT(spec.max_in_flight >= 1 && spec.max_in_flight <= kMaxProducerInFlightBatches,
                "producer max_in_flight out of bounds");
  SIMRUN_ASSERT(spec.request_timeout_ms >= 0, "request_timeout_ms must be >= 0");
  const sim::time_ns start_at = sim::millis(spec.start_ms);
  const sim::time_ns stop_at = spec.stop_ms < 0 ? sim::kTimeMax : sim::millis(spec.stop_ms);
  if (env.now() < start_at) env.sleep(start_at - env.now());

  // Learn the topic's partitions; the topic may not exist yet.
  while (client.partition_count(spec.topic) == 0) {
    if (env.now() >= stop_at) return;
    if (!client.refresh_metadata() || client.partition_count(spec.topic) == 0) {
      env.sleep(sim::millis(std::max<std::int64_t>(1, spec.retry_backoff_ms)));
    }
  }
  const auto partitions = static_cast<std::uint64_t>(client.partition_count(spec.topic));

  ProducerState state(env);
  const double mean_gap_ns = 1e9 / spec.rate_per_second;
  // A restarted producer (a crash fault on its process) is a new
  // incarnation: a sequence range of its own, so its records differ from
  // the last incarnation's (the same producer id and sequence would make
  // byte-identical record keys and values).
  const std::uint64_t first_sequence = (env.incarnation() - 1) << 32;
  for (std::uint64_t sequence = first_sequence;; ++sequence) {
    const auto gap_ns = static_cast<sim::duration_ns>(env.rng().exponential(mean_gap_ns));
    if (stop_at - env.now() <= gap_ns) break;
    env.sleep(gap_ns);
    while (state.in_flight >= spec.max_in_flight) state.slot_free.wait();
    SIMRUN_ASSERT(state.in_flight < kMaxProducerInFlightBatches, "producer in-flight bound");
    const auto partition = static_cast<std::int32_t>(sequence % partitions);
    ++state.in_flight;
    env.spawn(fmt::format("produce-{}", sequence),
              [&env, &client, &spec, &state, client_index, sequence, partition] {
                produce_one(env, client, spec, client_index, sequence, partition);
                --state.in_flight;
                state.slot_free.notify_all();
              });
  }
  if (stop_at != sim::kTimeMax && env.now() < stop_at) env.sleep(stop_at - env.now());
  while (state.in_flight > 0) state.slot_free.wait();
}

std::function<void(sim::Env&)> producer_process_main(ClientConfig client_config, ProducerSpec spec,
                                                     int client_index) {
  return [client_config = std::move(client_config), spec = std::move(spec),
          client_index](sim::Env& env) {
    Client client(env, client_config);
    client.start();
    run_producer(env, client, spec, client_index);
  };
}

}  // namespace simrun::broker
