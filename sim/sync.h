#pragma once
// Blocking primitives for fibers. They "block" only the calling fiber, on
// simulated time; exactly one fiber runs at a time, so none of this needs
// locks. Wake-ups are delivered in FIFO order of waiting, which keeps runs
// deterministic. Usable only from a fiber of the World that owns them.

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "sim/assert.h"
#include "sim/time.h"

namespace simrun::sim {

class Scheduler;

// A queue of waiting fibers (a condition variable without a mutex).
class WaitQueue {
 public:
  explicit WaitQueue(Scheduler& scheduler);
  ~WaitQueue();
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // Blocks until notified (true) or until `timeout` of the calling
  // process's local clock passed (false). timeout < 0 waits forever.
  bool wait_for(duration_ns timeout);
  void wait() { (void)wait_for(-1); }
  void notify_one();
  void notify_all();
  std::size_t waiters() const;
  // A fiber waits and would run at this instant if notified (its process
  // is not paused).
  bool has_runnable_waiter() const;

 private:
  Scheduler& scheduler_;
  std::uint64_t queue_id_;
};

// A bounded FIFO between fibers (or from the scheduler context into fibers,
// as the network does). A full mailbox refuses pushes: callers decide
// whether that is a drop (network) or back-pressure (they wait).
template <typename T>
class Mailbox {
 public:
  Mailbox(Scheduler& scheduler, std::size_t capacity)
      : capacity_(capacity), not_empty_(scheduler), not_full_(scheduler) {
    SIMRUN_ASSERT(capacity > 0, "a mailbox needs room for one item");
  }

  // Takes an item at push time in place of the fiber blocked in receive:
  // asked only when the mailbox is empty and a fiber waits for an item that
  // would run at this instant, so the item is the very next one that fiber
  // would receive. The consumer must do exactly what that fiber would do
  // with it, and nothing that needs a fiber (blocking); it returns true if
  // it took the item (and may have moved from it), false to leave it to be
  // queued as usual. It saves a wake-up event and two fiber switches per
  // item (issue 12). nullptr removes it.
  using DirectConsumer = bool (*)(void* context, T& item);
  void set_direct_consumer(DirectConsumer consumer, void* context) {
    direct_consumer_ = consumer;
    direct_context_ = context;
  }

  bool try_push(T item) {
    if (items_.size() >= capacity_) return false;
    if (direct_consumer_ != nullptr && items_.empty() && not_empty_.has_runnable_waiter() &&
        direct_consumer_(direct_context_, item)) {
      return true;
    }
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  // Waits for room; false on timeout.
  bool push_for(T item, duration_ns timeout) {
    while (items_.size() >= capacity_) {
      if (!not_full_.wait_for(timeout)) return false;
    }
    return try_push(std::move(item));
  }
  std::optional<T> try_receive() {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  // Waits for an item; nullopt on timeout. timeout < 0 waits forever.
  std::optional<T> receive_for(duration_ns timeout) {
    while (items_.empty()) {
      if (!not_empty_.wait_for(timeout)) return std::nullopt;
    }
    return try_receive();
  }
  T receive() { return *receive_for(-1); }
  void clear() { items_.clear(); }

  std::size_t size() const { return items_.size(); }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return items_.empty(); }

 private:
  std::size_t capacity_;
  std::deque<T> items_;
  WaitQueue not_empty_;
  WaitQueue not_full_;
  DirectConsumer direct_consumer_ = nullptr;
  void* direct_context_ = nullptr;
};

}  // namespace simrun::sim
