#include "sim/event_loop.h"

#include <utility>

#include "sim/assert.h"

namespace simrun::sim {

// A callback's home while it is pending. Slots are reused through
// free_slots_, so scheduling allocates nothing once the loop is warm
// (std::function keeps small captures inline). The generation changes every
// time a slot is released, which makes old TimerIds and heap entries stale.
struct EventLoop::Slot {
  Callback callback;
  std::uint32_t generation = 0;
  bool pending = false;
};

namespace {
// (time, sequence): sequences are unique, so this is a strict total order
// and the run order never depends on heap internals.
// Written with bitwise operators so the compiler can avoid branches: which
// child is smaller is unpredictable, and mispredictions dominate the heap.
inline bool earlier(time_ns a_at, std::uint64_t a_seq, time_ns b_at, std::uint64_t b_seq) {
  return (a_at < b_at) | ((a_at == b_at) & (a_seq < b_seq));
}
}  // namespace

EventLoop::EventLoop() {
  heap_.reserve(1024);
  slots_.reserve(1024);
  free_slots_.reserve(1024);
}

EventLoop::~EventLoop() = default;

TimerId EventLoop::schedule_at(time_ns at, Callback callback) {
  SIMRUN_ASSERT(at >= now_ns_, "cannot schedule an event in the past");
  SIMRUN_ASSERT(callback != nullptr, "an event needs a callback");
  std::uint32_t slot_index;
  if (!free_slots_.empty()) {
    slot_index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    SIMRUN_ASSERT(slots_.size() < UINT32_MAX - 1, "too many pending events");
    slot_index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[slot_index];
  SIMRUN_ASSERT(!slot.pending, "free slot still pending");
  slot.callback = std::move(callback);
  slot.pending = true;
  ++live_;

  // Sift up.
  const HeapItem item{at, next_sequence_++, slot_index, slot.generation};
  std::size_t hole = heap_.size();
  heap_.push_back(item);
  while (hole > 0) {
    const std::size_t parent = (hole - 1) / 2;
    if (!earlier(item.at, item.sequence, heap_[parent].at, heap_[parent].sequence)) break;
    heap_[hole] = heap_[parent];
    hole = parent;
  }
  heap_[hole] = item;
  return TimerId{slot_index, slot.generation};
}

TimerId EventLoop::schedule_after(duration_ns delay, Callback callback) {
  SIMRUN_ASSERT(delay >= 0, "negative delay");
  SIMRUN_ASSERT(delay <= kTimeMax - now_ns_, "delay overflows the timeline");
  return schedule_at(now_ns_ + delay, std::move(callback));
}

bool EventLoop::cancel(TimerId id) {
  if (!id.valid() || id.slot >= slots_.size()) return false;
  Slot& slot = slots_[id.slot];
  if (!slot.pending || slot.generation != id.generation) return false;
  slot.pending = false;
  ++slot.generation;
  slot.callback = nullptr;
  free_slots_.push_back(id.slot);
  --live_;
  // The heap entry stays behind and is skipped when it surfaces. Rebuild
  // when stale entries dominate, so cancel-heavy code keeps the heap bounded
  // by twice the live events.
  if (heap_.size() > 1024 && heap_.size() > 2 * live_) {
    std::vector<HeapItem> kept;
    kept.reserve(live_);
    for (const HeapItem& item : heap_) {
      if (slots_[item.slot].generation == item.generation) kept.push_back(item);
    }
    heap_.clear();
    for (const HeapItem& item : kept) {
      // Re-insert through sift-up; order stays (time, sequence).
      std::size_t hole = heap_.size();
      heap_.push_back(item);
      while (hole > 0) {
        const std::size_t parent = (hole - 1) / 2;
        if (!earlier(item.at, item.sequence, heap_[parent].at, heap_[parent].sequence)) break;
        heap_[hole] = heap_[parent];
        hole = parent;
      }
      heap_[hole] = item;
    }
  }
  return true;
}

void EventLoop::pop_top() {
  // Floyd's bottom-up deletion: walk the hole from the root to a leaf along
  // the smaller children (one comparison per level), then drop the last
  // element into it and sift that up, which rarely moves (it came from the
  // bottom).
  const HeapItem last = heap_.back();
  heap_.pop_back();
  const std::size_t size = heap_.size();
  if (size == 0) return;
  std::size_t hole = 0;
  while (true) {
    std::size_t child = 2 * hole + 1;
    if (child >= size) break;
    if (child + 1 < size) {
      child += static_cast<std::size_t>(earlier(heap_[child + 1].at, heap_[child + 1].sequence,
                                                heap_[child].at, heap_[child].sequence));
    }
    heap_[hole] = heap_[child];
    hole = child;
  }
  while (hole > 0) {
    const std::size_t parent = (hole - 1) / 2;
    if (!earlier(last.at, last.sequence, heap_[parent].at, heap_[parent].sequence)) break;
    heap_[hole] = heap_[parent];
    hole = parent;
  }
  heap_[hole] = last;
}

void EventLoop::stop() { stop_requested_ = true; }

std::size_t EventLoop::pending() const { return live_; }

RunResult EventLoop::run_until(time_ns end, std::uint64_t max_events) {
  SIMRUN_ASSERT(end >= now_ns_, "run_until cannot go back in time");
  stop_requested_ = false;
  RunResult result;
  std::uint64_t ran = 0;
  while (true) {
    // Discard cancelled entries that reached the top.
    while (!heap_.empty() && slots_[heap_.front().slot].generation != heap_.front().generation) {
      pop_top();
    }
    if (heap_.empty()) {
      if (end != kTimeMax) now_ns_ = end;
      result.reason = StopReason::idle;
      break;
    }
    const HeapItem top = heap_.front();
    if (top.at > end) {
      now_ns_ = end;
      result.reason = StopReason::end_time;
      break;
    }
    if (ran >= max_events) {
      result.reason = StopReason::event_budget;
      break;
    }
    pop_top();
    SIMRUN_ASSERT(top.at >= now_ns_, "event queue went back in time");
    now_ns_ = top.at;
    // Release the slot before running, so the callback may schedule (and
    // reuse the slot) and cancelling its own id is a harmless no-op.
    Slot& slot = slots_[top.slot];
    Callback callback = std::move(slot.callback);
    slot.callback = nullptr;
    slot.pending = false;
    ++slot.generation;
    free_slots_.push_back(top.slot);
    --live_;
    ++ran;
    ++events_executed_;
    callback();
    if (stop_requested_) {
      result.reason = StopReason::stopped;
      break;
    }
  }
  stop_requested_ = false;
  result.now = now_ns_;
  result.events = ran;
  return result;
}

}  // namespace simrun::sim
