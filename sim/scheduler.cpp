#include "sim/scheduler.h"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <exception>
#include <map>
#include <utility>

#include "sim/assert.h"
#include "sim/clock.h"

// Tells valgrind (when running under it; a no-op otherwise) that our mmap'd
// blocks are stacks, so switching to them is not reported as errors.
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SIMRUN_STACK_REGISTER(low, high) VALGRIND_STACK_REGISTER(low, high)
#define SIMRUN_STACK_DEREGISTER(id) VALGRIND_STACK_DEREGISTER(id)
#else
#define SIMRUN_STACK_REGISTER(low, high) 0u
#define SIMRUN_STACK_DEREGISTER(id) ((void)(id))
#endif

namespace simrun::sim {

namespace {
constexpr std::uint32_t kNoQueue = UINT32_MAX;
constexpr std::uint32_t kNoFiber = UINT32_MAX;
}  // namespace

// Fixed-size stacks with a PROT_NONE guard page below each (an overflow
// faults instead of corrupting a neighbour), recycled so that spawning a
// fiber costs no mmap/mprotect once the pool is warm.
struct Scheduler::StackPool {
  std::size_t total_bytes = 0;  // including the guard page
  std::size_t page_bytes = 0;
  std::size_t max_cached = 0;
  std::vector<void*> cached;
  // By stack base, for deregistering; looked up only, never iterated, so
  // pointer order cannot leak into the run.
  std::map<void*, unsigned> valgrind_ids;
  std::size_t outstanding = 0;

  StackPool(std::size_t stack_bytes, std::size_t cache_limit) : max_cached(cache_limit) {
    const long page = ::sysconf(_SC_PAGESIZE);
    page_bytes = page > 0 ? static_cast<std::size_t>(page) : 4096;
    const std::size_t usable = (stack_bytes + page_bytes - 1) / page_bytes * page_bytes;
    total_bytes = usable + page_bytes;
  }
  ~StackPool() {
    SIMRUN_ASSERT(outstanding == 0, "stack pool destroyed while fibers still own stacks");
    for (void* base : cached) unmap(base);
  }

  void unmap(void* base) {
    const auto registered = valgrind_ids.find(base);
    if (registered != valgrind_ids.end()) {
      SIMRUN_STACK_DEREGISTER(registered->second);
      valgrind_ids.erase(registered);
    }
    ::munmap(base, total_bytes);
  }

  boost::context::stack_context allocate() {
    void* base = nullptr;
    if (!cached.empty()) {
      base = cached.back();
      cached.pop_back();
    } else {
      base =
          ::mmap(nullptr, total_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      SIMRUN_ASSERT(base != MAP_FAILED, "mmap of a fiber stack failed");
      SIMRUN_ASSERT(::mprotect(base, page_bytes, PROT_NONE) == 0, "guard page mprotect failed");
      char* const low = static_cast<char*>(base) + page_bytes;
      valgrind_ids[base] = SIMRUN_STACK_REGISTER(low, static_cast<char*>(base) + total_bytes);
    }
    ++outstanding;
    boost::context::stack_context context;
    context.size = total_bytes;
    context.sp = static_cast<char*>(base) + total_bytes;  // stacks grow down
    return context;
  }

  void deallocate(boost::context::stack_context& context) noexcept {
    void* base = static_cast<char*>(context.sp) - context.size;
    --outstanding;
    if (cached.size() < max_cached) {
      cached.push_back(base);
    } else {
      unmap(base);
    }
  }
};

namespace {
// The StackAllocator concept Boost.Context expects, forwarding to the pool.
struct PooledStackAllocator {
  Scheduler::StackPool* pool;
  boost::context::stack_context allocate() { return pool->allocate(); }
  void deallocate(boost::context::stack_context& context) noexcept { pool->deallocate(context); }
};
}  // namespace

struct Scheduler::Fiber {
  boost::context::fiber context;  // the suspended fiber; empty while it runs
  boost::context::fiber caller;   // the scheduler side; set while it runs
  std::function<void()> body;     // until first run
  std::string name;
  ProcessId process = 0;
  std::uint32_t index = 0;
  // Identifies the fiber's current wait. Every wake-up event carries the
  // value it was issued for; incrementing it invalidates all of them.
  std::uint32_t sequence = 0;
  std::uint32_t queue = kNoQueue;
  std::uint32_t wait_prev = kNoFiber;  // neighbours in `queue`'s list
  std::uint32_t wait_next = kNoFiber;
  TimerId timer;
  bool notified = false;
  bool alive = false;
  bool dying = false;
};

Scheduler::Scheduler(EventLoop& loop, SchedulerConfig config)
    : loop_(loop),
      config_(config),
      stacks_(std::make_unique<StackPool>(config.stack_bytes, config.pooled_stacks_max)) {
  SIMRUN_ASSERT(config.stack_bytes >= 16 * 1024, "fiber stacks below 16 KiB are too small");
  SIMRUN_ASSERT(config.max_fibers_per_process > 0, "a process needs at least one fiber");
}

Scheduler::~Scheduler() {
  kill_all();
  SIMRUN_ASSERT(live_fibers_ == 0, "fibers survived kill_all");
}

void Scheduler::add_process(ProcessId process, const LocalClock* clock) {
  SIMRUN_ASSERT(process == processes_.size(), "processes are registered densely from 0");
  SIMRUN_ASSERT(clock != nullptr, "a process needs a clock");
  processes_.emplace_back();
  processes_.back().clock = clock;
}

void Scheduler::spawn(ProcessId process, std::string name, std::function<void()> body) {
  SIMRUN_ASSERT(process < processes_.size(), "spawn into an unknown process");
  SIMRUN_ASSERT(body != nullptr, "a fiber needs a body");
  ProcessFibers& owner = processes_[process];
  SIMRUN_ASSERT(!owner.dying, "cannot spawn into a process that is being crashed");
  SIMRUN_ASSERT(owner.fibers.size() < config_.max_fibers_per_process,
                "too many fibers in one process (WorldConfig::max_fibers_per_process)");
  std::uint32_t index;
  if (!free_fibers_.empty()) {
    index = free_fibers_.back();
    free_fibers_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(fibers_.size());
    fibers_.push_back(std::make_unique<Fiber>());
    fibers_.back()->index = index;
  }
  Fiber& fiber = *fibers_[index];
  SIMRUN_ASSERT(!fiber.alive && !fiber.context, "reused fiber slot still in use");
  fiber.body = std::move(body);
  fiber.name = std::move(name);
  fiber.process = process;
  fiber.queue = kNoQueue;
  fiber.wait_prev = kNoFiber;
  fiber.wait_next = kNoFiber;
  fiber.notified = false;
  fiber.dying = false;
  fiber.alive = true;
  fiber.context = boost::context::fiber(
      std::allocator_arg, PooledStackAllocator{stacks_.get()},
      [this, index](boost::context::fiber&& caller) {
        Fiber* self = fibers_[index].get();
        // Killed before it ever ran: nothing to unwind. Boost's ucontext
        // fibers (the sanitizer build) enter the function to destroy a fiber
        // that never started; fcontext ones never get here for it.
        if (self->dying) return std::move(caller);
        self->caller = std::move(caller);
        {
          std::function<void()> body_on_stack = std::move(self->body);
          self->body = nullptr;
          try {
            body_on_stack();
          } catch (const boost::context::detail::forced_unwind&) {
            throw;  // a crash unwinding this fiber: Boost catches it at the fiber's root
          } catch (const std::exception& error) {
            SIMRUN_ASSERT(false, error.what());
          } catch (...) {
            SIMRUN_ASSERT(false, "a fiber body threw a non-std exception");
          }
        }
        return std::move(self->caller);
      });
  owner.fibers.push_back(index);
  ++live_fibers_;
  schedule_wake(fiber, loop_.now());
}

ProcessId Scheduler::current_process() const {
  SIMRUN_ASSERT(current_ != nullptr, "not inside a fiber");
  return current_->process;
}

const std::string& Scheduler::current_fiber_name() const {
  SIMRUN_ASSERT(current_ != nullptr, "not inside a fiber");
  return current_->name;
}

Scheduler::Fiber& Scheduler::current_checked(const char* operation) {
  SIMRUN_ASSERT(current_ != nullptr, operation);
  SIMRUN_ASSERT(!current_->dying, "a fiber may not block while a crash unwinds it");
  return *current_;
}

void Scheduler::schedule_wake(Fiber& fiber, time_ns at) {
  fiber.timer =
      loop_.schedule_action_at(at, &Scheduler::wake_action, this,
                               (std::uint64_t{fiber.index} << 32) | std::uint64_t{fiber.sequence});
}

void Scheduler::schedule_wake_event(std::uint32_t fiber_index, std::uint32_t sequence, time_ns at) {
  loop_.schedule_action_at(at, &Scheduler::wake_action, this,
                           (std::uint64_t{fiber_index} << 32) | std::uint64_t{sequence});
}

// A wake-up event is an Action, not a std::function: the fiber and the wait
// it was issued for travel in one word.
void Scheduler::wake_action(void* scheduler, std::uint64_t fiber_and_sequence) {
  static_cast<Scheduler*>(scheduler)->on_wake(static_cast<std::uint32_t>(fiber_and_sequence >> 32),
                                              static_cast<std::uint32_t>(fiber_and_sequence));
}

void Scheduler::on_wake(std::uint32_t fiber_index, std::uint32_t sequence) {
  Fiber& fiber = *fibers_[fiber_index];
  if (!fiber.alive || fiber.sequence != sequence) return;  // stale: woken, killed or reused
  ProcessFibers& owner = processes_[fiber.process];
  if (owner.paused) {
    owner.deferred.push_back(Waiter{fiber_index, sequence});
    return;
  }
  if (fiber.queue != kNoQueue) {  // the timeout of a wait won
    remove_waiter(fiber.queue, fiber);
    fiber.notified = false;
  }
  fiber.timer = TimerId{};
  ++fiber.sequence;
  run(fiber);
}

void Scheduler::run(Fiber& fiber) {
  SIMRUN_ASSERT(current_ == nullptr, "a fiber cannot resume another fiber directly");
  SIMRUN_ASSERT(fiber.context, "resuming a fiber that is not suspended");
  current_ = &fiber;
  ++wakeups_;
  fiber.context = std::move(fiber.context).resume();
  current_ = nullptr;
  if (!fiber.context) release(fiber);  // the body returned
}

void Scheduler::suspend() {
  Fiber* self = current_;
  SIMRUN_ASSERT(self != nullptr && self->caller, "suspend outside a running fiber");
  self->caller = std::move(self->caller).resume();
}

void Scheduler::release(Fiber& fiber) {
  SIMRUN_ASSERT(!fiber.context, "releasing a fiber that still has a context");
  ProcessFibers& owner = processes_[fiber.process];
  for (std::size_t i = 0; i < owner.fibers.size(); ++i) {
    if (owner.fibers[i] == fiber.index) {
      owner.fibers.erase(owner.fibers.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  fiber.alive = false;
  fiber.dying = false;
  ++fiber.sequence;
  fiber.body = nullptr;
  fiber.caller = boost::context::fiber{};
  fiber.queue = kNoQueue;
  fiber.timer = TimerId{};
  free_fibers_.push_back(fiber.index);
  --live_fibers_;
}

void Scheduler::sleep_until(time_ns global_deadline) {
  Fiber& self = current_checked("sleep outside a fiber");
  SIMRUN_ASSERT(global_deadline >= loop_.now(), "sleeping until the past");
  schedule_wake(self, global_deadline);
  suspend();
}

void Scheduler::sleep(ProcessId process, duration_ns local_duration) {
  SIMRUN_ASSERT(current_ != nullptr && current_->process == process,
                "sleep must be called from a fiber of this process");
  Fiber& self = current_checked("sleep outside a fiber");
  SIMRUN_ASSERT(local_duration >= 0, "negative sleep");
  const duration_ns global = processes_[process].clock->global_duration(local_duration);
  SIMRUN_ASSERT(global <= kTimeMax - loop_.now(), "sleep overflows the timeline");
  schedule_wake(self, loop_.now() + global);
  suspend();
}

void Scheduler::yield() {
  Fiber& self = current_checked("yield outside a fiber");
  schedule_wake(self, loop_.now());
  suspend();
}

bool Scheduler::wait(std::uint64_t queue, duration_ns local_timeout) {
  Fiber& self = current_checked("wait outside a fiber");
  SIMRUN_ASSERT(queue < queues_.size() && queues_[queue].open, "wait on a closed queue");
  append_waiter(queues_[queue], self);
  self.queue = static_cast<std::uint32_t>(queue);
  self.notified = false;
  if (local_timeout >= 0) {
    const duration_ns global = processes_[self.process].clock->global_duration(local_timeout);
    SIMRUN_ASSERT(global <= kTimeMax - loop_.now(), "timeout overflows the timeline");
    schedule_wake(self, loop_.now() + global);
  } else {
    self.timer = TimerId{};
  }
  suspend();
  return self.notified;
}

std::uint64_t Scheduler::open_queue() {
  std::uint32_t index;
  if (!free_queues_.empty()) {
    index = free_queues_.back();
    free_queues_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(queues_.size());
    queues_.emplace_back();
  }
  queues_[index].open = true;
  return index;
}

void Scheduler::close_queue(std::uint64_t queue) {
  SIMRUN_ASSERT(queue < queues_.size() && queues_[queue].open, "closing an unknown queue");
  SIMRUN_ASSERT(queues_[queue].count == 0, "a wait queue was destroyed while fibers wait on it");
  queues_[queue].open = false;
  free_queues_.push_back(static_cast<std::uint32_t>(queue));
}

void Scheduler::notify_one(std::uint64_t queue) {
  SIMRUN_ASSERT(queue < queues_.size() && queues_[queue].open, "notify on a closed queue");
  const std::uint32_t head = queues_[queue].head;
  if (head == kNoFiber) return;
  Fiber& fiber = *fibers_[head];
  SIMRUN_ASSERT(fiber.alive && !fiber.dying && fiber.queue == queue,
                "wait queue holds a stale waiter");
  remove_waiter(queue, fiber);
  fiber.notified = true;
  loop_.cancel(fiber.timer);
  // The wake-up is an event like any other: the notifier keeps running and
  // the waiter runs after everything already due at this instant.
  schedule_wake(fiber, loop_.now());
}

void Scheduler::notify_all(std::uint64_t queue) {
  SIMRUN_ASSERT(queue < queues_.size() && queues_[queue].open, "notify on a closed queue");
  const std::size_t count = queues_[queue].count;
  for (std::size_t i = 0; i < count; ++i) notify_one(queue);
}

std::size_t Scheduler::waiters(std::uint64_t queue) const {
  SIMRUN_ASSERT(queue < queues_.size() && queues_[queue].open, "unknown queue");
  return queues_[queue].count;
}

bool Scheduler::waiter_runnable(std::uint64_t queue) const {
  SIMRUN_ASSERT(queue < queues_.size() && queues_[queue].open, "unknown queue");
  const std::uint32_t head = queues_[queue].head;
  if (head == kNoFiber) return false;
  const Fiber& fiber = *fibers_[head];
  const ProcessFibers& owner = processes_[fiber.process];
  return !owner.paused && !owner.dying && !fiber.dying;
}

void Scheduler::append_waiter(Queue& queue, Fiber& fiber) {
  SIMRUN_ASSERT(
      fiber.queue == kNoQueue && fiber.wait_prev == kNoFiber && fiber.wait_next == kNoFiber,
      "a fiber waits on two queues");
  SIMRUN_ASSERT(queue.count < UINT32_MAX, "too many waiters");
  fiber.wait_prev = queue.tail;
  if (queue.tail == kNoFiber) {
    queue.head = fiber.index;
  } else {
    fibers_[queue.tail]->wait_next = fiber.index;
  }
  queue.tail = fiber.index;
  ++queue.count;
}

// Unlinks `fiber` from the queue it waits on and clears its queue.
void Scheduler::remove_waiter(std::uint64_t queue_index, Fiber& fiber) {
  Queue& queue = queues_[queue_index];
  SIMRUN_ASSERT(fiber.queue == queue_index && queue.count > 0,
                "fiber not found in the queue it waits on");
  if (fiber.wait_prev == kNoFiber) {
    SIMRUN_ASSERT(queue.head == fiber.index, "wait list head is corrupt");
    queue.head = fiber.wait_next;
  } else {
    fibers_[fiber.wait_prev]->wait_next = fiber.wait_next;
  }
  if (fiber.wait_next == kNoFiber) {
    SIMRUN_ASSERT(queue.tail == fiber.index, "wait list tail is corrupt");
    queue.tail = fiber.wait_prev;
  } else {
    fibers_[fiber.wait_next]->wait_prev = fiber.wait_prev;
  }
  fiber.wait_prev = kNoFiber;
  fiber.wait_next = kNoFiber;
  fiber.queue = kNoQueue;
  --queue.count;
}

void Scheduler::detach(Fiber& fiber) {
  fiber.dying = true;
  ++fiber.sequence;
  if (fiber.queue != kNoQueue) remove_waiter(fiber.queue, fiber);
  loop_.cancel(fiber.timer);
  fiber.timer = TimerId{};
}

void Scheduler::kill_fibers(ProcessId process) {
  SIMRUN_ASSERT(process < processes_.size(), "unknown process");
  SIMRUN_ASSERT(current_ == nullptr || current_->process != process,
                "a process cannot crash itself from one of its own fibers");
  ProcessFibers& owner = processes_[process];
  owner.dying = true;
  owner.paused = false;
  owner.deferred.clear();
  const std::vector<std::uint32_t> doomed = owner.fibers;
  // First make every fiber unreachable, so destructors that run during the
  // unwinding (and notify, say) cannot wake a sibling that is about to die.
  for (std::uint32_t index : doomed) detach(*fibers_[index]);
  // Children before parents: reverse spawn order.
  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) {
    Fiber& fiber = *fibers_[*it];
    Fiber* const interrupted = current_;
    current_ = &fiber;
    {
      // Destroying a suspended fiber throws forced_unwind out of its
      // blocking call and runs every destructor on its stack; an unstarted
      // fiber just releases its stack.
      boost::context::fiber victim = std::move(fiber.context);
    }
    current_ = interrupted;
    ++fibers_unwound_;
    release(fiber);
  }
  SIMRUN_ASSERT(owner.fibers.empty(), "a fiber was spawned while its process was crashing");
  owner.dying = false;
}

void Scheduler::kill_all() {
  for (ProcessId process = 0; process < processes_.size(); ++process) kill_fibers(process);
}

void Scheduler::pause(ProcessId process) {
  SIMRUN_ASSERT(process < processes_.size(), "unknown process");
  processes_[process].paused = true;
}

void Scheduler::resume(ProcessId process) {
  SIMRUN_ASSERT(process < processes_.size(), "unknown process");
  ProcessFibers& owner = processes_[process];
  owner.paused = false;
  const std::vector<Waiter> deferred = std::move(owner.deferred);
  owner.deferred.clear();
  for (const Waiter& waiter : deferred) {
    schedule_wake_event(waiter.fiber, waiter.sequence, loop_.now());
  }
}

bool Scheduler::paused(ProcessId process) const {
  SIMRUN_ASSERT(process < processes_.size(), "unknown process");
  return processes_[process].paused;
}

std::size_t Scheduler::fiber_count(ProcessId process) const {
  SIMRUN_ASSERT(process < processes_.size(), "unknown process");
  return processes_[process].fibers.size();
}

}  // namespace simrun::sim
