#include "raft/types.h"

namespace simrun::raft {

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::pre_vote_request:
      return "pre_vote_request";
    case MessageType::pre_vote_response:
      return "pre_vote_response";
    case MessageType::vote_request:
      return "vote_request";
    case MessageType::vote_response:
      return "vote_response";
    case MessageType::append:
      return "append";
    case MessageType::append_response:
      return "append_response";
    case MessageType::heartbeat:
      return "heartbeat";
    case MessageType::heartbeat_response:
      return "heartbeat_response";
    case MessageType::snapshot:
      return "snapshot";
    case MessageType::timeout_now:
      return "timeout_now";
  }
  return "unknown";
}

const char* to_string(Role role) {
  switch (role) {
    case Role::follower:
      return "follower";
    case Role::pre_candidate:
      return "pre_candidate";
    case Role::candidate:
      return "candidate";
    case Role::leader:
      return "leader";
  }
  return "unknown";
}

}  // namespace simrun::raft
