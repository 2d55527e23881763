#include "broker/client.h"

#include <doctest/doctest.h>

#include <optional>

#include "broker/fake_broker_for_tests.h"
#include "sim/world.h"

namespace simrun::broker {
namespace {

using protocol::ErrorCode;
using testing::FakeCluster;

struct Fixture {
  sim::World world{sim::WorldConfig{}};
  FakeCluster cluster;
  std::vector<sim::ProcessId> brokers;
  std::size_t max_in_flight = 64;
  explicit Fixture(int nodes = 3) {
    cluster.topics["orders"].resize(2);
    brokers = testing::start_fake_brokers(world, cluster, nodes);
  }
  ClientConfig client_config() const {
    ClientConfig config;
    config.bootstrap = brokers;
    config.metadata_timeout_ms = 100;
    config.request_timeout_ms = 200;
    config.max_in_flight = max_in_flight;
    return config;
  }
  // Runs `body` in a client process until the world is idle or 60 s pass.
  void run_client(std::function<void(sim::Env&, Client&)> body) {
    const sim::ProcessId process =
        world.add_process("client-0", [this, body = std::move(body)](sim::Env& env) {
          Client client(env, client_config());
          client.start();
          body(env, client);
        });
    world.start(process);
    world.run_until(sim::seconds(60));
  }
};

TEST_CASE("a call gets its response, matched by correlation id") {
  Fixture f;
  bool done = false;
  f.run_client([&](sim::Env& env, Client& client) {
    const sim::time_ns before = env.now();
    CallResult result = client.call(f.brokers[1], protocol::MetadataRequest{}, sim::seconds(1));
    REQUIRE(result.response);
    CHECK(result.error == ErrorCode::none);
    CHECK(result.response->api_key() == protocol::ApiKey::metadata);
    const auto& metadata = std::get<protocol::MetadataResponse>(result.response->body);
    CHECK(metadata.brokers.size() == 3);
    // A connection first (SYN and SYN-ACK, 1 ms each), then one hop each way.
    CHECK(env.now() - before == sim::millis(4));
    CHECK(client.stats().responses_matched == 1);
    done = true;
  });
  CHECK(done);
}

TEST_CASE("a request with no answer times out after its timeout; a late answer is dropped") {
  Fixture f;
  f.cluster.response_delay_ms = 300;
  bool done = false;
  f.run_client([&](sim::Env& env, Client& client) {
    const sim::time_ns before = env.now();
    CallResult result = client.call(f.brokers[0], protocol::MetadataRequest{}, sim::millis(100));
    CHECK_FALSE(result.response);
    CHECK(result.error == ErrorCode::request_timed_out);
    CHECK(env.now() - before == sim::millis(100));
    CHECK(client.stats().timeouts == 1);
    env.sleep(sim::millis(500));  // the late answer arrives meanwhile
    CHECK(client.stats().responses_unmatched == 1);
    CHECK(client.stats().responses_matched == 0);
    f.cluster.response_delay_ms = 0;
    result = client.call(f.brokers[0], protocol::MetadataRequest{}, sim::millis(100));
    CHECK(result.response);
    done = true;
  });
  CHECK(done);
}

// A node crashes under an outstanding call: its connection reset fails the
// call at once (retriable), not at the 5 s timeout; a call outstanding at
// another node is untouched and gets its answer.
TEST_CASE("a connection reset fails the calls outstanding at the crashed node at once") {
  Fixture f;
  f.cluster.response_delay_ms = 300;
  f.world.loop().schedule_at(sim::millis(50), [&f] { f.world.crash(f.brokers[0]); });
  bool done = false;
  f.run_client([&](sim::Env& env, Client& client) {
    std::optional<CallResult> at_other_node;
    sim::time_ns other_answered_at = 0;
    env.spawn("other", [&] {
      at_other_node = client.call(f.brokers[1], protocol::MetadataRequest{}, sim::seconds(5));
      other_answered_at = env.now();
    });
    const sim::time_ns before = env.now();
    const CallResult result =
        client.call(f.brokers[0], protocol::MetadataRequest{}, sim::seconds(5));
    CHECK_FALSE(result.response);
    CHECK(result.error == ErrorCode::leader_not_available);
    CHECK(protocol::is_retriable(result.error));
    // Crash at 50 ms, reset after one 1 ms hop.
    CHECK(env.now() - before == sim::millis(51));
    CHECK(client.stats().connection_resets == 1);
    CHECK(client.stats().calls_reset == 1);
    CHECK(client.stats().timeouts == 0);
    CHECK(client.in_flight() == 1);  // the call at the other node still waits
    env.sleep(sim::seconds(1));
    REQUIRE(at_other_node.has_value());
    CHECK(at_other_node->response.has_value());
    CHECK(other_answered_at - before == sim::millis(304));  // handshake, hop, 300 ms, hop
    CHECK(client.stats().connection_resets == 1);
    // A call to the node while it is down is refused: the request reaches a
    // host with nothing listening and a reset comes back after the round
    // trip (1 ms each way), long before the 100 ms timeout.
    const sim::time_ns later_sent = env.now();
    const CallResult later =
        client.call(f.brokers[0], protocol::MetadataRequest{}, sim::millis(100));
    CHECK(later.error == ErrorCode::leader_not_available);
    CHECK(env.now() - later_sent == sim::millis(2));
    CHECK(client.stats().connection_resets == 2);
    CHECK(client.stats().calls_reset == 2);
    CHECK(client.stats().timeouts == 0);
    done = true;
  });
  CHECK(done);
}

TEST_CASE("metadata refresh rotates past a node that does not answer") {
  Fixture f;
  f.cluster.drop_requests = 1;  // the first node asked stays silent
  bool done = false;
  f.run_client([&](sim::Env&, Client& client) {
    CHECK(client.partition_count("orders") == 0);
    CHECK(client.refresh_metadata(3));
    CHECK(client.stats().timeouts == 1);
    CHECK(client.partition_count("orders") == 2);
    CHECK(client.controller() == 1);
    auto route = client.route("orders", 1);
    REQUIRE(route);
    CHECK(route->leader == 1);
    CHECK(route->leader_epoch == 1);
    done = true;
  });
  CHECK(done);
}

TEST_CASE("not_leader with a hint redirects at once; without a hint it refreshes metadata") {
  Fixture f;
  // Metadata says node 1 leads partition 0, node 2 really does.
  auto& partition = f.cluster.topics["orders"][0];
  partition.leader = 2;
  partition.advertised_leader = 1;
  bool done = false;
  f.run_client([&](sim::Env& env, Client& client) {
    const protocol::FetchRequest fetch{"orders", 0, 0, 1024};
    CallResult result = client.call_partition_leader("orders", 0, fetch, sim::millis(100));
    CHECK(result.effective_error() == ErrorCode::not_leader);
    CHECK(result.response->leader_hint() == 2);
    CHECK(client.route("orders", 0)->leader == 2);  // the hint, taken as is
    const auto refreshes = client.stats().metadata_refreshes;
    result = client.call_partition_leader("orders", 0, fetch, sim::millis(100));
    CHECK(result.effective_error() == ErrorCode::none);
    CHECK(client.stats().metadata_refreshes == refreshes);

    // Now the leader moves to node 3 and nobody gives hints.
    f.cluster.hint_on_not_leader = false;
    f.cluster.topics["orders"][0].leader = 3;
    f.cluster.topics["orders"][0].advertised_leader = 3;
    f.cluster.topics["orders"][0].epoch = 2;
    result = client.call_partition_leader("orders", 0, fetch, sim::millis(100));
    CHECK(result.effective_error() == ErrorCode::not_leader);
    CHECK(client.route("orders", 0)->leader == 0);  // forgotten until a refresh
    // Refreshes are rate-limited: right away there is no leader to ask.
    result = client.call_partition_leader("orders", 0, fetch, sim::millis(100));
    CHECK(result.effective_error() == ErrorCode::leader_not_available);
    CHECK_FALSE(result.response);
    env.sleep(sim::millis(client.config().metadata_min_refresh_interval_ms));
    result = client.call_partition_leader("orders", 0, fetch, sim::millis(100));
    CHECK(result.effective_error() == ErrorCode::none);
    CHECK(client.stats().metadata_refreshes == refreshes + 1);
    CHECK(client.route("orders", 0)->leader == 3);
    CHECK(client.route("orders", 0)->leader_epoch == 2);
    done = true;
  });
  CHECK(done);
}

TEST_CASE("metadata with an older leader epoch does not move a partition back") {
  Fixture f;
  bool done = false;
  f.run_client([&](sim::Env&, Client& client) {
    auto& partition = f.cluster.topics["orders"][0];
    partition.advertised_leader = 2;
    partition.epoch = 5;
    REQUIRE(client.refresh_metadata());
    CHECK(client.route("orders", 0)->leader == 2);
    partition.advertised_leader = 1;  // a stale node's view
    partition.epoch = 4;
    REQUIRE(client.refresh_metadata());
    CHECK(client.route("orders", 0)->leader == 2);
    CHECK(client.route("orders", 0)->leader_epoch == 5);
    done = true;
  });
  CHECK(done);
}

TEST_CASE("in-flight requests are bounded; callers beyond the bound wait for a slot") {
  Fixture f;
  f.max_in_flight = 2;
  f.cluster.response_delay_ms = 10;
  int answered = 0;
  std::size_t max_in_flight_seen = 0;
  f.run_client([&](sim::Env& env, Client& client) {
    sim::WaitQueue all_done(env.scheduler());
    int running = 6;
    for (int i = 0; i < 6; ++i) {
      env.spawn("caller", [&] {
        CallResult result = client.call(f.brokers[0], protocol::MetadataRequest{}, sim::seconds(5));
        if (result.response) ++answered;
        if (--running == 0) all_done.notify_all();
      });
    }
    env.spawn("monitor", [&] {
      while (running > 0) {
        max_in_flight_seen = std::max(max_in_flight_seen, client.in_flight());
        env.sleep(sim::millis(1));
      }
    });
    all_done.wait();
  });
  CHECK(answered == 6);
  CHECK(max_in_flight_seen == 2);
}

}  // namespace
}  // namespace simrun::broker
