// raft_bench: how many step() calls and ticks per wall-clock second the Raft
// core sustains for a 3-node group under steady proposals, with messages
// delivered in memory (no codec, no simulator). Wall-clock timing is the
// point here, which is why this lives under tools/.
//
// Usage: raft_bench [seconds=2] [proposals_per_round=4] [payload_bytes=64]
//                   [rounds_per_tick=4]

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <vector>

#include "raft/raft.h"
#include "raft/test_network.h"

namespace {

using namespace simrun::raft;

struct Group {
  std::vector<std::unique_ptr<Raft>> nodes;  // node id = position + 1
  std::deque<Message> in_flight;
  std::uint64_t steps = 0;
  std::uint64_t ticks = 0;
  std::uint64_t applied_entries = 0;

  Raft& node(NodeId id) { return *nodes[id - 1]; }

  // Everything is "persisted" instantly; compaction keeps memory bounded.
  void process_readies() {
    for (auto& raft : nodes) {
      if (!raft->has_ready()) continue;
      Ready rd = raft->ready();
      applied_entries += rd.committed_entries.size();
      for (Message& m : rd.messages) in_flight.push_back(std::move(m));
      raft->advance(rd);
      if (raft->applied_index() >= raft->first_index() + 4096) {
        // No follower lags 1024 entries here, so no snapshot is ever sent
        // and the nodes need no Config::snapshot_source.
        raft->compact(raft->applied_index() - 1024);
      }
    }
  }

  void pump() {
    // Bounded: a round's traffic is a few messages per proposal.
    for (int guard = 0; guard < 1000000; ++guard) {
      process_readies();
      if (in_flight.empty()) return;
      while (!in_flight.empty()) {
        Message m = std::move(in_flight.front());
        in_flight.pop_front();
        node(m.to).step(m);
        ++steps;
      }
    }
    std::fprintf(stderr, "raft_bench: traffic did not settle\n");
    std::exit(1);
  }

  NodeId leader() const {
    for (const auto& raft : nodes) {
      if (raft->role() == Role::leader) return raft->id();
    }
    return kNoNode;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int proposals_per_round = argc > 2 ? std::atoi(argv[2]) : 4;
  const std::size_t payload_bytes = argc > 3 ? static_cast<std::size_t>(std::atol(argv[3])) : 64;
  const int rounds_per_tick = argc > 4 ? std::atoi(argv[4]) : 4;
  if (seconds <= 0 || proposals_per_round <= 0 || rounds_per_tick <= 0) {
    std::fprintf(stderr,
                 "usage: raft_bench [seconds] [proposals_per_round] [payload_bytes] "
                 "[rounds_per_tick]\n");
    return 2;
  }

  Group group;
  for (NodeId id = 1; id <= 3; ++id) {
    Config config = testing::make_config(id, {1, 2, 3}, 42);
    config.pre_vote = true;
    config.check_quorum = true;
    group.nodes.push_back(std::make_unique<Raft>(config, RestoredState{}));
  }
  group.node(1).campaign();
  group.pump();
  if (group.leader() != 1) {
    std::fprintf(stderr, "raft_bench: no leader after campaign\n");
    return 1;
  }

  const Bytes payload(payload_bytes, 0x5A);
  std::uint64_t proposals = 0;
  std::uint64_t rounds = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int batch = 0; batch < 256; ++batch, ++rounds) {
      const NodeId leader = group.leader();
      if (leader != kNoNode) {
        for (int p = 0; p < proposals_per_round; ++p) {
          if (group.node(leader).propose(payload).status == ProposeResult::Status::accepted) {
            ++proposals;
          }
        }
      }
      if (rounds % static_cast<std::uint64_t>(rounds_per_tick) == 0) {
        for (auto& raft : group.nodes) {
          raft->tick();
          ++group.ticks;
        }
      }
      group.pump();
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  const double operations = static_cast<double>(group.steps + group.ticks);
  std::printf("raft_bench: 3 nodes, %d proposals/round, %zu-byte payload, tick every %d rounds\n",
              proposals_per_round, payload_bytes, rounds_per_tick);
  std::printf("  wall time          %.3f s\n", elapsed);
  std::printf("  step() calls       %llu\n", static_cast<unsigned long long>(group.steps));
  std::printf("  ticks              %llu\n", static_cast<unsigned long long>(group.ticks));
  std::printf("  proposals          %llu (committed on leader: %llu)\n",
              static_cast<unsigned long long>(proposals),
              static_cast<unsigned long long>(group.node(1).commit_index()));
  std::printf("  entries applied    %llu (all nodes)\n",
              static_cast<unsigned long long>(group.applied_entries));
  std::printf("  final term         %llu (leader %u)\n",
              static_cast<unsigned long long>(group.node(1).term()), group.leader());
  std::printf("  steps per second   %.0f (step() + ticks)\n", operations / elapsed);
  std::printf("  proposals/second   %.0f\n", static_cast<double>(proposals) / elapsed);
  return 0;
}
