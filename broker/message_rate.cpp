#include "broker/message_rate.h"

#include <utility>

#include "broker/events.h"
#include "sim/time.h"

namespace simrun::broker {

MessageRate::MessageRate(sim::Env& env, std::string group, raft::NodeId self)
    : env_(env), group_(std::move(group)), self_(self) {}

void MessageRate::count(raft::NodeId peer) {
  const std::int64_t second = env_.now() / sim::seconds(1);
  PeerSecond& current = peers_[peer];
  if (current.second != second) {
    if (current.messages > 0) {
      env_.trace().record(events::kMessageRate, {{"group", group_},
                                                 {"node", static_cast<std::int64_t>(self_)},
                                                 {"peer", static_cast<std::int64_t>(peer)},
                                                 {"second", current.second},
                                                 {"messages", current.messages}});
    }
    current.second = second;
    current.messages = 0;
  }
  ++current.messages;
}

}  // namespace simrun::broker
