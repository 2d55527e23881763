#pragma once
// The event queue at the heart of the simulator (FoundationDB style): events
// ordered by (time, sequence number), so events due at the same instant run
// in the order they were scheduled; idle time is skipped by jumping to the
// next event; a run ends at an end time or after an event budget, never by
// wall time.
//
// Events due at the current instant (fiber wake-ups after a notify, yields,
// spawns) skip the heap: they go to a FIFO. That keeps the (time, sequence)
// order exactly: every heap entry due now was scheduled before time reached
// now, so its sequence is lower than any FIFO entry's, and the FIFO is
// drained before time moves on.

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/time.h"

namespace simrun::sim {

// Identifies a scheduled event so it can be cancelled. A stale id (event
// already run or cancelled) is harmless to cancel.
struct TimerId {
  std::uint32_t slot = UINT32_MAX;
  std::uint32_t generation = 0;
  bool valid() const { return slot != UINT32_MAX; }
};

enum class StopReason : std::uint8_t { end_time, event_budget, idle, stopped };

struct RunResult {
  StopReason reason = StopReason::idle;
  time_ns now = 0;
  std::uint64_t events = 0;  // events executed during this run call
};

class EventLoop {
 public:
  using Callback = std::function<void()>;
  // A callback without std::function: a plain function and two words of
  // context. The hot paths (fiber wake-ups, network deliveries) use it so
  // that scheduling never touches std::function's type-erased manager.
  using Action = void (*)(void* context, std::uint64_t argument);

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  time_ns now() const { return now_ns_; }
  // Where the current time lives, for readers that must follow it (Trace).
  const time_ns* now_ptr() const { return &now_ns_; }
  // `at` must not be in the past.
  TimerId schedule_at(time_ns at, Callback callback);
  TimerId schedule_after(duration_ns delay, Callback callback);
  // Same ordering and cancellation as schedule_at; `action` runs as
  // action(context, argument).
  TimerId schedule_action_at(time_ns at, Action action, void* context, std::uint64_t argument);
  // Returns true if the event was pending and is now cancelled.
  bool cancel(TimerId id);

  // Runs events while the next one is due at or before `end` and fewer than
  // `max_events` ran in this call. Time is left at `end` when the queue
  // drains or the next event lies beyond it.
  RunResult run_until(time_ns end, std::uint64_t max_events = UINT64_MAX);
  // Makes the current run_until return after the running event.
  void stop();

  std::size_t pending() const;
  std::uint64_t events_executed() const { return events_executed_; }

 private:
  struct Slot;
  // A heap entry is one 128-bit key: the due time (never negative) in the
  // high word, and in the low word the scheduling sequence number above the
  // slot index (kSlotBits). Sequences are unique, so comparing keys orders
  // exactly like (time, sequence), with one wide compare instead of two
  // branches, and the slot rides along for free.
  __extension__ typedef unsigned __int128 HeapItem;
  static constexpr unsigned kSlotBits = 24;
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  std::uint32_t claim_slot(time_ns at);
  void push(std::uint32_t slot_index, time_ns at);
  // Claims a slot for `callback` and queues it at `at`. Takes an rvalue
  // reference so the std::function is moved exactly once, into the slot.
  TimerId schedule_callback(time_ns at, Callback&& callback);
  void sift_up(std::size_t hole, HeapItem item);
  static time_ns due(HeapItem item) { return static_cast<time_ns>(item >> 64); }
  static std::uint64_t order(HeapItem item) { return static_cast<std::uint64_t>(item); }
  void pop_top();
  bool stale(HeapItem item) const;
  bool stale_order(std::uint64_t sequence_and_slot) const;
  bool now_queue_empty() const { return now_head_ == now_queue_.size(); }
  time_ns now_ns_ = 0;
  std::uint64_t next_sequence_ = 1;  // 0 marks a slot with no pending event
  std::uint64_t events_executed_ = 0;
  bool stop_requested_ = false;
  std::vector<HeapItem> heap_;
  // Events due at now_ns_, in scheduling order (their sequence-and-slot
  // words); entries before now_head_ have run or been skipped.
  std::vector<std::uint64_t> now_queue_;
  std::size_t now_head_ = 0;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_ = 0;
};

}  // namespace simrun::sim
