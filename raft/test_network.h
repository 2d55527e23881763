#pragma once
// Test-only helper: a handful of Raft nodes with in-memory "disks"
// (raft/memory_storage.h), and a network that delivers Ready messages between
// them in FIFO order. Honours the persistence contract trivially (everything
// is persisted before any message is queued). Used by raft/*_test.cpp and the benchmark; never by
// the library itself.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/raft.h"

namespace simrun::raft::testing {

// splitmix64: deterministic, tiny, good enough for election jitter in tests.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline std::function<std::uint64_t(std::uint64_t)> make_random_below(std::uint64_t seed) {
  auto state = std::make_shared<std::uint64_t>(seed);
  return [state](std::uint64_t bound) { return splitmix64(*state) % bound; };
}

inline Config make_config(NodeId id, std::vector<NodeId> voters, std::uint64_t seed = 1) {
  Config config;
  config.id = id;
  config.voters = std::move(voters);
  config.election_ticks = 10;
  config.heartbeat_ticks = 1;
  config.random_below = make_random_below(seed * 1000 + id);
  return config;
}

struct Node {
  std::unique_ptr<Raft> raft;
  MemoryStorage storage;       // what the node has made durable
  std::vector<Entry> applied;  // committed entries in apply order
  std::uint64_t applied_snapshots = 0;
};

class Network {
 public:
  explicit Network(std::vector<NodeId> ids, std::uint64_t seed = 1,
                   const std::function<void(Config&)>& tweak = {})
      : ids_(std::move(ids)), seed_(seed), tweak_(tweak) {
    for (const NodeId id : ids_) start(id);
  }

  Raft& raft(NodeId id) { return *nodes_.at(id).raft; }
  Node& node(NodeId id) { return nodes_.at(id); }
  const std::vector<NodeId>& ids() const { return ids_; }

  // (Re)starts a node from what its storage holds.
  // `repair_through` set: the storage reports synced state damaged
  // (RestoredState::needs_repair), as broker/storage.h does.
  void start(NodeId id, std::optional<Index> repair_through = std::nullopt) {
    Config config = make_config(id, ids_, seed_ + restarts_++);
    if (tweak_) tweak_(config);
    // The node's storage (a map's node: its address survives the map).
    const Node* node = &nodes_[id];
    config.snapshot_source = [node] { return node->storage.snapshot(); };
    RestoredState restored = nodes_[id].storage.restored();
    restored.needs_repair = repair_through.has_value();
    restored.repair_through = repair_through.value_or(0);
    nodes_[id].raft = std::make_unique<Raft>(config, std::move(restored));
  }

  // Handles one node's Ready: persist, queue messages, apply, advance.
  // Returns whether there was one.
  bool process_ready(NodeId id) {
    Node& n = nodes_.at(id);
    if (!n.raft->has_ready()) return false;
    Ready rd = n.raft->ready();
    n.storage.persist(rd);
    if (rd.snapshot.has_value()) {
      ++n.applied_snapshots;
      n.applied.clear();  // the state machine is now the image
    }
    for (const Entry& e : rd.committed_entries) n.applied.push_back(e);
    for (Event& e : rd.events) events.push_back({id, std::move(e)});
    for (Message& m : rd.messages) {
      if (cut_.contains({m.from, m.to}) || down_.contains(m.to)) continue;
      if (drop_if && drop_if(m)) continue;
      in_flight.push_back(std::move(m));
    }
    n.raft->advance(rd);
    return true;
  }

  // Delivers messages and processes Readys until the network is quiet or
  // max_steps messages were delivered.
  void stabilize(std::size_t max_steps = 100000) {
    for (std::size_t step = 0; step < max_steps; ++step) {
      bool any = false;
      for (const NodeId id : ids_) {
        if (!down_.contains(id)) any = process_ready(id) || any;
      }
      if (in_flight.empty()) {
        if (!any) return;
        continue;
      }
      Message m = std::move(in_flight.front());
      in_flight.pop_front();
      if (!down_.contains(m.to)) nodes_.at(m.to).raft->step(m);
    }
  }

  void tick(NodeId id) {
    if (!down_.contains(id)) raft(id).tick();
  }
  void tick_all(int times = 1) {
    for (int i = 0; i < times; ++i) {
      for (const NodeId id : ids_) tick(id);
      stabilize();
    }
  }

  void campaign(NodeId id) {
    raft(id).campaign();
    stabilize();
  }

  // Cuts both directions between a and b.
  void cut(NodeId a, NodeId b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void isolate(NodeId id) {
    for (const NodeId other : ids_) {
      if (other != id) cut(id, other);
    }
  }
  void heal() { cut_.clear(); }
  void crash(NodeId id) { down_.insert(id); }
  void recover(NodeId id) {
    down_.erase(id);
    start(id);
  }
  // Restarts a node whose disk lost every entry above `kept_through`: it
  // comes back damaged, to be repaired up to `repair_through`.
  void recover_damaged(NodeId id, Index kept_through, Index repair_through) {
    down_.erase(id);
    nodes_.at(id).storage.lose_entries_after(kept_through);
    start(id, repair_through);
  }

  NodeId leader() const {
    NodeId found = kNoNode;
    for (const auto& [id, n] : nodes_) {
      if (down_.contains(id) || n.raft->role() != Role::leader) continue;
      if (found == kNoNode || n.raft->term() > nodes_.at(found).raft->term()) found = id;
    }
    return found;
  }

  std::size_t count_events(EventKind kind) const {
    return static_cast<std::size_t>(std::count_if(
        events.begin(), events.end(), [kind](const auto& e) { return e.second.kind == kind; }));
  }

  std::deque<Message> in_flight;
  std::vector<std::pair<NodeId, Event>> events;
  // Optional fault: messages for which this returns true are lost.
  std::function<bool(const Message&)> drop_if;

 private:
  std::vector<NodeId> ids_;
  std::uint64_t seed_;
  std::function<void(Config&)> tweak_;
  std::uint64_t restarts_ = 0;
  std::map<NodeId, Node> nodes_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::set<NodeId> down_;
};

// Proposes on the leader (which must exist) and stabilizes.
inline ProposeResult propose(Network& net, NodeId leader, std::uint8_t byte) {
  ProposeResult result = net.raft(leader).propose(Bytes{byte});
  net.stabilize();
  return result;
}

}  // namespace simrun::raft::testing
