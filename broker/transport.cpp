#include "broker/transport.h"

#include <cstring>
#include <span>
#include <utility>

#include "raft/codec.h"
#include "raft/little_endian.h"
#include "sim/assert.h"
#include "sim/sync.h"

namespace simrun::broker {

namespace {

// Group names are short ("__meta", "<topic>/<partition>"); a longer one is a
// corrupt frame.
constexpr std::size_t kMaxGroupNameBytes = 1024;

using raft::store_le;

template <int Width>
void put_le(sim::Bytes& out, std::uint64_t value) {
  const std::size_t at = out.size();
  out.resize(at + Width);
  store_le<Width>(out.data() + at, value);
}

// The caller checked that `in` holds Width bytes from `at`.
template <int Width>
std::uint64_t get_le(const sim::Bytes& in, std::size_t at) {
  return raft::load_le<Width>(in.data() + at);
}

// A raft_message frame's header (kind, group length, group, sequence):
// the group name's length when the header is whole and within bounds.
std::optional<std::size_t> message_frame_group_bytes(const sim::Bytes& payload) {
  if (payload.size() < 3 || payload[0] != static_cast<std::uint8_t>(FrameKind::raft_message)) {
    return std::nullopt;
  }
  const auto group_bytes = static_cast<std::size_t>(get_le<2>(payload, 1));
  if (group_bytes > kMaxGroupNameBytes || payload.size() < 3 + group_bytes + 8) {
    return std::nullopt;
  }
  return group_bytes;
}

}  // namespace

struct Transport::PendingRpc {
  PendingRpc(sim::Scheduler& scheduler, sim::ProcessId peer_process)
      : peer(peer_process), acked_signal(scheduler) {}
  sim::ProcessId peer;
  bool acked = false;
  bool reset = false;
  sim::WaitQueue acked_signal;
};

Transport::Transport(sim::Env& env, raft::NodeId self, std::vector<sim::ProcessId> node_processes,
                     const BrokerConfig& config)
    : env_(env),
      self_(self),
      node_processes_(std::move(node_processes)),
      connect_timeout_ns_(sim::millis(config.rpc_connect_timeout_ms)),
      request_timeout_ns_(sim::millis(config.rpc_request_timeout_ms)) {
  SIMRUN_ASSERT(self_ >= 1 && self_ <= node_processes_.size(), "self must be in the node table");
  SIMRUN_ASSERT(connect_timeout_ns_ > 0 && request_timeout_ns_ > 0, "RPC timeouts positive");
}

Transport::~Transport() = default;

sim::ProcessId Transport::process_of(raft::NodeId node) const {
  SIMRUN_ASSERT(node >= 1 && node <= node_processes_.size(), "unknown node id");
  return node_processes_[node - 1];
}

bool Transport::peer_disconnected(raft::NodeId node) const {
  return !env_.connected(process_of(node));
}

sim::Bytes Transport::encode_message_frame(std::string_view group, std::uint64_t sequence,
                                           const raft::Message& message) {
  SIMRUN_ASSERT(group.size() <= kMaxGroupNameBytes, "group name too long for a frame");
  // The header in one piece (one resize, three copies), then the body
  // encoded in place after it, without a copy.
  const std::size_t header_bytes = 1 + 2 + group.size() + 8;
  sim::Bytes frame;
  frame.reserve(header_bytes + raft::encoded_message_bytes(message));
  frame.resize(header_bytes);
  std::uint8_t* const header = frame.data();
  header[0] = static_cast<std::uint8_t>(FrameKind::raft_message);
  store_le<2>(header + 1, group.size());
  if (!group.empty()) std::memcpy(header + 3, group.data(), group.size());
  store_le<8>(header + 3 + group.size(), sequence);
  raft::encode_message_into(message, frame);
  return frame;
}

std::optional<Transport::DecodedMessageFrame> Transport::decode_message_frame(
    const sim::Bytes& payload) {
  std::optional<DecodedMessageFrame> frame(std::in_place);
  if (!decode_message_frame_into(payload, frame->group, frame->sequence, frame->message)) {
    return std::nullopt;
  }
  return frame;
}

bool Transport::decode_message_frame_into(const sim::Bytes& payload, std::string& group,
                                          std::uint64_t& sequence, raft::Message& message) {
  const std::optional<std::size_t> group_bytes_read = message_frame_group_bytes(payload);
  if (!group_bytes_read) return false;
  const std::size_t group_bytes = *group_bytes_read;
  group.assign(reinterpret_cast<const char*>(payload.data()) + 3, group_bytes);
  sequence = get_le<8>(payload, 3 + group_bytes);
  const std::size_t body_at = 3 + group_bytes + 8;
  return raft::decode_message_into(std::span<const std::uint8_t>(payload).subspan(body_at),
                                   message);
}

std::optional<std::uint64_t> Transport::message_frame_sequence(const sim::Bytes& payload) {
  const std::optional<std::size_t> group_bytes = message_frame_group_bytes(payload);
  if (!group_bytes) return std::nullopt;
  return get_le<8>(payload, 3 + *group_bytes);
}

sim::Bytes Transport::encode_ack_frame(std::uint64_t sequence) {
  sim::Bytes frame;
  frame.push_back(static_cast<std::uint8_t>(FrameKind::raft_ack));
  put_le<8>(frame, sequence);
  return frame;
}

std::optional<std::uint64_t> Transport::decode_ack_frame(const sim::Bytes& payload) {
  if (payload.size() != 9 || payload[0] != static_cast<std::uint8_t>(FrameKind::raft_ack)) {
    return std::nullopt;
  }
  return get_le<8>(payload, 1);
}

void Transport::send_async(std::string_view group, const raft::Message& message) {
  SIMRUN_ASSERT(message.from == self_, "a node sends only its own messages");
  SIMRUN_ASSERT(message.to != self_, "no messages to self over the network");
  ++stats_.sent_async;
  env_.send_stream(process_of(message.to), encode_message_frame(group, 0, message),
                   connect_timeout_ns_);
}

bool Transport::send_blocking(std::string_view group, const raft::Message& message) {
  SIMRUN_ASSERT(message.from == self_, "a node sends only its own messages");
  SIMRUN_ASSERT(message.to != self_, "no messages to self over the network");
  const std::uint64_t sequence = next_sequence_++;
  const sim::ProcessId peer = process_of(message.to);
  auto pending = std::make_shared<PendingRpc>(env_.scheduler(), peer);
  pending_.emplace(sequence, pending);
  ++stats_.sent_blocking;
  const sim::time_ns started = env_.now();
  env_.send_stream(peer, encode_message_frame(group, sequence, message), connect_timeout_ns_);

  // The request timeout bounds the call; a reset of the connection (which
  // also reports a connect timeout) ends it early. One wait suffices: only
  // the ack or the reset notifies this queue. The loop guards against a
  // spurious wake-up all the same, bounded by the deadline.
  const sim::time_ns deadline = started + request_timeout_ns_;
  while (!pending->acked && !pending->reset) {
    const sim::duration_ns left = deadline - env_.now();
    if (left <= 0 || !pending->acked_signal.wait_for(left)) break;
  }
  pending_.erase(sequence);
  stats_.blocked_ns_total += env_.now() - started;
  if (!pending->acked) {
    if (pending->reset) {
      ++stats_.rpc_resets;
    } else {
      ++stats_.rpc_timeouts;
    }
  }
  return pending->acked;
}

void Transport::receive_reset(const sim::Envelope& envelope) {
  SIMRUN_ASSERT(envelope.reset, "receive_reset takes connection resets");
  for (auto& [sequence, pending] : pending_) {
    if (pending->peer != envelope.from || pending->acked || pending->reset) continue;
    pending->reset = true;
    pending->acked_signal.notify_all();
  }
}

std::optional<IncomingRaftMessage> Transport::receive_message(const sim::Envelope& envelope) {
  if (envelope.reset) return std::nullopt;  // receive_reset's
  SIMRUN_ASSERT(!envelope.payload.empty() &&
                    envelope.payload[0] == static_cast<std::uint8_t>(FrameKind::raft_message),
                "receive_message takes raft_message frames");
  std::optional<IncomingRaftMessage> incoming(std::in_place);
  std::uint64_t sequence = 0;
  if (!decode_message_frame_into(envelope.payload, incoming->group, sequence, incoming->message) ||
      incoming->message.to != self_ || incoming->message.from == raft::kNoNode ||
      incoming->message.from > node_processes_.size()) {
    ++stats_.malformed_frames;
    return std::nullopt;
  }
  if (sequence != 0) {
    // The RPC is answered at receipt, as the legacy server did: the ack says
    // "delivered to the node", not "handled by the group".
    ++stats_.acks_sent;
    // On the frame's own connection: a restarted sender numbers its RPCs
    // from 1 again and must not take this ack for one of its own.
    env_.reply(envelope, encode_ack_frame(sequence));
  }
  return incoming;
}

void Transport::receive_ack(const sim::Envelope& envelope) {
  if (envelope.reset) return;  // receive_reset's
  SIMRUN_ASSERT(!envelope.payload.empty() &&
                    envelope.payload[0] == static_cast<std::uint8_t>(FrameKind::raft_ack),
                "receive_ack takes raft_ack frames");
  auto sequence = decode_ack_frame(envelope.payload);
  if (!sequence) {
    ++stats_.malformed_frames;
    return;
  }
  auto it = pending_.find(*sequence);
  if (it == pending_.end()) {
    ++stats_.stale_acks;
    return;
  }
  ++stats_.acks_received;
  it->second->acked = true;
  it->second->acked_signal.notify_all();
}

}  // namespace simrun::broker
