#pragma once
// Test fixture for the RaftGroup driver: a sim::World with N node processes,
// each running one RaftGroup ("g") over a real Transport, with a tiny
// dispatcher fiber in place of the node runtime (broker/node.h). Nodes can
// also be "scripted": no RaftGroup, the test sends their frames by hand and
// sees what the real node answers. Trace records are copied out for checks.
// Header-only, used by broker/group_test.cpp.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/frame.h"
#include "broker/group.h"
#include "broker/trace_capture_for_tests.h"
#include "broker/transport.h"
#include "sim/world.h"

namespace simrun::broker::testing {

// Applies non-empty entries; an empty one fails to decode, like the legacy
// record-batch decoder did (mechanism 4).
class ListStateMachine : public StateMachine {
 public:
  bool apply(const raft::Entry& entry) override {
    if (entry.data.empty()) return false;
    records.push_back(entry.data);
    return true;
  }
  void snapshot_into(raft::Bytes& image) const override {
    for (const raft::Bytes& record : records) {
      image.push_back(static_cast<std::uint8_t>(record.size()));
      image.insert(image.end(), record.begin(), record.end());
    }
  }
  void restore(const raft::Bytes& image) override {
    records.clear();
    for (std::size_t at = 0; at < image.size();) {
      const std::size_t size = image[at++];
      records.emplace_back(image.begin() + static_cast<std::ptrdiff_t>(at),
                           image.begin() + static_cast<std::ptrdiff_t>(at + size));
      at += size;
    }
  }
  std::vector<raft::Bytes> records;
};

using Record = CapturedRecord;

struct ReceivedMessage {
  raft::NodeId at = 0;  // the scripted node that received it
  std::string group;
  raft::Message message;
};

inline raft::Bytes bytes_of(const std::string& text) {
  return raft::Bytes(text.begin(), text.end());
}

class GroupCluster {
 public:
  static constexpr const char* kGroup = "g";

  // `scripted[i]`: node i+1 runs no RaftGroup.
  GroupCluster(BrokerConfig config, int nodes, sim::WorldConfig world_config = {},
               std::vector<bool> scripted = {})
      : config_(std::move(config)), nodes_(static_cast<std::size_t>(nodes)), world_(world_config) {
    scripted.resize(nodes_.size(), false);
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i].scripted = scripted[i];
      voters_.push_back(static_cast<raft::NodeId>(i + 1));
      nodes_[i].process = world_.add_process("node" + std::to_string(i + 1),
                                             [this, i](sim::Env& env) { node_main(env, i); });
      processes_.push_back(nodes_[i].process);
    }
    capture_trace(world_, records);
    for (const auto& node : nodes_) world_.start(node.process);
  }

  sim::World& world() { return world_; }
  void run_for(sim::duration_ns duration) { world_.run_until(world_.now() + duration); }

  RaftGroup* group(raft::NodeId id) { return nodes_[id - 1].group; }
  ListStateMachine* state_machine(raft::NodeId id) { return nodes_[id - 1].state_machine; }
  Transport* transport(raft::NodeId id) { return nodes_[id - 1].transport; }
  sim::ProcessId process(raft::NodeId id) const { return nodes_[id - 1].process; }

  // The live leader with the highest term, or kNoNode.
  raft::NodeId leader() {
    raft::NodeId best = raft::kNoNode;
    raft::Term best_term = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      RaftGroup* g = nodes_[i].group;
      if (g != nullptr && g->is_leader() && g->term() >= best_term) {
        best = static_cast<raft::NodeId>(i + 1);
        best_term = g->term();
      }
    }
    return best;
  }

  // Runs `body` in a fresh fiber of node `id` (e.g. a client waiting on a
  // proposal).
  void spawn_on(raft::NodeId id, std::function<void()> body) {
    world_.spawn(process(id), "test-client", std::move(body));
  }

  // A scripted node sends a Raft message to node `message.to`.
  void send_from_script(const raft::Message& message) {
    world_.network().send(process(message.from), process(message.to),
                          Transport::encode_message_frame(kGroup, 0, message));
  }

  std::vector<Record> of_kind(const std::string& kind) const {
    std::vector<Record> out;
    for (const Record& record : records) {
      if (record.kind == kind) out.push_back(record);
    }
    return out;
  }
  // Largest raft.heartbeat_gap seen by `node` (all nodes when 0).
  std::int64_t max_heartbeat_gap_ns(raft::NodeId node = 0) const {
    std::int64_t max_gap = 0;
    for (const Record& record : of_kind("raft.heartbeat_gap")) {
      if (node == 0 || record.n("node") == node) max_gap = std::max(max_gap, record.n("gap_ns"));
    }
    return max_gap;
  }
  std::size_t count(const std::string& kind) const { return of_kind(kind).size(); }

  std::vector<Record> records;
  std::vector<ReceivedMessage> scripted_inbox;
  // Called for every message a scripted node receives; returns replies.
  std::function<std::vector<raft::Message>(const raft::Message&)> script;

 private:
  struct Node {
    sim::ProcessId process = 0;
    bool scripted = false;
    RaftGroup* group = nullptr;
    ListStateMachine* state_machine = nullptr;
    Transport* transport = nullptr;
  };

  void node_main(sim::Env& env, std::size_t index) {
    const auto self = static_cast<raft::NodeId>(index + 1);
    Node& node = nodes_[index];
    Transport transport(env, self, processes_, config_);
    ListStateMachine state_machine;
    std::optional<RaftGroup> group;
    // Cleared when the fiber unwinds (crash), so the test never touches a
    // dead node's objects.
    struct Clear {
      Node& node;
      ~Clear() {
        node.group = nullptr;
        node.state_machine = nullptr;
        node.transport = nullptr;
      }
    } clear{node};
    node.transport = &transport;
    if (!node.scripted) {
      group.emplace(env, self, GroupSpec{kGroup, voters_}, config_, state_machine, transport);
      node.group = &*group;
      node.state_machine = &state_machine;
      group->start();
    }
    for (;;) {
      sim::Envelope envelope = env.inbox().receive();
      if (envelope.reset) {
        transport.receive_reset(envelope);
        continue;
      }
      if (envelope.payload.empty()) continue;
      if (envelope.payload[0] == static_cast<std::uint8_t>(FrameKind::raft_ack)) {
        transport.receive_ack(envelope);
        continue;
      }
      if (envelope.payload[0] != static_cast<std::uint8_t>(FrameKind::raft_message)) continue;
      auto incoming = transport.receive_message(envelope);
      if (!incoming) continue;
      if (group) {
        if (incoming->group == kGroup) group->deliver(std::move(incoming->message));
        continue;
      }
      scripted_inbox.push_back(ReceivedMessage{self, incoming->group, incoming->message});
      if (script) {
        for (raft::Message reply : script(incoming->message)) {
          reply.from = self;
          transport.send_async(kGroup, reply);
        }
      }
    }
  }

  // The World is declared last so it is destroyed first: unwinding the
  // fibers at its destruction still finds nodes_ alive.
  BrokerConfig config_;
  std::vector<Node> nodes_;
  std::vector<sim::ProcessId> processes_;
  std::vector<raft::NodeId> voters_;
  sim::World world_;
};

}  // namespace simrun::broker::testing
