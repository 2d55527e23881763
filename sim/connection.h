#pragma once
// Connections: ordered, reliable byte-message streams between processes, as
// TCP gives them to a gRPC channel. Datagrams (Network::send) stay available
// beside them; both travel the same links, so partitions, clogs, latency,
// loss, duplication and reordering act on both, but differently:
//
//  - A datagram that is lost is gone. A segment that is lost, duplicated or
//    overtaken becomes delay: the receiver delivers messages to the
//    application exactly once and in send order, and the sender retransmits
//    everything unacknowledged when its retransmission timer (RTO) fires.
//    The RTO starts at `rto_min` (200 ms, Linux's TCP_RTO_MIN: a LAN's
//    smoothed RTT is far below it) and doubles on each expiry without
//    progress, up to `rto_max` (120 s, TCP_RTO_MAX); an acknowledgement that
//    advances resets it.
//  - A partition holds a connection's data: retransmissions keep failing
//    until the heal, after which the next one gets through (up to one
//    backed-off RTO after the heal). If nothing is acknowledged for
//    `user_timeout` (TCP_USER_TIMEOUT; Linux's default tcp_retries2 = 15
//    gives about 924.6 s) the connection fails at both ends.
//  - connect() sends a SYN, retransmitted after 1 s, 2 s, 4 s ... (Linux's
//    initial SYN RTO); without an answer within the caller's connect timeout
//    the connection fails. A host that is reachable but has nothing
//    listening (the process is crashed or not started) answers a SYN or a
//    data segment with a reset, so the connection fails after one round trip.
//  - A crash resets every connection of the crashed process: its host sends
//    one reset to each peer (lost if the link is cut; the peer then learns of
//    it from the reset its next retransmission draws from the restarted
//    process, or from its user timeout).
//
// The application sees failures as one Envelope with `reset` set, from the
// peer, in its inbox, with the cause (ResetCause) and the connection id.
// Messages received on a connection are ordinary Envelopes with
// `connection` set.
//
// Acknowledgements are cumulative and delayed as TCP delays them (RFC 1122
// 4.2.3.2, RFC 5681 4.2): data received in order is acknowledged by the next
// data segment the receiver sends the other way (piggybacked, so a request
// and its response need no pure acknowledgement), by a pure acknowledgement
// at the second unacknowledged data segment, or when the delayed-ack timer
// expires (`delayed_ack`, 40 ms: Linux's TCP_DELACK_MIN, the bound its
// delayed-ack timeout falls to when the RTT is short, as on a LAN). A
// duplicate, a segment ahead of a gap, one that fills a gap, a FIN and a
// segment the full inbox refused are acknowledged at once. Acking every
// second segment whatever its size errs towards more acknowledgements than
// Linux (which waits for more than one full-sized segment's bytes); Linux's
// quick-ack start of a connection is not modelled. The timer is far below
// the 200 ms minimum RTO, so a delayed acknowledgement never causes a
// retransmission.
//
// Simplifications, on purpose: there is no congestion window, no flow
// control beyond the receiver's bounded inbox (a full inbox leaves a segment
// unacknowledged: it is retransmitted later), and a graceful close is a FIN
// ordered after the data that the peer sees as a reset with cause
// `peer_closed`.

#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "sim/network.h"
#include "sim/time.h"

namespace simrun::sim {

class World;

struct ConnectionConfig {
  duration_ns rto_min = millis(200);
  duration_ns rto_max = seconds(120);
  duration_ns syn_rto = seconds(1);
  duration_ns user_timeout = millis(924'600);
  // How long received data may wait for its acknowledgement (above); 0
  // acknowledges every data segment at once.
  duration_ns delayed_ack = millis(40);
  // Used by send_stream when no connection is open and the caller gave none.
  duration_ns default_connect_timeout = seconds(20);
};

struct ConnectionStats {
  std::uint64_t opened = 0;       // connect() calls that started a handshake
  std::uint64_t established = 0;  // handshakes completed
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_delivered = 0;  // to the application, in order, once
  std::uint64_t retransmissions = 0;     // segments sent again by an RTO
  std::uint64_t acks_sent = 0;           // pure acknowledgements
  std::uint64_t acks_piggybacked = 0;    // acknowledgements carried by a data segment
  std::uint64_t acks_delayed = 0;        // pure acknowledgements sent by the delayed-ack timer
  std::uint64_t duplicates_discarded = 0;
  std::uint64_t out_of_order_buffered = 0;
  std::uint64_t resets_sent = 0;  // reset segments (crash, nothing listening, unknown connection)
  std::uint64_t failed_connect_timeout = 0;
  std::uint64_t failed_user_timeout = 0;
  std::uint64_t failed_reset = 0;     // sides failed by a reset from the peer's host
  std::uint64_t closed = 0;           // close() calls
  std::uint64_t replies_dropped = 0;  // reply() on a connection no longer open at the sender
};

class Connections {
 public:
  Connections(World& world, Network& network, ConnectionConfig config);

  // Opens a connection from -> to unless `from` already has one to `to`
  // (its own or one `to` opened to it). Messages sent before the handshake
  // completes wait and go out in order once it does.
  void connect(ProcessId from, ProcessId to, duration_ns connect_timeout);
  // Sends `payload` on from's connection to `to`, opening one first (with
  // `connect_timeout`, or the config's default when it is 0).
  void send(ProcessId from, ProcessId to, Bytes payload, duration_ns connect_timeout = 0);
  // Sends `payload` from `from` on connection `connection` (the one a
  // request arrived on), as a server writes its answer to the socket it read
  // the request from. If from's side of it is no longer open (the peer
  // crashed, the connection failed or was closed since), the payload is
  // dropped and false returned, as a write on a reset socket fails: it never
  // goes out on a newer connection to the same peer, whose process (a
  // restarted client) did not ask. Returns true when sent.
  bool reply(ProcessId from, std::uint64_t connection, Bytes payload);
  // Closes from's connection to `to`: no more sends; the data already sent
  // is still delivered, then the peer sees the close. No-op without one.
  void close(ProcessId from, ProcessId to);
  // `from` has a connection to `to` whose handshake completed.
  bool established(ProcessId from, ProcessId to) const;
  // `from` has a connection to `to` (connecting or established).
  bool open(ProcessId from, ProcessId to) const;

  // Network hooks. A connection segment that crossed its link (the link was
  // up on arrival).
  void on_arrival(Envelope&& segment);
  // The process crashed (its inbox is already emptied).
  void on_crash(ProcessId process);

  const ConnectionStats& stats() const { return stats_; }
  const ConnectionConfig& config() const { return config_; }
  std::size_t count() const { return connections_.size(); }

 private:
  enum class SideState : std::uint8_t { open, closing, closed };
  struct Side {
    ProcessId process = 0;
    std::uint64_t incarnation = 0;  // 0: not accepted yet (the passive side before the SYN)
    SideState state = SideState::closed;
    std::uint64_t next_send_sequence = 1;
    std::uint64_t next_expected_sequence = 1;
    // Sent, not acknowledged: consecutive sequences, oldest first, so a
    // cumulative acknowledgement pops from the front (no node per segment).
    std::deque<Envelope> unacked;
    std::map<std::uint64_t, Envelope> out_of_order;  // received ahead of a gap
    std::vector<Envelope> waiting_for_handshake;     // sent before `established`
    int backoff = 0;                                 // RTO doublings since the last progress
    time_ns last_progress = 0;                       // last acknowledgement that advanced
    // The RTO is armed (`timer_armed`) until `rto_deadline`. As in Linux
    // (one retransmit timer per socket, moved on each restart), restarting
    // it only moves the deadline; the one pending event (`timer_event_at`,
    // when `timer_event_pending`) re-queues itself at the deadline when it
    // fires early, so a busy connection costs one timer event per RTO, not
    // one per acknowledgement.
    std::uint64_t timer_generation = 0;  // bumps make the pending event stale
    bool timer_armed = false;
    bool timer_event_pending = false;
    time_ns rto_deadline = 0;
    time_ns timer_event_at = 0;
    // Received data not acknowledged yet: how many segments, and when the
    // delayed-ack timer expires. Its one pending event (same scheme as the
    // RTO's) re-queues itself when the deadline moved.
    int segments_not_acknowledged = 0;
    time_ns delayed_ack_deadline = 0;
    bool delayed_ack_event_pending = false;
    time_ns delayed_ack_event_at = 0;
    std::uint64_t delayed_ack_generation = 0;
  };
  struct Connection {
    std::uint64_t id = 0;
    Side sides[2];  // [0] opened it, [1] accepted it
    bool established = false;
    int syn_attempts = 0;
  };

  Connection* find(std::uint64_t id);
  int side_of(const Connection& connection, ProcessId process) const;
  std::uint64_t channel(ProcessId from, ProcessId to) const;
  void send_syn(Connection& connection);
  void send_on(Connection& connection, int side, Bytes payload);
  // Appends the next segment of `side` (data or FIN) to its unacknowledged
  // queue and returns it, to be transmitted.
  const Envelope& queue_unacked(Side& side, Envelope message);
  void transmit(Connection& connection, int side, const Envelope& message);
  void send_control(ProcessId from, ProcessId to, std::uint64_t connection, Segment kind,
                    std::uint64_t sequence);
  void arm_timer(Connection& connection, int side);
  void queue_timer_event(Connection& connection, int side, time_ns at);
  void on_rto(std::uint64_t id, int side, std::uint64_t generation);
  void on_syn_rto(std::uint64_t id, int attempt);
  void on_connect_deadline(std::uint64_t id);
  void on_data(Connection& connection, int side, Envelope&& segment);
  void on_ack(Connection& connection, int side, std::uint64_t acked_through);
  static void take_payload(Envelope& message);
  // Sends a pure cumulative acknowledgement of what `side` received.
  void acknowledge(Connection& connection, int side);
  void start_delayed_ack(Connection& connection, int side);
  void queue_delayed_ack_event(Connection& connection, int side, time_ns at);
  void on_delayed_ack(std::uint64_t id, int side, std::uint64_t generation);
  void answer_with_reset(const Envelope& segment);
  // Closes `side` and tells its process (a reset Envelope) unless `notify`
  // is false. Erases the connection when both sides are closed.
  void fail_side(Connection& connection, int side, ResetCause cause, bool notify);
  void forget_if_closed(std::uint64_t id);
  bool alive(const Side& side) const;

  World& world_;
  Network& network_;
  ConnectionConfig config_;
  std::map<std::uint64_t, Connection> connections_;
  // (owner, peer) -> the connection the owner sends to the peer on.
  std::map<std::pair<ProcessId, ProcessId>, std::uint64_t> channels_;
  std::uint64_t next_id_ = 1;
  ConnectionStats stats_;
};

}  // namespace simrun::sim
