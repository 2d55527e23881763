#include "sim/connection.h"

#include <memory>
#include <string_view>
#include <utility>

#include "sim/assert.h"
#include "sim/digest.h"
#include "sim/trace_kinds.h"
#include "sim/world.h"

namespace simrun::sim {

namespace {
// Bounds on what one connection holds; a run that reaches them has a
// runaway sender, not a slow network.
constexpr std::size_t kMaxUnackedMessages = 1'000'000;
constexpr std::size_t kMaxOutOfOrderSegments = 1'000'000;
constexpr int kMaxBackoff = 30;

std::int64_t as_number(std::uint64_t value) { return static_cast<std::int64_t>(value); }

std::string_view cause_name(ResetCause cause) {
  switch (cause) {
    case ResetCause::none:
      return "none";
    case ResetCause::peer_reset:
      return "peer_reset";
    case ResetCause::connect_timeout:
      return "connect_timeout";
    case ResetCause::user_timeout:
      return "user_timeout";
    case ResetCause::peer_closed:
      return "peer_closed";
  }
  return "unknown";
}

bool running_or_paused(ProcessState state) {
  switch (state) {
    case ProcessState::running:
    case ProcessState::paused:
      return true;
    case ProcessState::created:
    case ProcessState::crashed:
      return false;
  }
  return false;
}
}  // namespace

Connections::Connections(World& world, Network& network, ConnectionConfig config)
    : world_(world), network_(network), config_(config) {
  SIMRUN_ASSERT(config_.rto_min > 0 && config_.rto_max >= config_.rto_min,
                "RTO bounds must be positive and ordered");
  SIMRUN_ASSERT(
      config_.syn_rto > 0 && config_.user_timeout > 0 && config_.default_connect_timeout > 0,
      "connection timeouts must be positive");
  SIMRUN_ASSERT(config_.delayed_ack >= 0 && config_.delayed_ack < config_.rto_min,
                "the delayed-ack timeout must stay below the minimum RTO");
}

Connections::Connection* Connections::find(std::uint64_t id) {
  const auto found = connections_.find(id);
  return found == connections_.end() ? nullptr : &found->second;
}

int Connections::side_of(const Connection& connection, ProcessId process) const {
  if (connection.sides[0].process == process) return 0;
  SIMRUN_ASSERT(connection.sides[1].process == process, "process is not an end of the connection");
  return 1;
}

std::uint64_t Connections::channel(ProcessId from, ProcessId to) const {
  const auto found = channels_.find({from, to});
  return found == channels_.end() ? 0 : found->second;
}

bool Connections::alive(const Side& side) const {
  return side.state != SideState::closed && running_or_paused(world_.state(side.process)) &&
         world_.incarnation(side.process) == side.incarnation;
}

bool Connections::established(ProcessId from, ProcessId to) const {
  const std::uint64_t id = channel(from, to);
  if (id == 0) return false;
  const Connection& connection = connections_.at(id);
  return connection.established || connection.sides[0].process != from;
}

bool Connections::open(ProcessId from, ProcessId to) const { return channel(from, to) != 0; }

void Connections::connect(ProcessId from, ProcessId to, duration_ns connect_timeout) {
  SIMRUN_ASSERT(from < world_.process_count() && to < world_.process_count(),
                "connect between unknown processes");
  SIMRUN_ASSERT(from != to, "a process does not connect to itself");
  SIMRUN_ASSERT(connect_timeout > 0, "connect timeout must be positive");
  if (!running_or_paused(world_.state(from))) return;  // a crash's unwinding
  if (channel(from, to) != 0) return;
  const std::uint64_t id = next_id_++;
  Connection& connection = connections_[id];
  connection.id = id;
  connection.sides[0].process = from;
  connection.sides[0].incarnation = world_.incarnation(from);
  connection.sides[0].state = SideState::open;
  connection.sides[0].last_progress = world_.now();
  connection.sides[1].process = to;
  channels_[{from, to}] = id;
  ++stats_.opened;
  world_.trace().record(
      trace_kinds::kNetConnect,
      {{"from", from}, {"to", to}, {"conn", as_number(id)}, {"timeout_ns", connect_timeout}});
  send_syn(connection);
  world_.loop().schedule_at(world_.now() + connect_timeout,
                            [this, id] { on_connect_deadline(id); });
}

void Connections::send_syn(Connection& connection) {
  ++connection.syn_attempts;
  send_control(connection.sides[0].process, connection.sides[1].process, connection.id,
               Segment::syn, 0);
  // Linux's SYN retransmissions: 1 s, then doubling.
  duration_ns rto = config_.syn_rto;
  for (int i = 1; i < connection.syn_attempts && rto < config_.rto_max; ++i) rto *= 2;
  const std::uint64_t id = connection.id;
  const int attempt = connection.syn_attempts;
  world_.loop().schedule_at(world_.now() + rto, [this, id, attempt] { on_syn_rto(id, attempt); });
}

void Connections::on_syn_rto(std::uint64_t id, int attempt) {
  Connection* connection = find(id);
  if (connection == nullptr || connection->established || connection->syn_attempts != attempt ||
      !alive(connection->sides[0])) {
    return;
  }
  send_syn(*connection);
}

void Connections::on_connect_deadline(std::uint64_t id) {
  Connection* connection = find(id);
  if (connection == nullptr || connection->established) return;
  if (connection->sides[0].state != SideState::open) return;
  ++stats_.failed_connect_timeout;
  fail_side(*connection, 0, ResetCause::connect_timeout, true);
  // The passive side may have accepted a SYN whose answer was lost.
  fail_side(*connection, 1, ResetCause::connect_timeout, true);
  forget_if_closed(id);
}

void Connections::send(ProcessId from, ProcessId to, Bytes payload, duration_ns connect_timeout) {
  if (!running_or_paused(world_.state(from))) return;  // a crash's unwinding
  std::uint64_t id = channel(from, to);
  if (id == 0) {
    connect(from, to, connect_timeout > 0 ? connect_timeout : config_.default_connect_timeout);
    id = channel(from, to);
  }
  Connection& connection = connections_.at(id);
  const int side_index = side_of(connection, from);
  SIMRUN_ASSERT(connection.sides[side_index].state == SideState::open,
                "a channel names an open side");
  send_on(connection, side_index, std::move(payload));
}

bool Connections::reply(ProcessId from, std::uint64_t connection_id, Bytes payload) {
  SIMRUN_ASSERT(connection_id != 0, "a reply goes on a connection");
  if (!running_or_paused(world_.state(from))) return false;  // a crash's unwinding
  Connection* connection = find(connection_id);
  if (connection != nullptr) {
    const int side_index = side_of(*connection, from);
    const Side& side = connection->sides[side_index];
    if (side.state == SideState::open && alive(side)) {
      send_on(*connection, side_index, std::move(payload));
      return true;
    }
  }
  ++stats_.replies_dropped;
  world_.trace().record(
      trace_kinds::kNetDrop,
      {{"from", from}, {"conn", as_number(connection_id)}, {"reason", "connection_closed"}});
  return false;
}

void Connections::send_on(Connection& connection, int side_index, Bytes payload) {
  Side& side = connection.sides[side_index];
  SIMRUN_ASSERT(side.state == SideState::open, "data goes out on an open side");
  const ProcessId from = side.process;
  const ProcessId to = connection.sides[1 - side_index].process;
  Envelope message{from, to, 0, world_.now(), {}};
  const std::uint64_t digest = digest_bytes(payload);
  message.stream_payload =
      std::make_shared<StreamPayload>(StreamPayload{std::move(payload), digest});
  message.segment = Segment::data;
  message.connection = connection.id;
  message.sequence = side.next_send_sequence++;
  ++stats_.messages_sent;
  if (side_index == 0 && !connection.established) {
    SIMRUN_ASSERT(side.waiting_for_handshake.size() < kMaxUnackedMessages,
                  "too many messages wait for a handshake");
    side.waiting_for_handshake.push_back(std::move(message));
    return;
  }
  if (side.unacked.empty()) side.last_progress = world_.now();
  transmit(connection, side_index, queue_unacked(side, std::move(message)));
  if (!side.timer_armed) arm_timer(connection, side_index);
}

void Connections::close(ProcessId from, ProcessId to) {
  const std::uint64_t id = channel(from, to);
  if (id == 0) return;
  Connection& connection = connections_.at(id);
  const int side_index = side_of(connection, from);
  Side& side = connection.sides[side_index];
  channels_.erase({from, to});
  ++stats_.closed;
  world_.trace().record(trace_kinds::kNetClose,
                        {{"from", from}, {"to", to}, {"conn", as_number(id)}});
  side.state = SideState::closing;
  Envelope fin{from, to, 0, world_.now(), {}};
  fin.segment = Segment::fin;
  fin.connection = id;
  fin.sequence = side.next_send_sequence++;
  if (side_index == 0 && !connection.established) {
    side.waiting_for_handshake.push_back(std::move(fin));
    return;
  }
  if (side.unacked.empty()) side.last_progress = world_.now();
  transmit(connection, side_index, queue_unacked(side, std::move(fin)));
  if (!side.timer_armed) arm_timer(connection, side_index);
}

const Envelope& Connections::queue_unacked(Side& side, Envelope message) {
  SIMRUN_ASSERT(side.unacked.size() < kMaxUnackedMessages, "too many unacknowledged messages");
  SIMRUN_ASSERT(side.unacked.empty() || side.unacked.back().sequence + 1 == message.sequence,
                "a side sends consecutive sequences in order");
  side.unacked.push_back(std::move(message));
  return side.unacked.back();
}

void Connections::transmit(Connection& connection, int side, const Envelope& message) {
  SIMRUN_ASSERT(
      message.connection == connection.id && message.from == connection.sides[side].process,
      "a message goes out on its own connection");
  Side& sender = connection.sides[side];
  // A copy shares the stored one's bytes, which stay for retransmission.
  Envelope segment = message;
  // Every data segment carries the cumulative acknowledgement of the other
  // direction, which makes a pending delayed acknowledgement unnecessary.
  segment.acknowledged = sender.next_expected_sequence - 1;
  if (sender.segments_not_acknowledged > 0) ++stats_.acks_piggybacked;
  sender.segments_not_acknowledged = 0;
  network_.send_segment(std::move(segment));
}

void Connections::send_control(ProcessId from, ProcessId to, std::uint64_t connection, Segment kind,
                               std::uint64_t sequence) {
  Envelope segment{from, to, 0, world_.now(), {}};
  segment.segment = kind;
  segment.connection = connection;
  segment.sequence = sequence;
  network_.send_segment(std::move(segment));
}

void Connections::arm_timer(Connection& connection, int side_index) {
  Side& side = connection.sides[side_index];
  duration_ns rto = config_.rto_min;
  for (int i = 0; i < side.backoff && rto < config_.rto_max; ++i) rto *= 2;
  if (rto > config_.rto_max) rto = config_.rto_max;
  side.timer_armed = true;
  side.rto_deadline = world_.now() + rto;
  // A pending event due no later than the deadline re-queues itself there.
  if (side.timer_event_pending && side.timer_event_at <= side.rto_deadline) return;
  queue_timer_event(connection, side_index, side.rto_deadline);
}

void Connections::queue_timer_event(Connection& connection, int side_index, time_ns at) {
  Side& side = connection.sides[side_index];
  const std::uint64_t generation = ++side.timer_generation;
  side.timer_event_pending = true;
  side.timer_event_at = at;
  const std::uint64_t id = connection.id;
  world_.loop().schedule_at(
      at, [this, id, side_index, generation] { on_rto(id, side_index, generation); });
}

// The retransmission timer expired without the oldest segment being
// acknowledged: go back and resend everything unacknowledged, in order, and
// double the RTO (RFC 6298 5.5-5.6), unless the user timeout has passed.
void Connections::on_rto(std::uint64_t id, int side_index, std::uint64_t generation) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  Side& side = connection->sides[side_index];
  if (side.timer_generation != generation || side.state == SideState::closed) return;
  side.timer_event_pending = false;
  if (!side.timer_armed) return;  // stopped since: everything was acknowledged
  if (world_.now() < side.rto_deadline) {
    // Restarted since this event was queued: not expired yet.
    queue_timer_event(*connection, side_index, side.rto_deadline);
    return;
  }
  side.timer_armed = false;
  if (side.unacked.empty()) return;
  if (world_.now() - side.last_progress >= config_.user_timeout) {
    ++stats_.failed_user_timeout;
    world_.trace().record(trace_kinds::kNetUserTimeout,
                          {{"conn", as_number(id)},
                           {"from", side.process},
                           {"unacked", as_number(side.unacked.size())}});
    fail_side(*connection, 0, ResetCause::user_timeout, true);
    fail_side(*connection, 1, ResetCause::user_timeout, true);
    forget_if_closed(id);
    return;
  }
  if (side.backoff < kMaxBackoff) ++side.backoff;
  world_.trace().record(trace_kinds::kNetRetransmit, {{"conn", as_number(id)},
                                                      {"from", side.process},
                                                      {"segments", as_number(side.unacked.size())},
                                                      {"backoff", side.backoff}});
  for (const Envelope& message : side.unacked) {
    ++stats_.retransmissions;
    transmit(*connection, side_index, message);
  }
  arm_timer(*connection, side_index);
}

void Connections::on_arrival(Envelope&& segment) {
  Connection* connection = find(segment.connection);
  switch (segment.segment) {
    case Segment::datagram:
      SIMRUN_ASSERT(false, "a datagram reached the connection layer");
      return;
    case Segment::syn: {
      if (!running_or_paused(world_.state(segment.to)) || connection == nullptr) {
        answer_with_reset(segment);
        return;
      }
      Side& passive = connection->sides[1];
      if (passive.state == SideState::closed && passive.incarnation == 0) {
        // Accepted by the listener (the kernel's, so a paused process
        // accepts too).
        passive.incarnation = world_.incarnation(segment.to);
        passive.state = SideState::open;
        passive.last_progress = world_.now();
        channels_.emplace(std::pair{segment.to, segment.from}, connection->id);
        world_.trace().record(
            trace_kinds::kNetAccept,
            {{"from", segment.from}, {"to", segment.to}, {"conn", as_number(connection->id)}});
      } else if (!alive(passive)) {
        answer_with_reset(segment);
        return;
      }
      send_control(segment.to, segment.from, connection->id, Segment::syn_ack, 0);
      return;
    }
    case Segment::syn_ack: {
      if (connection == nullptr || connection->established || !alive(connection->sides[0])) return;
      connection->established = true;
      ++stats_.established;
      world_.trace().record(
          trace_kinds::kNetEstablished,
          {{"from", segment.to}, {"to", segment.from}, {"conn", as_number(connection->id)}});
      Side& side = connection->sides[0];
      std::vector<Envelope> waiting = std::move(side.waiting_for_handshake);
      side.waiting_for_handshake.clear();
      if (!waiting.empty() && side.unacked.empty()) side.last_progress = world_.now();
      for (Envelope& message : waiting) {
        transmit(*connection, 0, queue_unacked(side, std::move(message)));
      }
      if (!side.unacked.empty() && !side.timer_armed) arm_timer(*connection, 0);
      return;
    }
    case Segment::data:
    case Segment::fin: {
      if (connection == nullptr) {
        answer_with_reset(segment);
        return;
      }
      const int side_index = side_of(*connection, segment.to);
      if (!alive(connection->sides[side_index])) {
        answer_with_reset(segment);
        return;
      }
      const std::uint64_t id = connection->id;
      const std::uint64_t acknowledged = segment.acknowledged;
      on_data(*connection, side_index, std::move(segment));
      // Then its piggybacked acknowledgement, unless a FIN in the data closed
      // this side.
      if (connection->sides[side_index].state != SideState::closed) {
        on_ack(*connection, side_index, acknowledged);
      }
      forget_if_closed(id);
      return;
    }
    case Segment::ack: {
      if (connection == nullptr) return;
      const int side_index = side_of(*connection, segment.to);
      if (!alive(connection->sides[side_index])) return;
      const std::uint64_t id = connection->id;
      on_ack(*connection, side_index, segment.sequence);
      forget_if_closed(id);
      return;
    }
    case Segment::rst: {
      if (connection == nullptr) return;
      const int side_index = side_of(*connection, segment.to);
      if (!alive(connection->sides[side_index])) return;
      ++stats_.failed_reset;
      const std::uint64_t id = connection->id;
      fail_side(*connection, side_index, ResetCause::peer_reset, true);
      forget_if_closed(id);
      return;
    }
  }
}

// In-order delivery: the next expected message goes to the inbox, with any
// buffered ones it unblocks; a message ahead of a gap waits; one already
// delivered (a duplicate or a retransmission whose ack was lost) is
// discarded. Acknowledgements as the header says: at once for anything but
// plain in-order data, otherwise at the second segment or by the timer.
void Connections::on_data(Connection& connection, int side_index, Envelope&& segment) {
  Side& side = connection.sides[side_index];
  bool acknowledge_now = true;
  if (segment.sequence < side.next_expected_sequence) {
    ++stats_.duplicates_discarded;
  } else if (segment.sequence > side.next_expected_sequence) {
    SIMRUN_ASSERT(side.out_of_order.size() < kMaxOutOfOrderSegments,
                  "too many segments wait behind a gap");
    if (side.out_of_order.emplace(segment.sequence, std::move(segment)).second) {
      ++stats_.out_of_order_buffered;
    } else {
      ++stats_.duplicates_discarded;
    }
  } else {
    bool peer_closed = false;
    bool refused = false;
    bool filled_gap = false;
    // The arrived segment, then the buffered ones it unblocks.
    Envelope* next = &segment;
    Envelope unblocked;
    for (;;) {
      if (next->segment == Segment::fin) {
        ++side.next_expected_sequence;
        peer_closed = true;
        break;
      }
      Mailbox<Envelope>& inbox = world_.inbox(side.process);
      if (inbox.size() >= inbox.capacity()) {
        // Not accepted, not acknowledged: the sender retransmits it.
        world_.trace().record(trace_kinds::kNetDrop, {{"from", next->from},
                                                      {"to", next->to},
                                                      {"id", as_number(next->message_id)},
                                                      {"reason", "inbox_full"}});
        refused = true;
        break;
      }
      ++side.next_expected_sequence;
      ++stats_.messages_delivered;
      world_.trace().record(trace_kinds::kNetDeliver,
                            {{"from", next->from},
                             {"to", next->to},
                             {"id", as_number(next->message_id)},
                             {"latency_ns", world_.now() - next->sent_at}});
      take_payload(*next);
      const bool pushed = inbox.try_push(std::move(*next));
      SIMRUN_ASSERT(pushed, "inbox refused a message it had room for");
      const auto buffered = side.out_of_order.find(side.next_expected_sequence);
      if (buffered == side.out_of_order.end()) break;
      filled_gap = true;
      unblocked = std::move(buffered->second);
      side.out_of_order.erase(buffered);
      next = &unblocked;
    }
    if (peer_closed) {
      acknowledge(connection, side_index);
      fail_side(connection, side_index, ResetCause::peer_closed, true);
      return;
    }
    acknowledge_now = refused || filled_gap || config_.delayed_ack == 0;
  }
  if (!acknowledge_now && ++side.segments_not_acknowledged < 2) {
    start_delayed_ack(connection, side_index);
    return;
  }
  acknowledge(connection, side_index);
}

// The one delivery of a data message: its bytes move from the shared
// buffer into the Envelope the application receives.
void Connections::take_payload(Envelope& message) {
  SIMRUN_ASSERT(message.segment == Segment::data && message.stream_payload != nullptr,
                "a delivered data segment carries its bytes");
  StreamPayload& shared = *message.stream_payload;
  SIMRUN_ASSERT(!shared.taken, "a message is delivered once");
  shared.taken = true;
  message.payload = std::move(shared.bytes);
  message.stream_payload.reset();
}

void Connections::acknowledge(Connection& connection, int side_index) {
  Side& side = connection.sides[side_index];
  side.segments_not_acknowledged = 0;
  ++stats_.acks_sent;
  send_control(side.process, connection.sides[1 - side_index].process, connection.id, Segment::ack,
               side.next_expected_sequence - 1);
}

void Connections::start_delayed_ack(Connection& connection, int side_index) {
  Side& side = connection.sides[side_index];
  // The timer runs from the first unacknowledged segment.
  if (side.segments_not_acknowledged > 1) return;
  side.delayed_ack_deadline = world_.now() + config_.delayed_ack;
  if (side.delayed_ack_event_pending && side.delayed_ack_event_at <= side.delayed_ack_deadline) {
    return;  // it re-queues itself at the deadline
  }
  queue_delayed_ack_event(connection, side_index, side.delayed_ack_deadline);
}

void Connections::queue_delayed_ack_event(Connection& connection, int side_index, time_ns at) {
  Side& side = connection.sides[side_index];
  const std::uint64_t generation = ++side.delayed_ack_generation;
  side.delayed_ack_event_pending = true;
  side.delayed_ack_event_at = at;
  const std::uint64_t id = connection.id;
  world_.loop().schedule_at(
      at, [this, id, side_index, generation] { on_delayed_ack(id, side_index, generation); });
}

void Connections::on_delayed_ack(std::uint64_t id, int side_index, std::uint64_t generation) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  Side& side = connection->sides[side_index];
  if (side.delayed_ack_generation != generation || side.state == SideState::closed) return;
  side.delayed_ack_event_pending = false;
  if (side.segments_not_acknowledged == 0) return;  // piggybacked or sent since
  if (world_.now() < side.delayed_ack_deadline) {
    queue_delayed_ack_event(*connection, side_index, side.delayed_ack_deadline);
    return;
  }
  ++stats_.acks_delayed;
  acknowledge(*connection, side_index);
}

void Connections::on_ack(Connection& connection, int side_index, std::uint64_t acked_through) {
  Side& side = connection.sides[side_index];
  if (side.unacked.empty() || side.unacked.front().sequence > acked_through) return;
  while (!side.unacked.empty() && side.unacked.front().sequence <= acked_through) {
    side.unacked.pop_front();
  }
  side.backoff = 0;
  side.last_progress = world_.now();
  if (side.unacked.empty()) {
    side.timer_armed = false;  // stopped; its pending event finds nothing to do
    // A closing side whose FIN is acknowledged is done.
    if (side.state == SideState::closing)
      fail_side(connection, side_index, ResetCause::none, false);
    return;
  }
  arm_timer(connection, side_index);  // restarted on progress (RFC 6298 5.3)
}

void Connections::answer_with_reset(const Envelope& segment) {
  ++stats_.resets_sent;
  world_.trace().record(trace_kinds::kNetReset, {{"from", segment.to},
                                                 {"to", segment.from},
                                                 {"conn", as_number(segment.connection)},
                                                 {"reason", "no_connection"}});
  send_control(segment.to, segment.from, segment.connection, Segment::rst, 0);
}

void Connections::fail_side(Connection& connection, int side_index, ResetCause cause, bool notify) {
  Side& side = connection.sides[side_index];
  if (side.state == SideState::closed) return;
  const bool tell = notify && side.state == SideState::open && alive(side);
  side.state = SideState::closed;
  side.unacked.clear();
  side.out_of_order.clear();
  side.waiting_for_handshake.clear();
  ++side.timer_generation;
  side.timer_armed = false;
  side.timer_event_pending = false;
  side.segments_not_acknowledged = 0;
  ++side.delayed_ack_generation;
  side.delayed_ack_event_pending = false;
  const ProcessId peer = connection.sides[1 - side_index].process;
  const auto channel_entry = channels_.find({side.process, peer});
  if (channel_entry != channels_.end() && channel_entry->second == connection.id) {
    channels_.erase(channel_entry);
  }
  if (!tell) return;
  Envelope reset{peer, side.process, network_.take_message_id(), world_.now(), {}};
  reset.reset = true;
  reset.cause = cause;
  reset.connection = connection.id;
  world_.trace().record(trace_kinds::kNetConnReset, {{"process", side.process},
                                                     {"peer", peer},
                                                     {"conn", as_number(connection.id)},
                                                     {"cause", cause_name(cause)}});
  Mailbox<Envelope>& inbox = world_.inbox(side.process);
  if (!inbox.try_push(std::move(reset))) {
    world_.trace().record(trace_kinds::kNetDrop, {{"from", peer},
                                                  {"to", side.process},
                                                  {"conn", as_number(connection.id)},
                                                  {"reason", "inbox_full"}});
  }
}

void Connections::forget_if_closed(std::uint64_t id) {
  const auto found = connections_.find(id);
  if (found == connections_.end()) return;
  if (found->second.sides[0].state == SideState::closed &&
      found->second.sides[1].state == SideState::closed) {
    connections_.erase(found);
  }
}

// The crashed process's host resets each of its connections: its side goes
// silently (its inbox is gone), the peer gets a reset segment over the link.
void Connections::on_crash(ProcessId process) {
  std::vector<std::uint64_t> touched;
  for (auto& [id, connection] : connections_) {
    for (int side_index = 0; side_index < 2; ++side_index) {
      Side& side = connection.sides[side_index];
      if (side.process != process || side.state == SideState::closed) continue;
      fail_side(connection, side_index, ResetCause::none, false);
      touched.push_back(id);
      const Side& other = connection.sides[1 - side_index];
      if (other.state == SideState::closed) continue;
      ++stats_.resets_sent;
      world_.trace().record(
          trace_kinds::kNetReset,
          {{"from", process}, {"to", other.process}, {"conn", as_number(id)}, {"reason", "crash"}});
      send_control(process, other.process, id, Segment::rst, 0);
    }
  }
  for (const std::uint64_t id : touched) forget_if_closed(id);
}

}  // namespace simrun::sim
