// One test per connection behaviour, each observed through what the
// application receives: in order, exactly once, when, and which failures.
#include "sim/connection.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "sim/world.h"

namespace simrun::sim {

namespace {
struct Received {
  ProcessId from;
  std::uint8_t tag;  // 0 for a reset
  time_ns at;
  bool reset = false;
  ResetCause cause = ResetCause::none;
  std::uint64_t connection = 0;
  Bytes payload = {};
};

struct Fixture {
  explicit Fixture(int count, WorldConfig config = {}) : world(config) {
    for (int i = 0; i < count; ++i) {
      const ProcessId id = world.add_process("p", [this](Env& env) {
        while (true) {
          const Envelope envelope = env.inbox().receive();
          if (envelope.reset) {
            received[env.id()].push_back(
                Received{envelope.from, 0, env.now(), true, envelope.cause});
            continue;
          }
          CHECK(envelope.segment == Segment::data);
          received[env.id()].push_back(Received{envelope.from, envelope.payload.at(0), env.now(),
                                                false, ResetCause::none, envelope.connection,
                                                envelope.payload});
        }
      });
      received.emplace_back();
      world.start(id);
    }
  }
  Connections& connections() { return world.network().connections(); }
  void send(ProcessId from, ProcessId to, std::uint8_t tag) {
    connections().send(from, to, Bytes{tag}, seconds(5));
  }
  std::vector<std::uint8_t> tags(ProcessId to) const {
    std::vector<std::uint8_t> out;
    for (const Received& r : received[to]) {
      if (!r.reset) out.push_back(r.tag);
    }
    return out;
  }
  std::vector<Received> resets(ProcessId to) const {
    std::vector<Received> out;
    for (const Received& r : received[to]) {
      if (r.reset) out.push_back(r);
    }
    return out;
  }
  World world;
  std::vector<std::vector<Received>> received;
};

std::vector<std::uint8_t> one_to(std::uint8_t count) {
  std::vector<std::uint8_t> out;
  for (std::uint8_t i = 1; i <= count; ++i) out.push_back(i);
  return out;
}

// Sends tags 1..count from 0 to 1, one every `every`.
void send_series(Fixture& f, std::uint8_t count, duration_ns every) {
  for (std::uint8_t i = 1; i <= count; ++i) {
    f.world.loop().schedule_at(every * i, [&f, i] { f.send(0, 1, i); });
  }
}
}  // namespace

TEST_CASE("connect: a handshake (one round trip), then the data in order; the reply reuses it") {
  Fixture f(2);
  f.send(0, 1, 1);
  f.send(0, 1, 2);
  CHECK_FALSE(f.connections().established(0, 1));
  f.world.run_until(millis(10));
  // SYN 1 ms, SYN-ACK 1 ms, data 1 ms.
  REQUIRE(f.tags(1) == std::vector<std::uint8_t>{1, 2});
  CHECK(f.received[1][0].at == millis(3));
  CHECK(f.connections().established(0, 1));
  CHECK(f.connections().established(1, 0));  // the acceptor's side
  f.send(1, 0, 9);
  f.world.run_until(millis(20));
  CHECK(f.tags(0) == std::vector<std::uint8_t>{9});
  CHECK(f.connections().stats().opened == 1);
  CHECK(f.connections().count() == 1);
}

TEST_CASE("drops become retransmission delay: everything arrives once, in order") {
  WorldConfig config;
  config.default_link.drop_probability = 0.3;
  Fixture f(2, config);
  send_series(f, 100, millis(10));
  f.world.run_until(seconds(30));
  CHECK(f.tags(1) == one_to(100));
  CHECK(f.connections().stats().retransmissions > 10);
  CHECK(f.world.network().stats().dropped_random > 10);
  // Some message waited for at least one RTO (200 ms) behind a loss.
  time_ns worst_ns = 0;
  for (std::size_t i = 0; i < f.received[1].size(); ++i) {
    worst_ns = std::max(worst_ns, f.received[1][i].at - millis(10) * static_cast<time_ns>(i + 1));
  }
  CHECK(worst_ns >= millis(200));
}

TEST_CASE("duplicates are discarded: the application sees each message once") {
  WorldConfig config;
  config.default_link.duplicate_probability = 0.5;
  Fixture f(2, config);
  send_series(f, 50, millis(1));
  f.world.run_until(seconds(5));
  CHECK(f.tags(1) == one_to(50));
  CHECK(f.world.network().stats().duplicated > 10);
  CHECK(f.connections().stats().duplicates_discarded > 10);
}

// The bytes of a message are shared by its retransmission queue entry and
// every copy on the wire, and taken by the one delivery: each message must
// still arrive whole, whatever mix of copies, losses and overtakes it met.
TEST_CASE("each message arrives whole despite loss, duplication and reordering") {
  WorldConfig config;
  config.default_link.drop_probability = 0.2;
  config.default_link.duplicate_probability = 0.3;
  config.default_link.reorder_probability = 0.3;
  config.default_link.reorder_delay_max_ns = millis(50);
  Fixture f(2, config);
  constexpr std::uint8_t kMessages = 60;
  for (std::uint8_t i = 1; i <= kMessages; ++i) {
    f.world.loop().schedule_at(millis(2) * i, [&f, i] {
      f.connections().send(0, 1, Bytes(std::size_t{i} * 50, i), seconds(5));
    });
  }
  f.world.run_until(seconds(30));
  REQUIRE(f.tags(1) == one_to(kMessages));
  for (const Received& message : f.received[1]) {
    CHECK(message.payload == Bytes(std::size_t{message.tag} * 50, message.tag));
  }
  CHECK(f.connections().stats().retransmissions > 5);
  CHECK(f.connections().stats().duplicates_discarded > 5);
  CHECK(f.connections().stats().out_of_order_buffered > 5);
}

TEST_CASE("reordering becomes head-of-line delay, never reordered delivery") {
  WorldConfig config;
  config.default_link.reorder_probability = 0.3;
  config.default_link.reorder_delay_max_ns = millis(50);
  Fixture f(2, config);
  send_series(f, 100, millis(1));
  f.world.run_until(seconds(5));
  CHECK(f.tags(1) == one_to(100));
  CHECK(f.connections().stats().out_of_order_buffered > 5);
  CHECK(f.connections().stats().duplicates_discarded == 0);
}

TEST_CASE("RTO: minimum 200 ms, doubling per expiry; a partition holds data until the heal") {
  Fixture f(2);
  f.send(0, 1, 1);
  f.world.run_until(millis(50));  // its delayed acknowledgement arrived at 44 ms
  REQUIRE(f.tags(1).size() == 1);
  // Sent at 50 ms into a partition: retransmissions at +200, +600, +1400,
  // +3000 ms. Healed at +2 s: the +3000 ms one gets through.
  f.world.network().partition({{0}, {1}});
  f.send(0, 1, 2);
  f.world.loop().schedule_at(millis(50) + seconds(2), [&f] { f.world.network().heal(); });
  f.world.run_until(seconds(10));
  REQUIRE(f.tags(1) == std::vector<std::uint8_t>{1, 2});
  CHECK(f.received[1][1].at == millis(50) + millis(3000) + millis(1));
  CHECK(f.connections().stats().retransmissions == 4);
  CHECK(f.resets(0).empty());
  CHECK(f.resets(1).empty());
}

TEST_CASE("user timeout: a partition that outlasts it fails both ends") {
  WorldConfig config;
  config.connection.user_timeout = seconds(5);
  Fixture f(2, config);
  f.send(0, 1, 1);
  f.world.run_until(millis(50));  // acknowledged (delayed) at 44 ms
  f.world.network().partition({{0}, {1}});
  f.send(0, 1, 2);
  f.world.run_until(seconds(30));
  // Retransmissions at +0.2, 0.6, 1.4, 3.0, 6.2 s: the one at 6.2 s finds
  // nothing acknowledged for 5 s and fails the connection.
  const auto at_sender = f.resets(0);
  const auto at_receiver = f.resets(1);
  REQUIRE(at_sender.size() == 1);
  REQUIRE(at_receiver.size() == 1);
  CHECK(at_sender[0].cause == ResetCause::user_timeout);
  CHECK(at_receiver[0].cause == ResetCause::user_timeout);
  CHECK(at_sender[0].at == millis(50) + millis(6200));
  CHECK(f.tags(1) == std::vector<std::uint8_t>{1});
  CHECK(f.connections().count() == 0);
  CHECK_FALSE(f.connections().open(0, 1));
  CHECK(f.connections().stats().failed_user_timeout == 1);
}

TEST_CASE("connect timeout: a SYN into a partition fails the connect at the deadline") {
  Fixture f(2);
  f.world.network().partition({{0}, {1}});
  f.world.network().connections().connect(0, 1, seconds(5));
  f.send(0, 1, 1);  // waits for the handshake
  f.world.run_until(seconds(20));
  const auto resets = f.resets(0);
  REQUIRE(resets.size() == 1);
  CHECK(resets[0].cause == ResetCause::connect_timeout);
  CHECK(resets[0].at == seconds(5));
  CHECK(f.tags(1).empty());
  CHECK(f.resets(1).empty());
  CHECK(f.connections().stats().failed_connect_timeout == 1);
  // SYNs at 0, 1 s and 3 s (the next would be at 7 s).
  CHECK(f.world.network().stats().dropped_partition == 3);
}

TEST_CASE("a crashed peer whose host is reachable answers with a reset") {
  Fixture f(3);
  f.send(0, 1, 1);
  f.send(2, 1, 1);
  f.world.run_until(millis(10));
  f.world.crash(1);
  // Each connected peer gets the crashed process's reset one latency later.
  f.world.run_until(millis(20));
  REQUIRE(f.resets(0).size() == 1);
  CHECK(f.resets(0)[0].cause == ResetCause::peer_reset);
  CHECK(f.resets(0)[0].at == millis(11));
  CHECK(f.resets(2).size() == 1);
  // A new connect to the crashed process is refused after one round trip.
  f.send(0, 1, 2);
  f.world.run_until(millis(40));
  REQUIRE(f.resets(0).size() == 2);
  CHECK(f.resets(0)[1].at == millis(22));
  CHECK(f.connections().stats().failed_connect_timeout == 0);
}

TEST_CASE(
    "a reset lost in a partition: the next retransmission draws one from the restarted peer") {
  Fixture f(2);
  f.send(0, 1, 1);
  f.world.run_until(millis(50));  // acknowledged (delayed) at 44 ms
  f.world.network().partition({{0}, {1}});
  f.world.crash(1);  // its reset is lost
  f.world.restart(1);
  f.send(0, 1, 2);  // into the partition: retransmitted
  f.world.loop().schedule_at(seconds(1), [&f] { f.world.network().heal(); });
  f.world.run_until(seconds(5));
  // Retransmissions at 0.25, 0.65, 1.45 s: the last reaches the new
  // incarnation, which knows no such connection and resets it.
  const auto resets = f.resets(0);
  REQUIRE(resets.size() == 1);
  CHECK(resets[0].cause == ResetCause::peer_reset);
  CHECK(resets[0].at == millis(1450) + millis(2));
  CHECK(f.tags(1) == std::vector<std::uint8_t>{1});  // the restarted process got nothing of it
}

TEST_CASE("close: the data already sent is delivered, then the peer sees the close") {
  Fixture f(2);
  f.send(0, 1, 1);
  f.send(0, 1, 2);
  f.connections().close(0, 1);
  CHECK_FALSE(f.connections().open(0, 1));
  f.world.run_until(millis(20));
  CHECK(f.tags(1) == std::vector<std::uint8_t>{1, 2});
  const auto resets = f.resets(1);
  REQUIRE(resets.size() == 1);
  CHECK(resets[0].cause == ResetCause::peer_closed);
  CHECK(f.resets(0).empty());  // the closer is not told about its own close
  CHECK(f.connections().count() == 0);
}

TEST_CASE("a paused receiver's kernel still acknowledges: data waits in its inbox") {
  Fixture f(2);
  f.send(0, 1, 1);
  f.world.run_until(millis(10));
  f.world.pause(1);
  f.send(0, 1, 2);
  f.world.run_until(seconds(2));
  CHECK(f.connections().stats().retransmissions == 0);
  f.world.resume(1);
  f.world.run_until(seconds(3));
  CHECK(f.tags(1) == std::vector<std::uint8_t>{1, 2});
}

TEST_CASE("a reply goes on its request's connection, or nowhere once that one is gone") {
  Fixture f(2);
  f.send(0, 1, 1);
  f.world.run_until(millis(10));
  REQUIRE(f.received[1].size() == 1);
  const std::uint64_t first = f.received[1][0].connection;
  CHECK(f.connections().reply(1, first, Bytes{7}));
  f.world.run_until(millis(20));
  CHECK(f.tags(0) == std::vector<std::uint8_t>{7});
  // The asker restarts: its host resets the connection, its new incarnation
  // asks on a new one.
  f.world.crash(0);
  f.world.restart(0);
  f.send(0, 1, 2);
  f.world.run_until(millis(40));
  REQUIRE(f.tags(1) == std::vector<std::uint8_t>{1, 2});
  const std::uint64_t second = f.received[1].back().connection;
  CHECK(second != first);
  // An answer to the first request is dropped: send() to process 0 would
  // take the new connection to a process that never asked.
  CHECK_FALSE(f.connections().reply(1, first, Bytes{8}));
  CHECK(f.connections().reply(1, second, Bytes{9}));
  f.world.run_until(millis(60));
  CHECK(f.tags(0) == std::vector<std::uint8_t>{7, 9});  // 7 reached the first incarnation
  CHECK(f.connections().stats().replies_dropped == 1);
}

TEST_CASE("connections are deterministic: same seed, same trace hash") {
  auto run = [] {
    WorldConfig config;
    config.seed = 7;
    config.default_link.latency = DurationDistribution::uniform(millis(1), millis(9));
    config.default_link.drop_probability = 0.2;
    config.default_link.duplicate_probability = 0.2;
    config.default_link.reorder_probability = 0.2;
    config.default_link.reorder_delay_max_ns = millis(20);
    Fixture f(3, config);
    send_series(f, 60, millis(3));
    f.world.loop().schedule_at(millis(50), [&f] { f.world.crash(2); });
    f.world.run_until(seconds(10));
    CHECK(f.tags(1) == one_to(60));
    return f.world.trace().hash();
  };
  CHECK(run() == run());
}

TEST_CASE("acknowledgements wait up to 40 ms, go at the second segment, or ride reverse data") {
  Fixture f(2);  // 1 ms links
  const ConnectionStats& stats = f.connections().stats();
  // Handshake done at 2 ms; the data arrives at 3 ms and its acknowledgement
  // waits for the delayed-ack timer (40 ms).
  f.send(0, 1, 1);
  f.world.run_until(millis(42));
  CHECK(f.tags(1) == std::vector<std::uint8_t>{1});
  CHECK(stats.acks_sent == 0);
  f.world.run_until(millis(43));
  CHECK(stats.acks_sent == 1);
  CHECK(stats.acks_delayed == 1);

  // Two segments back to back: the second is acknowledged at once.
  f.world.loop().schedule_at(millis(100), [&f] {
    f.send(0, 1, 2);
    f.send(0, 1, 3);
  });
  f.world.run_until(millis(101));
  CHECK(stats.acks_sent == 2);
  CHECK(stats.acks_delayed == 1);

  // A request answered within the timer: the answer carries the
  // acknowledgement, and only the answer's own waits for the timer.
  f.world.loop().schedule_at(millis(300), [&f] { f.send(0, 1, 4); });
  f.world.loop().schedule_at(millis(305), [&f] { f.send(1, 0, 5); });
  f.world.run_until(millis(345));
  CHECK(stats.acks_piggybacked == 1);
  CHECK(stats.acks_sent == 2);
  f.world.run_until(millis(346));
  CHECK(stats.acks_sent == 3);
  CHECK(stats.acks_delayed == 2);
  CHECK(f.tags(1) == std::vector<std::uint8_t>{1, 2, 3, 4});
  CHECK(f.tags(0) == std::vector<std::uint8_t>{5});
  CHECK(stats.retransmissions == 0);  // 40 ms stays far below the 200 ms RTO
}

TEST_CASE("delayed_ack = 0 acknowledges every data segment at once") {
  WorldConfig config;
  config.connection.delayed_ack = 0;
  Fixture f(2, config);
  send_series(f, 3, millis(10));
  f.world.run_until(millis(35));
  CHECK(f.tags(1) == one_to(3));
  CHECK(f.connections().stats().acks_sent == 3);
  CHECK(f.connections().stats().acks_delayed == 0);
}

}  // namespace simrun::sim
