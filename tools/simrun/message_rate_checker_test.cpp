#include "tools/simrun/message_rate_checker.h"

#include "tools/simrun/trace_feed_for_tests.h"

#include <doctest/doctest.h>

using namespace simrun::cli;
using simrun::cli::testing::feed;

namespace {

void rate(MessageRateChecker& checker, std::int64_t second, std::int64_t messages,
          std::int64_t peer = 2) {
  feed(checker, second * 1000 + 1000, "raft.message_rate",
       {{"group", "orders/0"},
        {"node", std::int64_t{1}},
        {"peer", peer},
        {"second", second},
        {"messages", messages}});
}

}  // namespace

TEST_CASE("issue 11: a message rate climbing every second is a runaway loop, named") {
  MessageRateChecker checker;
  for (std::int64_t second = 0; second < 10; ++second) rate(checker, second, 600);  // steady
  for (std::int64_t second = 10; second < 20; ++second)
    rate(checker, second, 13'000 * (second - 9), 3);
  CHECK(checker.seconds_checked() == 20);
  REQUIRE(checker.violation_count() == 1);  // once per link
  CHECK(checker.violations()[0].checker == "message_rate");
  CHECK(checker.violations()[0].group == "orders/0");
  CHECK(checker.violations()[0].nodes == std::vector<std::uint32_t>{1, 3});
}

TEST_CASE("issue 11: a busy but steady, or a briefly climbing, rate is not flagged") {
  MessageRateChecker checker;
  for (std::int64_t second = 0; second < 30; ++second) rate(checker, second, 5000 + second % 2);
  for (std::int64_t second = 30; second < 33; ++second) rate(checker, second, 6000 * second);
  rate(checker, 35, 999'999);  // after a gap: the climb starts over
  CHECK(checker.violation_count() == 0);
}
