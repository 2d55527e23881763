#pragma once
// Test-only: a tiny in-memory "cluster" of broker processes that speak the
// client protocol (broker/protocol.h) without Raft, so the client, producer,
// consumer and admin can be tested in a real sim::World against controllable
// misbehaviour (stale metadata, not_leader with or without a hint, dropped
// requests, slow answers, lost offset commits). Used only by *_test.cpp.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "broker/client.h"
#include "broker/record_batch.h"
#include "broker/trace_capture_for_tests.h"
#include "sim/world.h"

namespace simrun::broker::testing {

struct FakePartition {
  protocol::NodeId leader = 1;             // the node that accepts produce/fetch
  protocol::NodeId advertised_leader = 1;  // what metadata says (may be stale)
  std::int64_t epoch = 1;
  std::vector<wire::Bytes> batches;  // stamped, in offset order
  std::int64_t next_offset = 0;
};

struct FakeCluster {
  std::map<protocol::NodeId, sim::ProcessId> processes;  // node id -> process
  protocol::NodeId controller = 1;
  std::map<std::string, std::vector<FakePartition>> topics;
  std::map<std::tuple<std::string, std::string, std::int32_t>, std::int64_t> committed;

  // Misbehaviour knobs.
  int drop_requests = 0;               // ignore this many requests (any node)
  std::int64_t response_delay_ms = 0;  // answer this late
  bool hint_on_not_leader = true;
  bool lose_commits = false;  // offset_commit says ok but stores nothing
  protocol::ErrorCode produce_error = protocol::ErrorCode::none;  // forced on every produce

  // Counters.
  int produce_requests = 0;
  int requests = 0;

  std::int64_t append(const std::string& topic, std::int32_t partition, wire::Bytes batch) {
    FakePartition& p = topics.at(topic).at(static_cast<std::size_t>(partition));
    const std::int64_t base = p.next_offset;
    const auto summary = summarize_record_batch(batch);
    SIMRUN_ASSERT(summary, "fake broker appends valid batches only");
    stamp_base_offset(batch, base);
    p.next_offset += summary->record_count;
    p.batches.push_back(std::move(batch));
    return base;
  }

  protocol::ResponseBody handle(protocol::NodeId self, const protocol::Request& request) {
    return std::visit(
        [&](const auto& body) -> protocol::ResponseBody { return handle_body(self, body); },
        request.body);
  }

  // Node `node` as a process main.
  std::function<void(sim::Env&)> node_main(protocol::NodeId node) {
    return [this, node](sim::Env& env) {
      while (true) {
        sim::Envelope envelope = env.inbox().receive();
        auto request = protocol::decode_request(envelope.payload);
        if (!request) continue;
        ++requests;
        if (drop_requests > 0) {
          --drop_requests;
          continue;
        }
        if (const auto* produce = std::get_if<protocol::ProduceRequest>(&request->body)) {
          ++produce_requests;
          if (produce->acks == 0) {
            (void)handle(node, *request);
            continue;
          }
        }
        protocol::Response response{request->correlation_id, handle(node, *request)};
        if (response_delay_ms > 0) env.sleep(sim::millis(response_delay_ms));
        env.reply(envelope, protocol::encode_response(response));
      }
    };
  }

 private:
  protocol::ResponseBody not_leader_body(protocol::ApiKey key, protocol::NodeId hint) {
    return protocol::error_response(protocol::RequestHeader{0, key},
                                    protocol::ErrorCode::not_leader, hint_on_not_leader ? hint : 0)
        .body;
  }
  const FakePartition* find(const std::string& topic, std::int32_t partition) const {
    auto it = topics.find(topic);
    if (it == topics.end() || partition < 0 ||
        static_cast<std::size_t>(partition) >= it->second.size()) {
      return nullptr;
    }
    return &it->second[static_cast<std::size_t>(partition)];
  }

  protocol::ResponseBody handle_body(protocol::NodeId, const protocol::MetadataRequest&) {
    protocol::MetadataResponse r;
    r.controller_id = controller;
    for (const auto& [node, process] : processes) r.brokers.push_back({node, process});
    for (const auto& [name, partitions] : topics) {
      protocol::TopicMetadata t;
      t.name = name;
      for (std::size_t i = 0; i < partitions.size(); ++i) {
        t.partitions.push_back(protocol::PartitionMetadata{static_cast<std::int32_t>(i),
                                                           protocol::ErrorCode::none,
                                                           partitions[i].advertised_leader,
                                                           partitions[i].epoch,
                                                           {1, 2, 3}});
      }
      r.topics.push_back(std::move(t));
    }
    return r;
  }
  protocol::ResponseBody handle_body(protocol::NodeId self,
                                     const protocol::CreateTopicRequest& request) {
    if (self != controller) return not_leader_body(protocol::ApiKey::create_topic, controller);
    if (topics.count(request.name) != 0) {
      return protocol::CreateTopicResponse{protocol::ErrorCode::topic_already_exists, 0};
    }
    topics[request.name].resize(static_cast<std::size_t>(request.partitions));
    return protocol::CreateTopicResponse{};
  }
  protocol::ResponseBody handle_body(protocol::NodeId self,
                                     const protocol::ProduceRequest& request) {
    const FakePartition* p = find(request.topic, request.partition);
    if (p == nullptr) {
      return protocol::ProduceResponse{protocol::ErrorCode::unknown_topic_or_partition, 0, -1, -1};
    }
    if (p->leader != self) return not_leader_body(protocol::ApiKey::produce, p->leader);
    if (produce_error != protocol::ErrorCode::none) {
      return protocol::ProduceResponse{produce_error, 0, -1, -1};
    }
    if (!decode_record_batch(request.record_batch)) {
      return protocol::ProduceResponse{protocol::ErrorCode::corrupt_message, 0, -1, -1};
    }
    const std::int64_t base = append(request.topic, request.partition, request.record_batch);
    return protocol::ProduceResponse{protocol::ErrorCode::none, 0, base, p->next_offset};
  }
  protocol::ResponseBody handle_body(protocol::NodeId self, const protocol::FetchRequest& request) {
    const FakePartition* p = find(request.topic, request.partition);
    protocol::FetchResponse r;
    if (p == nullptr) {
      r.error = protocol::ErrorCode::unknown_topic_or_partition;
      return r;
    }
    if (p->leader != self) return not_leader_body(protocol::ApiKey::fetch, p->leader);
    r.high_watermark = p->next_offset;
    for (const wire::Bytes& batch : p->batches) {
      const auto decoded = decode_record_batch(batch);
      if (decoded->last_offset() < request.offset) continue;
      if (!r.records.empty() &&
          r.records.size() + batch.size() > static_cast<std::size_t>(request.max_bytes)) {
        break;
      }
      r.records.insert(r.records.end(), batch.begin(), batch.end());
    }
    return r;
  }
  protocol::ResponseBody handle_body(protocol::NodeId self,
                                     const protocol::OffsetCommitRequest& request) {
    if (self != controller) return not_leader_body(protocol::ApiKey::offset_commit, controller);
    if (!lose_commits) {
      committed[{request.group_id, request.topic, request.partition}] = request.offset;
    }
    return protocol::OffsetCommitResponse{};
  }
  protocol::ResponseBody handle_body(protocol::NodeId self,
                                     const protocol::OffsetFetchRequest& request) {
    if (self != controller) return not_leader_body(protocol::ApiKey::offset_fetch, controller);
    protocol::OffsetFetchResponse r;
    auto it = committed.find({request.group_id, request.topic, request.partition});
    r.offset = it == committed.end() ? -1 : it->second;
    return r;
  }
};

// Adds `nodes` fake broker processes (node ids 1..nodes) to the world and
// starts them.
inline std::vector<sim::ProcessId> start_fake_brokers(sim::World& world, FakeCluster& cluster,
                                                      int nodes) {
  std::vector<sim::ProcessId> processes;
  for (int i = 1; i <= nodes; ++i) {
    const auto node = static_cast<protocol::NodeId>(i);
    const sim::ProcessId process =
        world.add_process(fmt::format("broker-{}", i), cluster.node_main(node));
    cluster.processes[node] = process;
    processes.push_back(process);
  }
  for (sim::ProcessId process : processes) world.start(process);
  return processes;
}

inline std::vector<CapturedRecord> of_kind(const std::vector<CapturedRecord>& records,
                                           std::string_view kind) {
  std::vector<CapturedRecord> selected;
  for (const auto& record : records) {
    if (record.kind == kind) selected.push_back(record);
  }
  return selected;
}

}  // namespace simrun::broker::testing
