#include "broker/admin.h"

#include <doctest/doctest.h>

#include "broker/fake_broker_for_tests.h"
#include "sim/world.h"

namespace simrun::broker {
namespace {

using testing::CapturedRecord;
using testing::FakeCluster;
using testing::of_kind;

TEST_CASE("topics are created through the __meta leader, following its hint") {
  sim::World world(sim::WorldConfig{});
  std::vector<CapturedRecord> records;
  testing::capture_trace(world, records);
  FakeCluster cluster;
  cluster.controller = 3;
  cluster.topics["existing"].resize(1);
  ClientConfig config;
  config.bootstrap = testing::start_fake_brokers(world, cluster, 3);
  config.request_timeout_ms = 100;
  std::vector<std::string> failed{"not run"};
  const sim::ProcessId admin = world.add_process("admin", [&](sim::Env& env) {
    Client client(env, config);
    client.start();
    failed = create_topics(env, client, {{"orders", 4}, {"existing", 1}}, AdminOptions{});
  });
  world.start(admin);
  world.run_until(sim::seconds(10));
  CHECK(failed.empty());
  REQUIRE(cluster.topics.count("orders") == 1);
  CHECK(cluster.topics["orders"].size() == 4);
  const auto created = of_kind(records, kAdminTopicCreated);
  REQUIRE(created.size() == 2);
  CHECK(created[0].text("topic") == "orders");
  CHECK(created[1].text("topic") == "existing");  // already there counts as success
}

TEST_CASE("creation retries while the cluster is silent and gives up at the deadline") {
  sim::World world(sim::WorldConfig{});
  std::vector<CapturedRecord> records;
  testing::capture_trace(world, records);
  FakeCluster cluster;
  cluster.drop_requests = 1'000'000;  // nobody ever answers
  ClientConfig config;
  config.bootstrap = testing::start_fake_brokers(world, cluster, 3);
  config.request_timeout_ms = 100;
  config.metadata_timeout_ms = 50;
  std::vector<std::string> failed;
  const sim::ProcessId admin = world.add_process("admin", [&](sim::Env& env) {
    Client client(env, config);
    client.start();
    AdminOptions options;
    options.deadline_ms = 2000;
    failed = create_topics(env, client, {{"orders", 1}}, options);
    CHECK(env.now() >= sim::millis(2000));
    CHECK(env.now() < sim::millis(2500));
  });
  world.start(admin);
  world.run_until(sim::seconds(10));
  CHECK(failed == std::vector<std::string>{"orders"});
  const auto failures = of_kind(records, kAdminTopicCreateFailed);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].text("error") == "request_timed_out");
  CHECK(failures[0].number("attempts") > 3);
}

}  // namespace
}  // namespace simrun::broker
