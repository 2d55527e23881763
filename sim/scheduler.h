#pragma once
// Runs the fibers of all processes, exactly one at a time, in an order fixed
// by the EventLoop: every wake-up (start, end of a sleep, a notify, a
// timeout, a yield) is an event, so same-instant wake-ups run in the order
// they were requested. A fiber runs until it blocks; the loop then continues.
//
// Fibers belong to processes. Killing a process (crash) unwinds its fibers
// in reverse spawn order by destroying their suspended contexts: Boost
// throws forced_unwind out of the blocking call each one sits in, so every
// destructor on its stack runs. Every pending wake-up carries the fiber's
// wait sequence number; once a fiber is woken, killed or reused, older
// wake-ups find a different number and do nothing.
//
// Pausing a process defers its due wake-ups; resuming re-issues them at the
// current instant in their original order.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/event_loop.h"
#include "sim/time.h"

namespace simrun::sim {

using ProcessId = std::uint32_t;
class LocalClock;

struct SchedulerConfig {
  std::size_t stack_bytes = 256 * 1024;
  std::size_t max_fibers_per_process = 1024;
  std::size_t pooled_stacks_max = 256;  // stacks kept for reuse after fibers end
};

class Scheduler {
 public:
  Scheduler(EventLoop& loop, SchedulerConfig config);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Processes are registered densely from 0. `clock` converts the process's
  // local timeouts to global time; it must outlive the scheduler's use.
  void add_process(ProcessId process, const LocalClock* clock);

  // Creates a fiber; it first runs from an event at the current instant.
  void spawn(ProcessId process, std::string name, std::function<void()> body);

  bool in_fiber() const { return current_ != nullptr; }
  ProcessId current_process() const;  // only inside a fiber
  const std::string& current_fiber_name() const;

  // Blocking calls, only from a fiber.
  void sleep_until(time_ns global_deadline);
  // Env::sleep: `local_duration` of `process`'s clock; the caller must
  // be a fiber of `process`.
  void sleep(ProcessId process, duration_ns local_duration);
  void yield();
  // Waits on a queue until notified (true) or until `local_timeout` of the
  // calling process's clock passed (false); < 0 waits forever.
  bool wait(std::uint64_t queue, duration_ns local_timeout);

  // Wait queues (WaitQueue's backing store), FIFO.
  std::uint64_t open_queue();
  void close_queue(std::uint64_t queue);
  void notify_one(std::uint64_t queue);
  void notify_all(std::uint64_t queue);
  std::size_t waiters(std::uint64_t queue) const;
  // True when a fiber waits on `queue` and a notify now would run it at
  // this instant (its process is not paused): Mailbox's direct consumer
  // may then act for it.
  bool waiter_runnable(std::uint64_t queue) const;

  // Lifecycle. kill_fibers must not be called by a fiber of `process`.
  void kill_fibers(ProcessId process);
  void kill_all();
  void pause(ProcessId process);
  void resume(ProcessId process);
  bool paused(ProcessId process) const;

  std::size_t fiber_count(ProcessId process) const;
  std::size_t live_fibers() const { return live_fibers_; }
  std::uint64_t wakeups() const { return wakeups_; }
  std::uint64_t fibers_unwound() const { return fibers_unwound_; }

  struct Fiber;
  struct StackPool;

 private:
  struct Waiter {
    std::uint32_t fiber;
    std::uint32_t sequence;
  };
  // A FIFO of waiting fibers, linked through the fibers themselves
  // (Fiber::wait_prev/wait_next): push, pop and removal on timeout are O(1)
  // and allocate nothing.
  struct Queue {
    std::uint32_t head = UINT32_MAX;
    std::uint32_t tail = UINT32_MAX;
    std::uint32_t count = 0;
    bool open = false;
  };
  struct ProcessFibers {
    const LocalClock* clock = nullptr;
    std::vector<std::uint32_t> fibers;  // spawn order
    std::vector<Waiter> deferred;       // wake-ups that fell due while paused
    bool paused = false;
    bool dying = false;
  };

  Fiber& current_checked(const char* operation);
  void schedule_wake(Fiber& fiber, time_ns at);
  void schedule_wake_event(std::uint32_t fiber_index, std::uint32_t sequence, time_ns at);
  static void wake_action(void* scheduler, std::uint64_t fiber_and_sequence);
  void on_wake(std::uint32_t fiber_index, std::uint32_t sequence);
  void run(Fiber& fiber);
  void suspend();
  void release(Fiber& fiber);
  void detach(Fiber& fiber);  // from its queue and timer, stale wake-ups
  void append_waiter(Queue& queue, Fiber& fiber);
  void remove_waiter(std::uint64_t queue, Fiber& fiber);

  EventLoop& loop_;
  SchedulerConfig config_;
  std::unique_ptr<StackPool> stacks_;
  std::vector<std::unique_ptr<Fiber>> fibers_;
  std::vector<std::uint32_t> free_fibers_;
  std::vector<Queue> queues_;
  std::vector<std::uint32_t> free_queues_;
  std::vector<ProcessFibers> processes_;
  Fiber* current_ = nullptr;
  std::size_t live_fibers_ = 0;
  std::uint64_t wakeups_ = 0;
  std::uint64_t fibers_unwound_ = 0;
};

}  // namespace simrun::sim
