#pragma once
// Counts the Raft messages one group on one node sends to each peer per
// simulated second and traces each finished second as
//   raft.message_rate {group, node, peer, second, messages}
// (broker/events.h), so a checker outside the node can see a resend loop
// whose rate keeps climbing (issue 11: a leader re-sending an append that a
// follower rejects forever). A second is reported when the first message
// of a later second is counted; seconds without messages are not reported.

#include <cstdint>
#include <map>
#include <string>

#include "raft/types.h"
#include "sim/env.h"

namespace simrun::broker {

class MessageRate {
 public:
  MessageRate(sim::Env& env, std::string group, raft::NodeId self);
  void count(raft::NodeId peer);

 private:
  struct PeerSecond {
    std::int64_t second = -1;
    std::int64_t messages = 0;
  };
  sim::Env& env_;
  std::string group_;
  raft::NodeId self_;
  std::map<raft::NodeId, PeerSecond> peers_;  // bounded by the group's voters
};

}  // namespace simrun::broker
