#include "broker/message_rate.h"

#include <doctest/doctest.h>

#include <vector>

#include "broker/events.h"
#include "sim/world.h"

namespace simrun::broker {

TEST_CASE("message rate: one record per peer and finished second, with its count") {
  sim::World world{sim::WorldConfig{}};
  std::vector<std::vector<std::int64_t>> seen;  // second, peer, messages
  world.trace().add_observer([&](const sim::TraceRecord& record) {
    if (record.kind != events::kMessageRate) return;
    CHECK(record.text("group") == "orders/0");
    CHECK(record.number("node") == 1);
    seen.push_back({record.number("second"), record.number("peer"), record.number("messages")});
  });
  sim::ProcessId process = world.add_process("node1", [](sim::Env&) {});
  sim::Env& env = world.env(process);
  MessageRate rate(env, "orders/0", 1);
  for (int i = 0; i < 3; ++i) rate.count(2);
  rate.count(3);
  world.loop().schedule_after(sim::millis(1500), [&] {
    rate.count(2);  // closes second 0 of peer 2 (3 messages)
    rate.count(2);
  });
  world.loop().schedule_after(sim::millis(3200), [&] { rate.count(2); });
  world.run_until(sim::seconds(4));
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::vector<std::int64_t>{0, 2, 3});
  CHECK(seen[1] == std::vector<std::int64_t>{1, 2, 2});
}

}  // namespace simrun::broker
