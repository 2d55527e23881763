#include "broker/consumer.h"

#include <algorithm>
#include <string>
#include <vector>

#include "broker/events.h"
#include "broker/record_batch.h"
#include "sim/assert.h"

namespace simrun::broker {
namespace {

using protocol::ErrorCode;

struct PartitionCursor {
  std::int64_t position = 0;         // next offset to consume
  std::int64_t committed = -1;       // last offset this incarnation committed
  std::int64_t high_watermark = -1;  // highest seen
  std::int64_t last_consumed = -1;   // base offset of the last batch consumed
};

class Consumer {
 public:
  Consumer(sim::Env& env, Client& client, const ConsumerSpec& spec)
      : env_(env), client_(client), spec_(spec) {}

  void run(sim::time_ns stop_at) {
    const sim::time_ns start_at = sim::millis(spec_.start_ms);
    if (env_.now() < start_at) env_.sleep(start_at - env_.now());
    const sim::duration_ns poll = sim::millis(std::max<std::int64_t>(1, spec_.poll_interval_ms));
    while (client_.partition_count(spec_.topic) == 0) {
      if (env_.now() >= stop_at) return;
      if (!client_.refresh_metadata() || client_.partition_count(spec_.topic) == 0) {
        env_.sleep(poll);
      }
    }
    cursors_.resize(static_cast<std::size_t>(client_.partition_count(spec_.topic)));
    for (std::size_t p = 0; p < cursors_.size(); ++p) {
      // Start from the committed offset; retried until the group answers.
      while (true) {
        if (env_.now() >= stop_at) return;
        auto committed = fetch_committed(static_cast<std::int32_t>(p));
        if (committed) {
          cursors_[p].position = std::max<std::int64_t>(0, *committed);
          break;
        }
        env_.sleep(poll);
      }
    }
    for (std::uint64_t round = 1; env_.now() < stop_at; ++round) {
      poll_round();
      for (std::size_t p = 0; p < cursors_.size(); ++p) commit(static_cast<std::int32_t>(p));
      if (round % kConsumerVerifyEveryPolls == 0) {
        for (std::size_t p = 0; p < cursors_.size(); ++p) verify(static_cast<std::int32_t>(p));
      }
      if (stop_at - env_.now() <= poll) break;
      env_.sleep(poll);
    }
  }

 private:
  // One fetch per partition. With max_in_flight 1, one after the other on
  // this fiber; otherwise up to max_in_flight fetches at once, each on its
  // own fiber, and the round ends when all have answered (or timed out).
  // Each fetch touches only its own partition's cursor.
  void poll_round() {
    if (spec_.max_in_flight <= 1) {
      for (std::size_t p = 0; p < cursors_.size(); ++p)
        poll_partition(static_cast<std::int32_t>(p));
      return;
    }
    int in_flight = 0;
    sim::WaitQueue slot_free(env_.scheduler());
    for (std::size_t p = 0; p < cursors_.size(); ++p) {
      while (in_flight >= spec_.max_in_flight) slot_free.wait();
      ++in_flight;
      const auto partition = static_cast<std::int32_t>(p);
      env_.spawn("fetch-" + std::to_string(partition), [this, partition, &in_flight, &slot_free] {
        poll_partition(partition);
        --in_flight;
        slot_free.notify_all();
      });
    }
    while (in_flight > 0) slot_free.wait();
  }

  sim::duration_ns request_timeout() const {
    return sim::millis(client_.config().request_timeout_ms);
  }

  std::optional<std::int64_t> fetch_committed(std::int32_t partition) {
    CallResult result = client_.call_controller(
        protocol::OffsetFetchRequest{spec_.group_id, spec_.topic, partition}, request_timeout());
    if (result.effective_error() != ErrorCode::none) return std::nullopt;
    return std::get<protocol::OffsetFetchResponse>(result.response->body).offset;
  }

  void regression(std::int32_t partition, std::int64_t offset, std::int64_t previous,
                  std::string_view kind) {
    env_.trace().record(kConsumeOffsetRegression, {{"client", client_.name()},
                                                   {"group_id", spec_.group_id},
                                                   {"topic", spec_.topic},
                                                   {"partition", partition},
                                                   {"offset", offset},
                                                   {"previous", previous},
                                                   {"kind", kind}});
  }

  void poll_partition(std::int32_t partition) {
    PartitionCursor& cursor = cursors_[static_cast<std::size_t>(partition)];
    CallResult result = client_.call_partition_leader(
        spec_.topic, partition,
        protocol::FetchRequest{spec_.topic, partition, cursor.position, kConsumerFetchMaxBytes},
        request_timeout());
    if (result.effective_error() != ErrorCode::none) return;  // retried next poll
    const auto& fetched = std::get<protocol::FetchResponse>(result.response->body);
    env_.trace().record(events::kConsumeFetch, {{"client", client_.name()},
                                                {"topic", spec_.topic},
                                                {"partition", partition},
                                                {"high_watermark", fetched.high_watermark},
                                                {"previous", cursor.high_watermark}});
    cursor.high_watermark = std::max(cursor.high_watermark, fetched.high_watermark);
    // Checked as decode_record_batches checks it (CRC, every record's
    // framing) but without copying the records out: offsets and content
    // hashes are all the trace needs (issue 12).
    auto batches = summarize_record_batches(fetched.records);
    if (!batches) {
      ++decode_errors_;
      return;  // corrupt in flight or on the broker; fetched again next poll
    }
    for (const BatchSummary& batch : *batches) {
      if (batch.base_offset < cursor.position) continue;  // already consumed
      if (batch.base_offset <= cursor.last_consumed) {
        regression(partition, batch.base_offset, cursor.last_consumed, "consumed");
        continue;
      }
      env_.trace().record(events::kConsumeRecord,
                          {{"client", client_.name()},
                           {"topic", spec_.topic},
                           {"partition", partition},
                           {"offset", batch.base_offset},
                           {"hash", static_cast<std::int64_t>(batch.content_hash)}});
      cursor.last_consumed = batch.base_offset;
      const std::int64_t next = batch.base_offset + batch.record_count;
      SIMRUN_ASSERT(next > cursor.position, "consumer position must only grow");
      cursor.position = next;
    }
  }

  void commit(std::int32_t partition) {
    PartitionCursor& cursor = cursors_[static_cast<std::size_t>(partition)];
    if (cursor.position <= cursor.committed) return;
    const std::int64_t offset = cursor.position;
    CallResult result = client_.call_controller(
        protocol::OffsetCommitRequest{spec_.group_id, spec_.topic, partition, offset},
        request_timeout());
    if (result.effective_error() != ErrorCode::none) return;  // retried next round
    cursor.committed = std::max(cursor.committed, offset);
    env_.trace().record(events::kOffsetCommit, {{"client", client_.name()},
                                                {"group_id", spec_.group_id},
                                                {"topic", spec_.topic},
                                                {"partition", partition},
                                                {"offset", offset}});
  }

  void verify(std::int32_t partition) {
    PartitionCursor& cursor = cursors_[static_cast<std::size_t>(partition)];
    if (cursor.committed < 0) return;
    auto committed = fetch_committed(partition);
    if (committed && *committed < cursor.committed) {
      regression(partition, *committed, cursor.committed, "committed");
    }
  }

  sim::Env& env_;
  Client& client_;
  const ConsumerSpec& spec_;
  std::vector<PartitionCursor> cursors_;
  std::uint64_t decode_errors_ = 0;
};

}  // namespace

void run_consumer(sim::Env& env, Client& client, const ConsumerSpec& spec, int client_index,
                  sim::time_ns stop_at_ns) {
  SIMRUN_ASSERT(client_index >= 0, "client index must be >= 0");
  SIMRUN_ASSERT(spec.max_in_flight >= 1 && spec.max_in_flight <= kMaxConsumerInFlightFetches,
                "consumer max_in_flight out of bounds");
  SIMRUN_ASSERT(spec.request_timeout_ms >= 1, "consumer request_timeout_ms must be positive");
  Consumer consumer(env, client, spec);
  consumer.run(stop_at_ns);
}

std::function<void(sim::Env&)> consumer_process_main(ClientConfig client_config, ConsumerSpec spec,
                                                     int client_index) {
  return [client_config = std::move(client_config), spec = std::move(spec),
          client_index](sim::Env& env) {
    Client client(env, client_config);
    client.start();
    run_consumer(env, client, spec, client_index);
  };
}

}  // namespace simrun::broker
