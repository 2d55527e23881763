#pragma once
// The per-process environment: the only way node and client code reaches
// time, sleep, randomness, the network and the disk (style principle 3). A
// process's code receives its Env& in its main function and passes it down;
// there are no globals.
//
// Blocking calls (sleep, Disk::fsync, Mailbox::receive_for, ...) must be
// made from a fiber of this process. When the process crashes, its fibers
// are unwound by an exception thrown out of the blocking call they are in:
// node code must not swallow it (never `catch (...)` without rethrowing).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "sim/disk.h"
#include "sim/network.h"
#include "sim/random.h"
#include "sim/sync.h"
#include "sim/time.h"
#include "sim/trace.h"

namespace simrun::sim {

class World;

class Env {
 public:
  Env(World& world, ProcessId id);
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  ProcessId id() const { return id_; }
  const std::string& name() const;
  // How many times this process has been (re)started; 1 after the first boot.
  std::uint64_t incarnation() const;

  // The process's local clock: global time plus offset, drift and jumps.
  time_ns now() const;
  // Blocks the calling fiber for `duration` of local time.
  void sleep(duration_ns duration);
  // Lets every other fiber runnable at this instant run first.
  void yield();
  // Starts a fiber of this process; it runs after the caller blocks or yields.
  void spawn(std::string fiber_name, std::function<void()> body);

  // This process's own random stream ("process/<name>"), e.g. for timers.
  Rng& rng();
  // Fire-and-forget datagram to another process.
  void send(ProcessId to, Bytes payload);
  // Connections (sim/connection.h), as a gRPC channel uses TCP: connect
  // opens one to `to` unless one is open; send_stream sends in order and
  // reliably on it (opening one with `connect_timeout`, or the default, when
  // none is open); close_connection closes it after its data. A failure
  // arrives in the inbox as an Envelope with `reset` set, from `to`.
  void connect(ProcessId to, duration_ns connect_timeout);
  void send_stream(ProcessId to, Bytes payload, duration_ns connect_timeout = 0);
  // The answer to `request`, on the connection it arrived on (a datagram
  // request is answered with a datagram). If that connection is gone (the
  // asker crashed, or it failed) the answer is dropped, as a write on a
  // reset socket fails: a restarted asker on a new connection never gets
  // answers to its previous incarnation's requests. Connections::reply.
  void reply(const Envelope& request, Bytes payload);
  void close_connection(ProcessId to);
  bool connected(ProcessId to) const;
  // Messages delivered to this process, bounded; full means dropped.
  Mailbox<Envelope>& inbox();
  Disk& disk();
  Trace& trace();
  Scheduler& scheduler();
  World& world() { return world_; }

 private:
  World& world_;
  ProcessId id_;
};

}  // namespace simrun::sim
