#include "sim/env.h"

#include "sim/assert.h"
#include "sim/clock.h"
#include "sim/connection.h"
#include "sim/scheduler.h"
#include "sim/world.h"

namespace simrun::sim {

Env::Env(World& world, ProcessId id) : world_(world), id_(id) {}

const std::string& Env::name() const { return world_.name(id_); }

std::uint64_t Env::incarnation() const { return world_.incarnation(id_); }

time_ns Env::now() const { return world_.local_now(id_); }

void Env::sleep(duration_ns duration) { world_.scheduler().sleep(id_, duration); }

void Env::yield() {
  Scheduler& scheduler = world_.scheduler();
  SIMRUN_ASSERT(scheduler.in_fiber() && scheduler.current_process() == id_,
                "yield must be called from a fiber of this process");
  scheduler.yield();
}

void Env::spawn(std::string fiber_name, std::function<void()> body) {
  world_.spawn(id_, std::move(fiber_name), std::move(body));
}

Rng& Env::rng() { return world_.process_rng(id_); }

void Env::send(ProcessId to, Bytes payload) { world_.network().send(id_, to, std::move(payload)); }

void Env::connect(ProcessId to, duration_ns connect_timeout) {
  world_.network().connections().connect(id_, to, connect_timeout);
}

void Env::send_stream(ProcessId to, Bytes payload, duration_ns connect_timeout) {
  world_.network().connections().send(id_, to, std::move(payload), connect_timeout);
}

void Env::reply(const Envelope& request, Bytes payload) {
  SIMRUN_ASSERT(request.to == id_ && !request.reset, "a reply answers a request to this process");
  if (request.connection == 0) {
    send(request.from, std::move(payload));
    return;
  }
  (void)world_.network().connections().reply(id_, request.connection, std::move(payload));
}

void Env::close_connection(ProcessId to) { world_.network().connections().close(id_, to); }

bool Env::connected(ProcessId to) const {
  return world_.network().connections().established(id_, to);
}

Mailbox<Envelope>& Env::inbox() { return world_.inbox(id_); }

Disk& Env::disk() { return world_.disk(id_); }

Trace& Env::trace() { return world_.trace(); }

Scheduler& Env::scheduler() { return world_.scheduler(); }

}  // namespace simrun::sim
