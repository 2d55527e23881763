#include "sim/event_loop.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace simrun::sim {

TEST_CASE("events run in time order and same-instant events keep insertion order") {
  EventLoop loop;
  std::vector<std::string> order;
  loop.schedule_at(30, [&] { order.push_back("c30"); });
  loop.schedule_at(10, [&] { order.push_back("a10"); });
  loop.schedule_at(20, [&] { order.push_back("first20"); });
  loop.schedule_at(20, [&] { order.push_back("second20"); });
  loop.schedule_at(20, [&] { order.push_back("third20"); });
  const RunResult result = loop.run_until(kTimeMax);
  CHECK(result.reason == StopReason::idle);
  CHECK(result.events == 5);
  CHECK(result.now == 30);
  CHECK(order == std::vector<std::string>{"a10", "first20", "second20", "third20", "c30"});
}

TEST_CASE("an event scheduled for now from a callback runs after events already due") {
  EventLoop loop;
  std::vector<int> order;
  loop.schedule_at(5, [&] {
    order.push_back(1);
    loop.schedule_at(5, [&] { order.push_back(3); });
  });
  loop.schedule_at(5, [&] { order.push_back(2); });
  loop.run_until(kTimeMax);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("cancel removes a pending event; stale ids are harmless") {
  EventLoop loop;
  int fired = 0;
  const TimerId keep = loop.schedule_at(10, [&] { fired += 1; });
  const TimerId drop = loop.schedule_at(10, [&] { fired += 100; });
  CHECK(loop.pending() == 2);
  CHECK(loop.cancel(drop));
  CHECK_FALSE(loop.cancel(drop));  // already cancelled
  CHECK(loop.pending() == 1);
  // The freed slot is reused; the old id must not cancel the new event.
  const TimerId reuse = loop.schedule_at(20, [&] { fired += 10; });
  CHECK(reuse.slot == drop.slot);
  CHECK_FALSE(loop.cancel(drop));
  loop.run_until(kTimeMax);
  CHECK(fired == 11);
  CHECK_FALSE(loop.cancel(keep));  // already ran
  CHECK_FALSE(loop.cancel(TimerId{}));
}

TEST_CASE("an event cancelling a later event at the same instant prevents it") {
  EventLoop loop;
  int fired = 0;
  TimerId victim;
  loop.schedule_at(7, [&] { CHECK(loop.cancel(victim)); });
  victim = loop.schedule_at(7, [&] { ++fired; });
  loop.run_until(kTimeMax);
  CHECK(fired == 0);
}

TEST_CASE("run_until stops at the end time and leaves the clock there") {
  EventLoop loop;
  int fired = 0;
  loop.schedule_at(100, [&] { ++fired; });
  loop.schedule_at(200, [&] { ++fired; });
  RunResult result = loop.run_until(150);
  CHECK(result.reason == StopReason::end_time);
  CHECK(result.now == 150);
  CHECK(fired == 1);
  CHECK(loop.pending() == 1);
  result = loop.run_until(1000);
  CHECK(result.reason == StopReason::idle);
  CHECK(result.now == 1000);  // drained: time is left at the end
  CHECK(fired == 2);
}

TEST_CASE("idle time is skipped: a far event runs in one step") {
  EventLoop loop;
  bool fired = false;
  loop.schedule_after(seconds(3600), [&] { fired = true; });
  const RunResult result = loop.run_until(kTimeMax);
  CHECK(fired);
  CHECK(result.now == seconds(3600));
  CHECK(result.events == 1);
}

TEST_CASE("run_until stops after the event budget") {
  EventLoop loop;
  int fired = 0;
  // A self-rescheduling timer never drains: only the budget stops it.
  std::function<void()> tick = [&] {
    ++fired;
    loop.schedule_after(1, tick);
  };
  loop.schedule_at(0, tick);
  RunResult result = loop.run_until(kTimeMax, 10);
  CHECK(result.reason == StopReason::event_budget);
  CHECK(result.events == 10);
  CHECK(fired == 10);
  result = loop.run_until(kTimeMax, 5);
  CHECK(result.events == 5);
  CHECK(fired == 15);
  CHECK(loop.events_executed() == 15);
}

TEST_CASE("stop ends the run after the running event") {
  EventLoop loop;
  int fired = 0;
  loop.schedule_at(1, [&] {
    ++fired;
    loop.stop();
  });
  loop.schedule_at(2, [&] { ++fired; });
  RunResult result = loop.run_until(kTimeMax);
  CHECK(result.reason == StopReason::stopped);
  CHECK(fired == 1);
  result = loop.run_until(kTimeMax);
  CHECK(fired == 2);
}

TEST_CASE("heavy cancellation keeps order among survivors") {
  EventLoop loop;
  std::vector<int> order;
  std::vector<TimerId> ids;
  for (int i = 0; i < 5000; ++i) {
    ids.push_back(loop.schedule_at(5000 - i, [&order, i] { order.push_back(i); }));
  }
  for (int i = 0; i < 5000; ++i) {
    if (i % 10 != 0) CHECK(loop.cancel(ids[static_cast<std::size_t>(i)]));
  }
  CHECK(loop.pending() == 500);
  loop.run_until(kTimeMax);
  REQUIRE(order.size() == 500);
  for (std::size_t k = 1; k < order.size(); ++k) CHECK(order[k] < order[k - 1]);
}

TEST_CASE("a small heap rebuilt after cancellations keeps time, then scheduling order") {
  // 100 events, two per instant, 80 cancelled: the heap is rebuilt (more
  // than 64 entries, over twice the live ones) several times.
  EventLoop loop;
  std::vector<int> order;
  std::vector<TimerId> ids;
  for (int i = 0; i < 100; ++i) {
    ids.push_back(loop.schedule_at(100 - i / 2, [&order, i] { order.push_back(i); }));
  }
  for (int i = 0; i < 100; ++i) {
    if (i % 5 != 0 && i % 5 != 1) CHECK(loop.cancel(ids[static_cast<std::size_t>(i)]));
  }
  // A cancelled id stays cancelled after the rebuild.
  CHECK_FALSE(loop.cancel(ids[2]));
  CHECK(loop.pending() == 40);
  loop.run_until(kTimeMax);
  // Survivors i = 5k and 5k + 1: later i is due earlier, except that two
  // events at one instant (i even, then i + 1) run in scheduling order.
  std::vector<int> expected;
  for (int i = 99; i >= 0; --i) {
    const int first = i - i % 2;  // the instant's first event
    const int event = first + (1 - i % 2);
    if (event % 5 == 0 || event % 5 == 1) expected.push_back(event);
  }
  CHECK(order == expected);
}

TEST_CASE("actions and callbacks share one order: time, then scheduling order") {
  EventLoop loop;
  std::vector<std::uint64_t> order;
  const EventLoop::Action record = [](void* context, std::uint64_t argument) {
    static_cast<std::vector<std::uint64_t>*>(context)->push_back(argument);
  };
  loop.schedule_action_at(20, record, &order, 3);
  loop.schedule_at(10, [&] { order.push_back(1); });
  loop.schedule_action_at(10, record, &order, 2);
  loop.schedule_at(20, [&] { order.push_back(4); });
  const TimerId cancelled = loop.schedule_action_at(15, record, &order, 99);
  CHECK(loop.pending() == 5);
  CHECK(loop.cancel(cancelled));
  CHECK_FALSE(loop.cancel(cancelled));
  const RunResult result = loop.run_until(kTimeMax);
  CHECK(result.events == 4);
  CHECK(order == std::vector<std::uint64_t>{1, 2, 3, 4});
}

TEST_CASE("an action may schedule more actions, which reuse its slot") {
  EventLoop loop;
  struct Chain {
    EventLoop* loop;
    std::vector<time_ns> fired_at;
    static void step(void* context, std::uint64_t remaining) {
      auto* self = static_cast<Chain*>(context);
      self->fired_at.push_back(self->loop->now());
      if (remaining > 0)
        self->loop->schedule_action_at(self->loop->now() + 5, &step, self, remaining - 1);
    }
  };
  Chain chain{&loop, {}};
  const TimerId first = loop.schedule_action_at(0, &Chain::step, &chain, 3);
  loop.run_until(kTimeMax);
  CHECK(chain.fired_at == std::vector<time_ns>{0, 5, 10, 15});
  CHECK(loop.pending() == 0);
  CHECK_FALSE(loop.cancel(first));  // ran; its slot was reused since
}

TEST_CASE("same-instant order holds across many reuses of few slots") {
  // Slots are recycled on every event; order must follow scheduling, never
  // slot numbers.
  EventLoop loop;
  std::vector<int> order;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) {
      loop.schedule_at(loop.now(), [&order, round, i] { order.push_back(round * 10 + i); });
    }
    loop.run_until(loop.now() + 1);
  }
  REQUIRE(order.size() == 350);
  for (std::size_t k = 1; k < order.size(); ++k) CHECK(order[k] > order[k - 1]);
}

TEST_CASE("events due now from earlier run before same-instant ones scheduled now") {
  // The first two are heap entries due at 10; the rest are scheduled at 10
  // while the loop is at 10 and take the same-instant FIFO.
  EventLoop loop;
  std::vector<int> order;
  loop.schedule_at(10, [&] {
    order.push_back(1);
    loop.schedule_at(10, [&] {
      order.push_back(3);
      loop.schedule_after(0, [&] { order.push_back(5); });
    });
    loop.schedule_at(11, [&] { order.push_back(6); });
    loop.schedule_at(10, [&] { order.push_back(4); });
  });
  loop.schedule_at(10, [&] { order.push_back(2); });
  const RunResult result = loop.run_until(kTimeMax);
  CHECK(result.events == 6);
  CHECK(order == std::vector<int>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("a same-instant event can be cancelled and a budget stops between them") {
  EventLoop loop;
  std::vector<int> order;
  TimerId victim;
  loop.schedule_at(0, [&] {
    order.push_back(1);
    victim = loop.schedule_at(0, [&] { order.push_back(100); });
    loop.schedule_at(0, [&] { order.push_back(2); });
    loop.schedule_at(0, [&] { order.push_back(3); });
    CHECK(loop.cancel(victim));
  });
  RunResult result = loop.run_until(kTimeMax, 2);
  CHECK(result.reason == StopReason::event_budget);
  CHECK(result.now == 0);
  CHECK(order == std::vector<int>{1, 2});
  CHECK(loop.pending() == 1);
  result = loop.run_until(kTimeMax);
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(loop.pending() == 0);
  CHECK_FALSE(loop.cancel(victim));
}

TEST_CASE("a long chain of same-instant events keeps its order while the FIFO compacts") {
  EventLoop loop;
  struct Chain {
    EventLoop* loop;
    std::uint64_t last = 0;
    bool ordered = true;
    static void step(void* context, std::uint64_t index) {
      auto* self = static_cast<Chain*>(context);
      if (index != self->last + 1) self->ordered = false;
      self->last = index;
      // Two pending at a time: the FIFO never empties during the instant.
      if (index % 2 == 1 && index < 20'000) {
        self->loop->schedule_action_at(self->loop->now(), &step, self, index + 2);
        self->loop->schedule_action_at(self->loop->now(), &step, self, index + 3);
      }
    }
  };
  Chain chain{&loop};
  loop.schedule_action_at(3, &Chain::step, &chain, 1);
  loop.schedule_action_at(3, &Chain::step, &chain, 2);
  const RunResult result = loop.run_until(kTimeMax);
  CHECK(chain.ordered);
  CHECK(chain.last == 20'002);
  CHECK(result.now == 3);
  CHECK(loop.pending() == 0);
}

}  // namespace simrun::sim
