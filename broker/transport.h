#pragma once
// Node-to-node Raft traffic on the simulated network, shared by every
// RaftGroup of one node.
//
// Frames (first byte: broker/frame.h FrameKind):
//   raft_message: kind(1) | group length(u16 LE) | group bytes |
//                 sequence(u64 LE) | encoded raft::Message (raft/codec.h)
//   raft_ack:     kind(1) | sequence(u64 LE)
// Sequence 0 means fire-and-forget: the receiver sends no ack.
//
// Every frame travels on a connection (sim/connection.h), one per peer, as
// the field system's gRPC channels ran over TCP: lost, duplicated or
// reordered segments become retransmission delay, never lost messages; a
// partition holds them until the heal.
//
// Two send styles:
//  - send_async: fire and forget (pipelined mode);
//  - send_blocking: the legacy RPC of inline_sequential / v2_spawned_apply:
//    send, then block the calling fiber until the peer's raft_ack arrives,
//    at most rpc_request_timeout_ms (30 s). A reset of the connection fails
//    the call at once, as gRPC fails a call whose connection is reset: a
//    crashed peer whose host answers costs one round trip. Opening a
//    connection is bounded by rpc_connect_timeout_ms (5 s): a peer
//    unreachable when no connection is open costs that long. A caller that
//    sends to several peers one after another is held by the slowest of
//    them: the head-of-line blocking of mechanism 9, produced by the
//    mechanism itself rather than scripted.
//
// The node's dispatcher fiber reads the process inbox and hands every
// raft_message frame to receive_message() (which acks it when asked and
// returns the group name and message for routing) and every raft_ack frame
// to receive_ack(), and every connection reset to receive_reset().

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/config.h"
#include "broker/frame.h"
#include "raft/types.h"
#include "sim/env.h"

namespace simrun::broker {

struct IncomingRaftMessage {
  std::string group;
  raft::Message message;
};

struct TransportStats {
  std::uint64_t sent_async = 0;
  std::uint64_t sent_blocking = 0;
  std::uint64_t acks_received = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t rpc_timeouts = 0;
  std::uint64_t rpc_resets = 0;           // blocking RPCs failed by a connection reset
  std::uint64_t malformed_frames = 0;     // undecodable raft_message / raft_ack
  std::uint64_t stale_acks = 0;           // ack for an RPC that already gave up
  sim::duration_ns blocked_ns_total = 0;  // time callers spent in send_blocking
};

class Transport {
 public:
  // `node_processes[i]` is the simulated process of Raft node id i + 1.
  Transport(sim::Env& env, raft::NodeId self, std::vector<sim::ProcessId> node_processes,
            const BrokerConfig& config);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Fire and forget.
  void send_async(std::string_view group, const raft::Message& message);
  // Legacy blocking RPC (see above). Returns true when the peer acked.
  // Must be called from a fiber of this node's process.
  bool send_blocking(std::string_view group, const raft::Message& message);

  // Dispatcher side. `envelope.payload[0]` must be FrameKind::raft_message.
  // Sends the ack back when the sender asked for one. nullopt for a
  // malformed frame (counted, never a crash: bytes on a network can be bad).
  std::optional<IncomingRaftMessage> receive_message(const sim::Envelope& envelope);
  // `envelope.payload[0]` must be FrameKind::raft_ack.
  void receive_ack(const sim::Envelope& envelope);
  // `envelope.reset` must be set: the connection to `envelope.from` failed
  // (peer crashed, connect timeout, user timeout). Every blocking RPC
  // outstanding to that peer fails now.
  void receive_reset(const sim::Envelope& envelope);

  raft::NodeId self() const { return self_; }
  sim::ProcessId process_of(raft::NodeId node) const;
  // No established connection to the peer (the next send opens one).
  bool peer_disconnected(raft::NodeId node) const;
  const TransportStats& stats() const { return stats_; }

  // Frame codecs, exposed for tests and for the node's dispatcher.
  static sim::Bytes encode_message_frame(std::string_view group, std::uint64_t sequence,
                                         const raft::Message& message);
  struct DecodedMessageFrame {
    std::string group;
    std::uint64_t sequence = 0;
    raft::Message message;
  };
  static std::optional<DecodedMessageFrame> decode_message_frame(const sim::Bytes& payload);
  // The same decoding into the caller's fields (the receive path decodes
  // each frame where it is routed from, without moving a Message through
  // two optionals). False for a frame decode_message_frame rejects; the
  // outputs are then unspecified.
  static bool decode_message_frame_into(const sim::Bytes& payload, std::string& group,
                                        std::uint64_t& sequence, raft::Message& message);
  // A raft_message frame's RPC sequence (0: sent with send_async, no ack
  // wanted) from its header alone; nullopt when the header is malformed.
  static std::optional<std::uint64_t> message_frame_sequence(const sim::Bytes& payload);
  static sim::Bytes encode_ack_frame(std::uint64_t sequence);
  static std::optional<std::uint64_t> decode_ack_frame(const sim::Bytes& payload);

 private:
  struct PendingRpc;
  sim::Env& env_;
  raft::NodeId self_;
  std::vector<sim::ProcessId> node_processes_;
  sim::duration_ns connect_timeout_ns_;
  sim::duration_ns request_timeout_ns_;
  std::uint64_t next_sequence_ = 1;
  // Bounded by the number of fibers blocked in send_blocking.
  std::map<std::uint64_t, std::shared_ptr<PendingRpc>> pending_;
  TransportStats stats_;
};

}  // namespace simrun::broker
