#include "sim/network.h"

#include <string>
#include <utility>

#include "sim/assert.h"
#include "sim/connection.h"
#include "sim/digest.h"
#include "sim/hash.h"
#include "sim/trace_kinds.h"
#include "sim/world.h"

namespace simrun::sim {

namespace {
using Link = std::pair<ProcessId, ProcessId>;

std::int64_t as_number(std::uint64_t value) { return static_cast<std::int64_t>(value); }

std::string describe_groups(const std::vector<std::vector<ProcessId>>& groups) {
  std::string text;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g > 0) text += '|';
    for (std::size_t i = 0; i < groups[g].size(); ++i) {
      if (i > 0) text += ',';
      text += std::to_string(groups[g][i]);
    }
  }
  return text;
}
}  // namespace

Network::Network(World& world)
    : world_(world),
      default_link_(world.config().default_link),
      streams_(std::make_unique<Connections>(world, *this, world.config().connection)) {}

Network::~Network() = default;

void Network::send_segment(Envelope&& segment) {
  SIMRUN_ASSERT(segment.segment != Segment::datagram && segment.connection != 0,
                "send_segment takes connection segments");
  segment.message_id = next_message_id_++;
  ++stats_.sent;
  world_.trace().record(
      trace_kinds::kNetSegment,
      {{"from", segment.from},
       {"to", segment.to},
       {"id", as_number(segment.message_id)},
       {"conn", as_number(segment.connection)},
       {"kind", static_cast<std::int64_t>(segment.segment)},
       {"seq", as_number(segment.sequence)},
       {"ack", as_number(segment.acknowledged)},
       {"digest", as_number(segment.stream_payload != nullptr ? segment.stream_payload->digest
                                                              : digest_bytes(segment.payload))}});
  route(std::move(segment));
}

Rng& Network::rng() {
  if (rng_ == nullptr) rng_ = &world_.stream("network");
  return *rng_;
}

void Network::set_default_link(const LinkConfig& config) { default_link_ = config; }

void Network::set_link(ProcessId from, ProcessId to, const LinkConfig& config) {
  links_[{from, to}] = config;
}

const LinkConfig& Network::link(ProcessId from, ProcessId to) const {
  const auto found = links_.find({from, to});
  return found == links_.end() ? default_link_ : found->second;
}

bool Network::link_up(ProcessId from, ProcessId to) const {
  return cuts_.find({from, to}) == cuts_.end();
}

void Network::drop(const Envelope& envelope, std::string_view reason) {
  world_.trace().record(trace_kinds::kNetDrop, {{"from", envelope.from},
                                                {"to", envelope.to},
                                                {"id", as_number(envelope.message_id)},
                                                {"reason", reason}});
}

void Network::send(ProcessId from, ProcessId to, Bytes payload) {
  SIMRUN_ASSERT(from < world_.process_count() && to < world_.process_count(),
                "send between unknown processes");
  Envelope envelope{from, to, next_message_id_++, world_.now(), std::move(payload)};
  ++stats_.sent;
  world_.trace().record(trace_kinds::kNetSend,
                        {{"from", from},
                         {"to", to},
                         {"id", as_number(envelope.message_id)},
                         {"bytes", as_number(envelope.payload.size())},
                         {"digest", as_number(digest_bytes(envelope.payload))}});
  const ProcessState sender = world_.state(from);
  if (sender != ProcessState::running && sender != ProcessState::paused) {
    // Only a destructor running during a crash's unwinding can get here.
    ++stats_.dropped_dead;
    drop(envelope, "sender_down");
    return;
  }
  // A message between two live processes connects them (the connection a
  // TCP client opens; recorded even if the message is lost on the way).
  const ProcessState receiver = world_.state(to);
  if (from != to && (receiver == ProcessState::running || receiver == ProcessState::paused)) {
    connections_[from].insert(to);
    connections_[to].insert(from);
  }
  route(std::move(envelope));
}

// The path from the sender's side on: partition, random loss, clog,
// latency, reordering and duplication. Resets are never duplicated (one
// per connection).
void Network::route(Envelope&& envelope) {
  const ProcessId from = envelope.from;
  const ProcessId to = envelope.to;
  if (!link_up(from, to)) {
    ++stats_.dropped_partition;
    drop(envelope, "partition");
    return;
  }
  const LinkConfig& config = link(from, to);
  Rng& random = rng();
  if (random.bernoulli(config.drop_probability)) {
    ++stats_.dropped_random;
    drop(envelope, "random");
    return;
  }
  const auto clogged = clog_until_.find({from, to});
  if (clogged != clog_until_.end() && clogged->second > world_.now()) {
    ++stats_.clogged;
    world_.trace().record(trace_kinds::kNetHold, {{"from", from},
                                                  {"to", to},
                                                  {"id", as_number(envelope.message_id)},
                                                  {"until", clogged->second}});
    auto& held = clogged_[{from, to}];
    SIMRUN_ASSERT(held.size() < 1'000'000, "a clogged link holds too many messages");
    held.push_back(std::move(envelope));
    return;
  }
  duration_ns latency = config.latency.sample(random);
  if (random.bernoulli(config.reorder_probability)) {
    const duration_ns extra = random.uniform_int(0, config.reorder_delay_max_ns);
    ++stats_.reordered;
    world_.trace().record(
        trace_kinds::kNetReorder,
        {{"from", from}, {"to", to}, {"id", as_number(envelope.message_id)}, {"extra_ns", extra}});
    latency += extra;
  }
  if (!envelope.reset && random.bernoulli(config.duplicate_probability)) {
    ++stats_.duplicated;
    const duration_ns copy_latency = config.latency.sample(random);
    world_.trace().record(trace_kinds::kNetDuplicate, {{"from", from},
                                                       {"to", to},
                                                       {"id", as_number(envelope.message_id)},
                                                       {"latency_ns", copy_latency}});
    schedule_delivery(Envelope(envelope), world_.now() + copy_latency);
  }
  schedule_delivery(std::move(envelope), world_.now() + latency);
}

void Network::schedule_delivery(Envelope&& envelope, time_ns at) {
  std::uint32_t slot;
  if (!free_in_flight_.empty()) {
    slot = free_in_flight_.back();
    free_in_flight_.pop_back();
    in_flight_[slot] = std::move(envelope);
  } else {
    SIMRUN_ASSERT(in_flight_.size() < UINT32_MAX, "too many messages in flight");
    slot = static_cast<std::uint32_t>(in_flight_.size());
    in_flight_.push_back(std::move(envelope));
  }
  ++in_flight_count_;
  world_.loop().schedule_action_at(at, &Network::deliver_action, this, slot);
}

// Deliveries are EventLoop actions: the slot number is the whole context.
void Network::deliver_action(void* network, std::uint64_t slot) {
  static_cast<Network*>(network)->deliver(static_cast<std::uint32_t>(slot));
}

void Network::deliver(std::uint32_t slot) {
  // Moved out before anything else runs: handling it may put new messages
  // on the wire, into this slot or a grown in_flight_. The moved-from slot
  // holds no memory.
  Envelope envelope = std::move(in_flight_[slot]);
  free_in_flight_.push_back(slot);
  --in_flight_count_;
  // Checked again on arrival: a partition that starts while a message is on
  // the wire loses it.
  if (!link_up(envelope.from, envelope.to)) {
    ++stats_.dropped_partition;
    drop(envelope, "partition");
    return;
  }
  if (envelope.segment != Segment::datagram) {
    streams_->on_arrival(std::move(envelope));
    return;
  }
  const ProcessState receiver = world_.state(envelope.to);
  if (receiver != ProcessState::running && receiver != ProcessState::paused) {
    ++stats_.dropped_dead;
    drop(envelope, "receiver_down");
    // The host is up but nothing listens: it refuses the connection (a TCP
    // RST), so the sender learns at once instead of waiting for a timeout.
    // A reset is never answered with another reset.
    if (!envelope.reset) refuse(envelope);
    return;
  }
  Mailbox<Envelope>& inbox = world_.inbox(envelope.to);
  if (inbox.size() >= inbox.capacity()) {
    ++stats_.dropped_dead;
    drop(envelope, "inbox_full");
    return;
  }
  ++stats_.delivered;
  world_.trace().record(trace_kinds::kNetDeliver,
                        {{"from", envelope.from},
                         {"to", envelope.to},
                         {"id", as_number(envelope.message_id)},
                         {"latency_ns", world_.now() - envelope.sent_at}});
  const bool pushed = inbox.try_push(std::move(envelope));
  SIMRUN_ASSERT(pushed, "inbox refused a message it had room for");
}

void Network::reset_connections(ProcessId process) {
  SIMRUN_ASSERT(process < world_.process_count(), "reset of an unknown process");
  SIMRUN_ASSERT(world_.state(process) == ProcessState::crashed,
                "connections are reset only when their process has crashed");
  streams_->on_crash(process);
  const auto found = connections_.find(process);
  if (found == connections_.end()) return;
  const std::set<ProcessId> peers = std::move(found->second);
  connections_.erase(found);
  for (const ProcessId peer : peers) {
    // The peer's side of the connection is gone too: its next message to
    // the restarted process opens a new one.
    const auto peer_connections = connections_.find(peer);
    if (peer_connections != connections_.end()) peer_connections->second.erase(process);
    Envelope envelope{process, peer, next_message_id_++, world_.now(), {}};
    envelope.reset = true;
    envelope.cause = ResetCause::peer_reset;
    ++stats_.resets;
    world_.trace().record(
        trace_kinds::kNetReset,
        {{"from", process}, {"to", peer}, {"id", as_number(envelope.message_id)}});
    route(std::move(envelope));
  }
}

void Network::refuse(const Envelope& refused) {
  Envelope envelope{refused.to, refused.from, next_message_id_++, world_.now(), {}};
  envelope.reset = true;
  envelope.cause = ResetCause::peer_reset;
  ++stats_.resets;
  world_.trace().record(trace_kinds::kNetReset, {{"from", envelope.from},
                                                 {"to", envelope.to},
                                                 {"id", as_number(envelope.message_id)},
                                                 {"reason", "refused"}});
  route(std::move(envelope));
}

std::set<ProcessId> Network::connected_peers(ProcessId process) const {
  const auto found = connections_.find(process);
  return found == connections_.end() ? std::set<ProcessId>{} : found->second;
}

void Network::partition(const std::vector<std::vector<ProcessId>>& groups) {
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t h = 0; h < groups.size(); ++h) {
      if (g == h) continue;
      for (ProcessId a : groups[g]) {
        for (ProcessId b : groups[h]) {
          SIMRUN_ASSERT(a != b, "a process appears in two partition groups");
          cuts_.insert({a, b});
        }
      }
    }
  }
  world_.trace_fault("partition", {{"groups", describe_groups(groups)}});
}

void Network::cut_one_way(ProcessId from, ProcessId to) {
  SIMRUN_ASSERT(from != to, "cannot cut a process from itself");
  cuts_.insert({from, to});
  world_.trace_fault("cut_one_way", {{"from", from}, {"to", to}});
}

void Network::isolate(ProcessId process) {
  const auto count = static_cast<ProcessId>(world_.process_count());
  for (ProcessId other = 0; other < count; ++other) {
    if (other == process) continue;
    cuts_.insert({process, other});
    cuts_.insert({other, process});
  }
  world_.trace_fault("isolate", {{"process", process}});
}

void Network::bridge(const std::vector<ProcessId>& left, const std::vector<ProcessId>& right,
                     ProcessId bridge_process) {
  for (ProcessId a : left) {
    SIMRUN_ASSERT(a != bridge_process, "the bridge must not be in the left group");
    for (ProcessId b : right) {
      SIMRUN_ASSERT(b != bridge_process, "the bridge must not be in the right group");
      SIMRUN_ASSERT(a != b, "a process is on both sides of the bridge");
      cuts_.insert({a, b});
      cuts_.insert({b, a});
    }
  }
  world_.trace_fault("bridge",
                     {{"groups", describe_groups({left, right})}, {"bridge", bridge_process}});
}

void Network::clog(ProcessId from, ProcessId to, duration_ns window) {
  SIMRUN_ASSERT(window >= 0, "negative clog window");
  const time_ns until = world_.now() + window;
  time_ns& current = clog_until_[{from, to}];
  if (until > current) current = until;
  world_.trace_fault("clog", {{"from", from}, {"to", to}, {"until", current}});
  world_.loop().schedule_at(until, [this, from, to] { release_clog(from, to, false); });
}

void Network::unclog(ProcessId from, ProcessId to) { release_clog(from, to, true); }

void Network::release_clog(ProcessId from, ProcessId to, bool forced) {
  const auto clogged = clog_until_.find({from, to});
  if (clogged == clog_until_.end()) return;               // healed already
  if (!forced && clogged->second > world_.now()) return;  // window was extended
  clog_until_.erase(clogged);
  const auto held = clogged_.find({from, to});
  if (held == clogged_.end()) return;
  std::vector<Envelope> released = std::move(held->second);
  clogged_.erase(held);
  world_.trace().record(trace_kinds::kNetRelease,
                        {{"from", from}, {"to", to}, {"messages", as_number(released.size())}});
  // Same instant, scheduled in send order: the loop keeps that order.
  for (Envelope& envelope : released) schedule_delivery(std::move(envelope), world_.now());
}

void Network::heal() {
  cuts_.clear();
  world_.trace_fault("heal", {{"clogs", as_number(clog_until_.size())}});
  std::vector<Link> clogged_links;
  for (const auto& [link_key, until] : clog_until_) clogged_links.push_back(link_key);
  for (const Link& link_key : clogged_links) release_clog(link_key.first, link_key.second, true);
}

}  // namespace simrun::sim
