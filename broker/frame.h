#pragma once
// The first byte of every payload on the simulated network says what
// follows, so one inbox per process can carry peer Raft traffic and client
// requests alike.

#include <cstdint>

namespace simrun::broker {

enum class FrameKind : std::uint8_t {
  raft_message = 1,     // node -> node: group name + encoded raft::Message (broker/transport.h)
  raft_ack = 2,         // node -> node: transport-level ack of a raft_message (inline mode RPCs)
  client_request = 3,   // client -> node (broker/protocol.h)
  client_response = 4,  // node -> client (broker/protocol.h)
  meta_forward = 5,  // node -> __meta leader: a __meta command to propose (broker/metadata_sync.h)
  meta_forward_reply = 6,  // __meta leader -> node: its outcome
};

}  // namespace simrun::broker
