#pragma once
// A small command language that drives N Raft objects over an in-memory,
// fully controlled network and storage, for golden transcript tests in the
// style of etcd-io/raft's `testdata/*.txt` (datadriven). Each command
// returns its output as text; raft/interaction_test.cpp replays the
// transcripts in raft/testdata and compares.
//
// Commands (node ids are 1-based):
//   seed S                      seed for the per-node random streams (before add-nodes)
//   add-nodes N [election=10] [heartbeat=1] [prevote=true] [checkquorum=false]
//             [max-inflight=64] [max-entries=64]
//   campaign N                  N starts an election now
//   tick N [count]              tick node N count times (default 1)
//   tick-all [count]            tick every running node count times
//   propose N data              propose `data` at N
//   transfer-leader N TO        ask leader N to hand leadership to TO
//   process-ready [N...]        persist, send, apply and advance N's Ready (all nodes if none)
//   deliver-msgs [SEL]          deliver queued messages; SEL: all | N (to N) | A->B
//   drop-msgs [SEL]             drop queued messages (same selectors)
//   partition 1 2 / 3           nodes on different sides cannot exchange messages
//   heal                        remove the partition
//   stabilize [N...]            process-ready and deliver until quiescent (bounded)
//   crash N                     drop N's volatile state; its storage survives
//   restart N                   rebuild N from its storage
//   compact N INDEX             snapshot N's state machine at INDEX and trim its log
//   print-state                 one line per node
//   log N                       N's persisted snapshot point and log entries
//   status N                    N's role and, for a leader, its progress table
//   state-machine N             what N has applied
//
// Storage model: a Ready's snapshot, entries and hard state are "persisted"
// atomically when the Ready is processed, before its messages are queued,
// so `crash` keeps exactly what the persistence contract made durable.
// Invalid commands and impossible states throw std::runtime_error.
//
// This lives in the raft library but uses only raft types: the caller
// injects the random source (tests use simrun::sim::Rng).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/raft.h"
#include "raft/types.h"

namespace simrun::raft {

class InteractionEnv {
 public:
  using RandomSource = std::function<std::uint64_t(std::uint64_t bound)>;
  // Makes the random source of one node from (seed, node id).
  using RandomFactory = std::function<RandomSource(std::uint64_t seed, NodeId node)>;

  explicit InteractionEnv(RandomFactory random_factory);
  ~InteractionEnv();
  InteractionEnv(const InteractionEnv&) = delete;
  InteractionEnv& operator=(const InteractionEnv&) = delete;

  // Runs one command line and returns its output: one or more non-empty
  // lines, each ending in '\n'.
  std::string run(std::string_view command_line);

 private:
  struct Node;

  Node& node(NodeId id);
  Node& running_node(NodeId id);
  std::vector<NodeId> node_ids(const std::vector<std::string>& args, std::size_t from) const;
  void add_nodes(const std::vector<std::string>& args, std::string& out);
  bool process_ready(Node& n, std::string& out);
  void deliver(const std::vector<std::string>& args, bool drop, std::string& out);
  bool deliver_all(std::string& out);
  void stabilize(const std::vector<std::string>& args, std::string& out);
  void crash(Node& n, std::string& out);
  void restart(Node& n, std::string& out);
  void compact(Node& n, Index index, std::string& out);
  void print_state(std::string& out) const;
  void print_log(const Node& n, std::string& out) const;
  void print_status(const Node& n, std::string& out) const;
  void print_state_machine(const Node& n, std::string& out) const;
  void note_state_change(Node& n, std::string& out);
  bool connected(NodeId from, NodeId to) const;

  RandomFactory random_factory_;
  std::uint64_t seed_ = 1;
  std::vector<std::unique_ptr<Node>> nodes_;  // nodes_[id - 1]
  std::vector<Message> in_flight_;            // in send order
  std::map<NodeId, int> partition_side_;      // empty: fully connected
};

// One command of a transcript with its expected output.
struct TranscriptCase {
  std::vector<std::string> comments;  // '#' lines before the command
  std::string command;
  std::string output;  // lines each ending in '\n'; empty when not recorded yet
  int line = 0;        // 1-based line of the command in the file
};

// Format: comment lines, a command line, a line "----", output lines, then a
// blank line. Output lines are never blank.
std::vector<TranscriptCase> parse_transcript(std::string_view text);
std::string render_transcript(const std::vector<TranscriptCase>& cases);

// Text forms used in transcripts (stable: goldens depend on them).
std::string format_entry(const Entry& entry);
std::string format_message(const Message& message);
std::string format_event(const Event& event);

}  // namespace simrun::raft
