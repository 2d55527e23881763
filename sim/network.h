#pragma once
// The simulated network between processes (nodes and client endpoints).
// Messages are byte strings with a size; every link has a latency
// distribution and fault probabilities drawn from the world's "network"
// stream. Partitions and clogs are states of the network that faults set and
// heal. A message to a crashed (or not yet started) process is lost and
// refused: its sender gets a reset back, as from a host whose port is
// closed. A message to a paused process waits in its inbox.
//
// Connection resets: processes that exchanged a message are "connected"
// (like a TCP connection). When a process crashes, its host's kernel resets
// its connections: every peer gets one reset envelope from it (see
// Envelope::reset), so a client learns of the crash before its request
// timeout. A pause or a partition sends nothing: those stay timeouts.
// Resets are never answered with resets. The broker's traffic goes over
// connections instead (sim/connection.h): those resets are theirs.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/random.h"
#include "sim/time.h"

namespace simrun::sim {

using ProcessId = std::uint32_t;
using Bytes = std::vector<std::uint8_t>;

// What an Envelope is on the wire: a datagram, or a segment of a connection
// (sim/connection.h). The application only ever sees datagrams and `data`
// (plus resets, below).
enum class Segment : std::uint8_t { datagram, syn, syn_ack, data, ack, fin, rst };

// Why a connection failed, for the reset Envelope its owner receives.
enum class ResetCause : std::uint8_t {
  none,
  peer_reset,       // the peer's host answered with a reset (crashed, nothing listening)
  connect_timeout,  // the handshake did not complete within the connect timeout
  user_timeout,     // nothing acknowledged for the user timeout (a long partition)
  peer_closed,      // the peer closed the connection
};

// The bytes of one connection data message, shared by the sender's
// retransmission queue and every copy of its segment on the wire (the first
// transmission, retransmissions, network duplicates) instead of copied into
// each. The receiver takes the bytes when it delivers the message to its
// application, which Connections does once per sequence (in order, exactly
// once): every later copy is a duplicate discarded by its sequence, so none
// needs them. The digest stays for the trace of every transmission.
struct StreamPayload {
  Bytes bytes;
  std::uint64_t digest = 0;  // digest_bytes(bytes), taken when the message was sent
  bool taken = false;        // delivered: `bytes` moved to the receiver's Envelope
};

struct Envelope {
  ProcessId from = 0;
  ProcessId to = 0;
  std::uint64_t message_id = 0;  // unique per run, in send order
  time_ns sent_at = 0;           // global simulated time
  Bytes payload;
  // A connection reset from `from` (it crashed): empty payload. Receivers
  // must check it before decoding the payload.
  bool reset = false;
  ResetCause cause = ResetCause::none;  // set with `reset` (peer_reset for datagrams)
  Segment segment = Segment::datagram;
  std::uint64_t connection = 0;  // 0 for datagrams
  std::uint64_t sequence = 0;    // data/fin: position in the stream; ack: acknowledged through
  // data/fin: the sender's cumulative acknowledgement of the reverse stream,
  // piggybacked (0: nothing received yet).
  std::uint64_t acknowledged = 0;
  // data segments on the wire: their bytes (`payload` stays empty until the
  // receiver delivers the message; the application never sees this set).
  std::shared_ptr<StreamPayload> stream_payload = nullptr;
};

struct LinkConfig {
  DurationDistribution latency = DurationDistribution::fixed(millis(1));
  double drop_probability = 0.0;
  double duplicate_probability = 0.0;
  // With this probability a message gets an extra delay in
  // [0, reorder_delay_max_ns], so later messages can overtake it.
  double reorder_probability = 0.0;
  duration_ns reorder_delay_max_ns = 0;
};

struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped_random = 0;
  std::uint64_t dropped_partition = 0;
  std::uint64_t dropped_dead = 0;  // receiver crashed or inbox full
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t clogged = 0;  // held by a clog window
  std::uint64_t resets = 0;   // reset envelopes sent (crash of a connected peer, or refused)
};

class World;
class Connections;
struct ConnectionConfig;

class Network {
 public:
  explicit Network(World& world);
  ~Network();

  void set_default_link(const LinkConfig& config);
  void set_link(ProcessId from, ProcessId to, const LinkConfig& config);
  const LinkConfig& link(ProcessId from, ProcessId to) const;

  // Sends `payload` from `from` to `to`. Called by Env::send.
  void send(ProcessId from, ProcessId to, Bytes payload);

  // Partitions. A message is dropped if its link is cut when sent or when
  // it would be delivered.
  // Symmetric split: no link between processes of different groups.
  // Processes named in no group keep all their links.
  void partition(const std::vector<std::vector<ProcessId>>& groups);
  void cut_one_way(ProcessId from, ProcessId to);  // only from -> to drops
  void isolate(ProcessId process);                 // both directions, all peers
  // `left` and `right` cannot reach each other; `bridge` reaches both.
  void bridge(const std::vector<ProcessId>& left, const std::vector<ProcessId>& right,
              ProcessId bridge);
  // Holds every message sent on from -> to during the next `window`, then
  // releases them in send order at the window's end.
  void clog(ProcessId from, ProcessId to, duration_ns window);
  // Ends the clog on from -> to now (its held messages leave in send
  // order); cuts stay. Nothing happens without a clog there.
  void unclog(ProcessId from, ProcessId to);
  void heal();  // removes every cut and releases every clog now
  bool link_up(ProcessId from, ProcessId to) const;

  // Called by World::crash once `process` is down: sends a reset from it to
  // every process connected to it (ascending id), after link latency,
  // dropped if the link is cut (a real RST is lost too), then forgets its
  // connections on both sides.
  void reset_connections(ProcessId process);
  // Processes `process` is connected to: it sent them a message or received
  // one from them since it (and they) last crashed.
  std::set<ProcessId> connected_peers(ProcessId process) const;

  // Ordered reliable streams on top of this network (sim/connection.h).
  Connections& connections() { return *streams_; }
  const Connections& connections() const { return *streams_; }
  // Puts one connection segment on the wire (Connections only): it takes a
  // message id and then meets the same partitions, clogs, latency, loss,
  // duplication and reordering as a datagram; on arrival over an up link it
  // goes back to Connections::on_arrival, whatever the receiver's state.
  void send_segment(Envelope&& segment);
  std::uint64_t take_message_id() { return next_message_id_++; }

  const NetworkStats& stats() const { return stats_; }
  std::size_t in_flight() const { return in_flight_count_; }

 private:
  // Answers a message that reached a process with nothing listening (not
  // started, or crashed) with a reset back to its sender.
  void refuse(const Envelope& refused);
  void route(Envelope&& envelope);
  void schedule_delivery(Envelope&& envelope, time_ns at);
  void deliver(std::uint32_t slot);
  static void deliver_action(void* network, std::uint64_t slot);
  void release_clog(ProcessId from, ProcessId to, bool forced);
  void drop(const Envelope& envelope, std::string_view reason);
  Rng& rng();

  World& world_;
  LinkConfig default_link_;
  std::map<std::pair<ProcessId, ProcessId>, LinkConfig> links_;
  std::set<std::pair<ProcessId, ProcessId>> cuts_;
  std::map<std::pair<ProcessId, ProcessId>, std::vector<Envelope>> clogged_;
  std::map<std::pair<ProcessId, ProcessId>, time_ns> clog_until_;
  // Connections, both directions recorded (std::set: deterministic order of
  // the resets).
  std::map<ProcessId, std::set<ProcessId>> connections_;
  // Messages on the wire, in reusable slots, so that a delivery event only
  // captures a slot number (no allocation per message beyond its payload).
  std::vector<Envelope> in_flight_;
  std::vector<std::uint32_t> free_in_flight_;
  std::size_t in_flight_count_ = 0;
  Rng* rng_ = nullptr;  // world.stream("network"), looked up on first use
  std::uint64_t next_message_id_ = 1;
  NetworkStats stats_;
  std::unique_ptr<Connections> streams_;
};

}  // namespace simrun::sim
