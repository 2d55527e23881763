#include "sim/sync.h"

#include "sim/scheduler.h"

namespace simrun::sim {

WaitQueue::WaitQueue(Scheduler& scheduler)
    : scheduler_(scheduler), queue_id_(scheduler.open_queue()) {}

WaitQueue::~WaitQueue() { scheduler_.close_queue(queue_id_); }

bool WaitQueue::wait_for(duration_ns timeout) { return scheduler_.wait(queue_id_, timeout); }

void WaitQueue::notify_one() { scheduler_.notify_one(queue_id_); }

void WaitQueue::notify_all() { scheduler_.notify_all(queue_id_); }

std::size_t WaitQueue::waiters() const { return scheduler_.waiters(queue_id_); }

bool WaitQueue::has_runnable_waiter() const { return scheduler_.waiter_runnable(queue_id_); }

}  // namespace simrun::sim
