// Fibers through the World: sleeping, yielding, spawn order, wait queues
// and mailboxes, all on simulated time.
#include "sim/scheduler.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/world.h"

namespace simrun::sim {

namespace {
// Builds "<prefix><number>" (gcc 12 gives false -Wrestrict warnings on
// `"literal" + std::string` at -O3).
std::string label(std::string prefix, std::int64_t number) {
  prefix += std::to_string(number);
  return prefix;
}
}  // namespace

TEST_CASE("sleep blocks only the calling fiber, for exactly its duration") {
  World world(WorldConfig{});
  std::vector<std::pair<std::string, time_ns>> log;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    env.spawn("sleeper", [&] {
      env.sleep(millis(30));
      log.emplace_back("sleeper", env.now());
    });
    log.emplace_back("main-start", env.now());
    env.sleep(millis(10));
    log.emplace_back("main", env.now());
    env.sleep(millis(50));
    log.emplace_back("main", env.now());
  });
  world.start(p);
  world.run_until(seconds(1));
  const std::vector<std::pair<std::string, time_ns>> expected{
      {"main-start", 0}, {"main", millis(10)}, {"sleeper", millis(30)}, {"main", millis(60)}};
  CHECK(log == expected);
  CHECK(world.scheduler().live_fibers() == 0);  // both bodies returned
}

TEST_CASE("spawned fibers start in spawn order after the spawner blocks") {
  World world(WorldConfig{});
  std::vector<std::string> order;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    for (int i = 0; i < 4; ++i) {
      env.spawn(label("child", i), [&order, i] { order.push_back(label("c", i)); });
    }
    order.push_back("main-before-yield");
    env.yield();
    order.push_back("main-after-yield");
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(order ==
        std::vector<std::string>{"main-before-yield", "c0", "c1", "c2", "c3", "main-after-yield"});
}

TEST_CASE("yield lets every fiber runnable now go first, without advancing time") {
  World world(WorldConfig{});
  std::vector<std::string> order;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    env.spawn("a", [&] {
      for (int i = 0; i < 3; ++i) {
        order.push_back(label("a", i));
        env.yield();
      }
    });
    env.spawn("b", [&] {
      for (int i = 0; i < 3; ++i) {
        order.push_back(label("b", i));
        env.yield();
      }
    });
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(order == std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"});
  CHECK(world.now() == seconds(1));
}

TEST_CASE("wait_for: notify wins before the timeout, the timeout wins otherwise") {
  World world(WorldConfig{});
  std::vector<std::pair<bool, time_ns>> results;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    WaitQueue queue(env.scheduler());
    env.spawn("notifier", [&] {
      env.sleep(millis(5));
      CHECK(queue.waiters() == 1);
      queue.notify_one();
    });
    bool notified = queue.wait_for(millis(20));  // notified at 5 ms
    results.emplace_back(notified, env.now());
    notified = queue.wait_for(millis(20));  // times out at 25 ms
    results.emplace_back(notified, env.now());
    CHECK(queue.waiters() == 0);
    queue.notify_one();  // nobody waits: a no-op, not remembered
    notified = queue.wait_for(0);
    results.emplace_back(notified, env.now());
  });
  world.start(p);
  world.run_until(seconds(1));
  const std::vector<std::pair<bool, time_ns>> expected{
      {true, millis(5)}, {false, millis(25)}, {false, millis(25)}};
  CHECK(results == expected);
}

TEST_CASE("notify_all wakes waiters in the order they waited") {
  World world(WorldConfig{});
  std::vector<int> woke;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    WaitQueue queue(env.scheduler());
    for (int i = 0; i < 3; ++i) {
      env.spawn("waiter", [&, i] {
        queue.wait();
        woke.push_back(i);
      });
    }
    env.sleep(millis(1));
    CHECK(queue.waiters() == 3);
    queue.notify_all();
    env.sleep(millis(1));
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(woke == std::vector<int>{0, 1, 2});
}

TEST_CASE("a timed-out waiter leaves the queue, so notify reaches the next one") {
  World world(WorldConfig{});
  std::vector<std::string> log;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    WaitQueue queue(env.scheduler());
    env.spawn("impatient",
              [&] { log.push_back(queue.wait_for(millis(1)) ? "i:notified" : "i:timeout"); });
    env.spawn("patient",
              [&] { log.push_back(queue.wait_for(millis(100)) ? "p:notified" : "p:timeout"); });
    env.sleep(millis(10));
    CHECK(queue.waiters() == 1);
    queue.notify_one();
    env.sleep(millis(1));
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(log == std::vector<std::string>{"i:timeout", "p:notified"});
}

TEST_CASE("waiters leaving from the middle, head and tail keep the rest in FIFO order") {
  World world(WorldConfig{});
  std::vector<std::string> log;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    WaitQueue queue(env.scheduler());
    // w0 (the head) times out first, then w4 (the tail), then w2 (in the
    // middle); the notifications then reach w1 and w3 in wait order.
    const duration_ns timeouts_ms[] = {1, 100, 3, 100, 2};
    for (int i = 0; i < 5; ++i) {
      const duration_ns timeout = millis(timeouts_ms[i]);
      env.spawn(label("w", i), [&, i, timeout] {
        log.push_back(label(queue.wait_for(timeout) ? "notified:w" : "timeout:w", i));
      });
    }
    env.sleep(millis(10));
    CHECK(queue.waiters() == 2);
    queue.notify_one();
    env.sleep(millis(1));
    CHECK(queue.waiters() == 1);
    // A fresh waiter goes behind the one still waiting.
    env.spawn("late",
              [&] { log.push_back(queue.wait_for(-1) ? "notified:late" : "timeout:late"); });
    env.sleep(millis(1));
    CHECK(queue.waiters() == 2);
    queue.notify_all();
    env.sleep(millis(1));
    CHECK(queue.waiters() == 0);
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(log == std::vector<std::string>{"timeout:w0", "timeout:w4", "timeout:w2", "notified:w1",
                                        "notified:w3", "notified:late"});
}

TEST_CASE("a crash unlinks waiters, and the queue keeps working for survivors") {
  World world(WorldConfig{});
  std::vector<std::string> log;
  WaitQueue* shared = nullptr;
  const ProcessId owner = world.add_process("owner", [&](Env& env) {
    WaitQueue queue(env.scheduler());
    shared = &queue;
    env.spawn("own-waiter", [&] { log.push_back(queue.wait_for(-1) ? "own:n" : "own:t"); });
    env.sleep(millis(5));
    queue.notify_all();
    env.sleep(seconds(10));  // keeps the queue alive
  });
  const ProcessId victim = world.add_process("victim", [&](Env& env) {
    env.sleep(millis(1));
    (void)shared->wait_for(-1);
    log.push_back("victim woke");  // must never happen: it is crashed first
  });
  world.start(owner);
  world.start(victim);
  world.run_until(millis(2));
  CHECK(shared->waiters() == 2);
  world.crash(victim);
  CHECK(shared->waiters() == 1);
  world.run_until(millis(20));
  CHECK(log == std::vector<std::string>{"own:n"});
  CHECK(shared->waiters() == 0);
  world.crash(owner);
}

TEST_CASE("mailbox: bounded, FIFO, back-pressure and timeouts") {
  World world(WorldConfig{});
  std::vector<std::string> log;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    Mailbox<int> box(env.scheduler(), 2);
    CHECK(box.try_push(1));
    CHECK(box.try_push(2));
    CHECK_FALSE(box.try_push(3));  // full: refused, not queued
    CHECK(box.size() == 2);
    // push_for times out while nobody makes room.
    CHECK_FALSE(box.push_for(3, millis(5)));
    CHECK(env.now() == millis(5));
    env.spawn("consumer", [&] {
      env.sleep(millis(10));
      log.push_back(label("got ", box.receive()));
      log.push_back(label("got ", box.receive()));
      log.push_back(label("got ", box.receive()));
      const auto none = box.receive_for(millis(7));
      log.push_back(none ? std::string("unexpected") : label("timeout at ", to_millis(env.now())));
    });
    // Blocks until the consumer takes one item at 15 ms.
    CHECK(box.push_for(3, millis(100)));
    log.push_back(label("pushed 3 at ", to_millis(env.now())));
    env.sleep(millis(50));
  });
  world.start(p);
  world.run_until(seconds(1));
  // The consumer keeps running after it makes room: the producer's wake-up
  // is an event behind it, so "got 2" comes before "pushed 3".
  CHECK(log ==
        std::vector<std::string>{"got 1", "got 2", "pushed 3 at 15", "got 3", "timeout at 22"});
}

TEST_CASE("mailbox: a direct consumer acts only for an idle receiver that would run now") {
  World world(WorldConfig{});
  Mailbox<int> box(world.scheduler(), 8);
  std::vector<std::string> log;
  int asked = 0;
  struct Context {
    std::vector<std::string>* log;
    int* asked;
  } context{&log, &asked};
  // Takes odd items; leaves even ones to the fiber.
  box.set_direct_consumer(
      [](void* raw, int& item) {
        auto& ctx = *static_cast<Context*>(raw);
        ++*ctx.asked;
        if (item % 2 == 0) return false;
        ctx.log->push_back(label("direct ", item));
        return true;
      },
      &context);
  const ProcessId p = world.add_process("p", [&](Env&) {
    for (;;) log.push_back(label("fiber ", box.receive()));
  });
  world.start(p);
  // From the scheduler context, as the network pushes.
  world.loop().schedule_at(millis(1), [&] { CHECK(box.try_push(1)); });
  world.loop().schedule_at(millis(2), [&] { CHECK(box.try_push(2)); });
  world.loop().schedule_at(millis(3), [&] {
    CHECK(box.try_push(4));  // asked, refused: to the fiber, whose wake-up is now pending
    CHECK(box.try_push(3));  // not empty: queued behind 4, consumer not asked
  });
  world.loop().schedule_at(millis(4), [&] {
    world.pause(p);
    CHECK(box.try_push(5));  // the receiver cannot run: queued
  });
  world.loop().schedule_at(millis(5), [&] { world.resume(p); });
  world.run_until(millis(10));
  CHECK(log == std::vector<std::string>{"direct 1", "fiber 2", "fiber 4", "fiber 3", "fiber 5"});
  CHECK(asked == 3);  // for 1, 2 and 4; never for 3 or 5
  box.set_direct_consumer(nullptr, nullptr);
  world.loop().schedule_at(millis(11), [&] { CHECK(box.try_push(7)); });
  world.run_until(millis(20));
  CHECK(log.back() == "fiber 7");
  CHECK(asked == 3);
  world.crash(p);  // unwinds the receiver before the mailbox goes
}

TEST_CASE("fibers of different processes interleave deterministically") {
  World world(WorldConfig{});
  std::vector<std::string> log;
  for (int n = 0; n < 3; ++n) {
    const ProcessId p = world.add_process(label("n", n), [&log, n](Env& env) {
      for (int i = 0; i < 3; ++i) {
        log.push_back(label(label("", n) + "@", to_millis(env.now())));
        env.sleep(millis(10));
      }
    });
    world.start(p);
  }
  world.run_until(seconds(1));
  CHECK(log == std::vector<std::string>{"0@0", "1@0", "2@0", "0@10", "1@10", "2@10", "0@20", "1@20",
                                        "2@20"});
}

TEST_CASE("many fibers, many wake-ups, stacks reused") {
  WorldConfig config;
  config.max_fibers_per_process = 200;
  World world(config);
  std::uint64_t wakes = 0;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    for (int round = 0; round < 5; ++round) {
      for (int i = 0; i < 150; ++i) {
        env.spawn("worker", [&env, &wakes, i] {
          for (int k = 0; k < 10; ++k) {
            env.sleep(micros(i + 1));
            ++wakes;
          }
        });
      }
      env.sleep(millis(5));  // all workers of this round are done by now
      CHECK(world.scheduler().fiber_count(p) == 1);
    }
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(wakes == 5 * 150 * 10);
  CHECK(world.scheduler().live_fibers() == 0);
}

}  // namespace simrun::sim
