#include "broker/group.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include "broker/apply_dump.h"
#include "broker/events.h"
#include "broker/log_trace.h"
#include "broker/message_rate.h"
#include "broker/probe.h"
#include "broker/storage.h"
#include "broker/timing.h"
#include "sim/assert.h"
#include "sim/digest.h"
#include "sim/sync.h"
#include "sim/world.h"

namespace simrun::broker {

namespace {

// Bounds (style: a bound on every queue and loop).
constexpr std::size_t kApplyQueueCapacity = 256;  // Ready batches waiting for the apply fiber
// A burst replays at most this many missed ticks; beyond it (a stall of
// minutes, a clock jump) the rest are dropped. Enough to fire every
// election timeout many times over.
constexpr std::uint64_t kMaxBurstTicks = 1000;

const char* role_name(raft::Role role) { return raft::to_string(role); }

std::int64_t as_int(std::uint64_t value) { return static_cast<std::int64_t>(value); }

}  // namespace

struct PendingProposal {
  PendingProposal(sim::Scheduler& scheduler, raft::Term proposal_term, raft::Index proposal_index)
      : term(proposal_term), index(proposal_index), done(scheduler) {}
  raft::Term term;
  raft::Index index;
  std::optional<ProposeError> result;
  sim::WaitQueue done;
};

struct ApplyTask {
  std::optional<raft::Snapshot> snapshot;  // restored before the entries
  std::vector<raft::Entry> entries;
  bool stop = false;
};

struct RaftGroup::Impl : std::enable_shared_from_this<RaftGroup::Impl> {
  Impl(sim::Env& environment, raft::NodeId self_id, GroupSpec group_spec,
       const BrokerConfig& broker_config, StateMachine& machine, Transport& peer_transport)
      : env(environment),
        self(self_id),
        spec(std::move(group_spec)),
        config(broker_config),
        state_machine(machine),
        transport(peer_transport),
        storage(env.disk(), spec.name, config.persist_term_and_vote),
        rng(sim::Rng::stream(env.world().seed(), "raft/" + env.name() + "/" + spec.name + "/" +
                                                     std::to_string(env.incarnation()))),
        driver_wake(env.scheduler()),
        apply_queue(env.scheduler(), kApplyQueueCapacity),
        tick_ns(tick_interval_ns(config)),
        persist_wake(env.scheduler()) {}

  sim::Env& env;
  raft::NodeId self;
  GroupSpec spec;
  BrokerConfig config;
  StateMachine& state_machine;
  Transport& transport;
  GroupStorage storage;
  sim::Rng rng;
  std::optional<raft::Raft> raft;
  bool started = false;
  bool stopped = false;

  // Driver loop.
  std::deque<raft::Message> inbox;
  sim::WaitQueue driver_wake;
  sim::Mailbox<ApplyTask> apply_queue;
  sim::duration_ns tick_ns;
  sim::time_ns next_tick_at = 0;
  std::uint64_t current_burst = 0;
  // send_early_messages' vector, kept between calls for its capacity.
  std::vector<raft::Message> early_messages;

  // Pipelined persistence: at most one Ready is between ready() and
  // advance(). The driver hands it to the persist fiber (persist_pending),
  // which writes and fsyncs it and reports back (persist_done); meanwhile
  // the driver keeps ticking, stepping and sending early messages.
  std::optional<raft::Ready> outstanding;
  sim::time_ns outstanding_since = 0;
  bool persist_pending = false;
  bool persist_done = false;
  sim::WaitQueue persist_wake;

  // Apply path.
  raft::Index traced_commit = 0;        // commit index last traced (log_trace.h)
  raft::Index applied_through = 0;      // contiguous prefix applied
  std::set<raft::Index> applied_ahead;  // v2: applied past a gap
  std::uint64_t applies_in_flight = 0;  // v2: spawned, not finished
  std::uint64_t applied_since_snapshot = 0;
  std::uint64_t applied_bytes_since_snapshot = 0;
  // A snapshot taken on the apply fiber, stored and given to the core by
  // perform_compaction on the driver fiber.
  std::optional<GroupStorage::SnapshotFile> compaction;

  std::multimap<raft::Index, std::shared_ptr<PendingProposal>> pending;

  // Observation.
  raft::Role emitted_role = raft::Role::follower;
  raft::Term emitted_term = 0;
  raft::Role callback_role = raft::Role::follower;
  raft::Term callback_term = 0;
  raft::NodeId contact_leader = raft::kNoNode;
  raft::Term contact_term = 0;
  // Global simulated time of the last contact: heartbeat gaps are a
  // measurement, taken on the simulation's clock rather than this node's
  // (possibly drifted) one; nothing in the node's behaviour reads it.
  sim::time_ns last_contact_at = 0;
  std::vector<std::function<void(raft::Role, raft::Term)>> role_callbacks;
  GroupStats stats;
  MessageRate message_rate{env, spec.name, self};

  void start(const std::shared_ptr<Impl>& self_ptr);
  void run_driver();
  void run_driver_pipelined();
  void run_persist();
  void run_apply();
  void fire_due_tick();
  void step_inbox();
  void note_contact(const raft::Message& message);
  void handle_ready();
  void send_early_messages();
  void begin_ready();
  bool write_ready(const raft::Ready& ready);
  void complete_ready(raft::Ready& ready, sim::time_ns began);
  void ready_inline(raft::Ready& ready, const std::shared_ptr<Impl>& self_ptr);
  void send_blocking_all(const std::vector<raft::Message>& messages);
  void process_events(const std::vector<raft::Event>& events);
  void emit_term(raft::Term term);
  void emit_role(raft::Role role, raft::Term term, std::string_view reason);
  void fire_role_callbacks();
  void restore_snapshot(const raft::Snapshot& snapshot);
  void trace_load_report(const LoadReport& report, const raft::RestoredState& restored);
  void apply_entry(const raft::Entry& entry);
  void mark_applied(raft::Index index);
  void maybe_request_compaction();
  // Whether the compaction check runs once per applied batch (at its end)
  // rather than after every entry. v2_spawned_apply applies entry by entry
  // in fibers of their own, with no batch end to check at.
  bool compacts_at_batch_end() const {
    return config.snapshot_at_batch_end && config.ready_mode != ReadyMode::v2_spawned_apply;
  }
  void perform_compaction();
  void complete_pending(const raft::Entry& entry);
  void fail_pending_from(raft::Index index, ProposeError error);
  void fail_pending_through(raft::Index index, ProposeError error);
  void stop();
};

// ---------------------------------------------------------------- start/stop

void RaftGroup::Impl::start(const std::shared_ptr<Impl>& self_ptr) {
  SIMRUN_ASSERT(!started, "a RaftGroup starts once");
  started = true;
  LoadReport report;
  raft::RestoredState restored = storage.load(&report);
  trace_load_report(report, restored);
  if (restored.snapshot.meta.index > 0) {
    state_machine.restore(restored.snapshot.data);
    applied_through = restored.snapshot.meta.index;
  }
  const TickCounts ticks = tick_counts(config, spec.name);
  raft::Config raft_config;
  raft_config.id = self;
  raft_config.voters = spec.voters;
  raft_config.election_ticks = ticks.election_ticks;
  raft_config.heartbeat_ticks = ticks.heartbeat_ticks;
  raft_config.pre_vote = config.pre_vote;
  raft_config.check_quorum = config.check_quorum;
  raft_config.protocol_aware_recovery = config.protocol_aware_recovery;
  raft_config.max_inflight_messages = static_cast<std::size_t>(config.max_inflight_messages);
  raft_config.max_entries_per_message = static_cast<std::size_t>(config.max_entries_per_message);
  raft_config.random_below = [this](std::uint64_t bound) { return rng.below(bound); };
  raft_config.probe = [this](raft::Probe probe) { hit(env, probe); };
  // The core keeps a durable snapshot's metadata only; a follower that needs
  // the image gets it read from the snapshot file (issue 12).
  raft_config.snapshot_source = [this] { return storage.stored_snapshot(); };
  raft.emplace(std::move(raft_config), std::move(restored));
  emitted_term = callback_term = raft->term();
  emitted_role = callback_role = raft->role();
  traced_commit = raft->commit_index();
  trace_log_loaded(env.trace(), spec.name, self, *raft);

  // The first tick comes after a random fraction of a tick: real processes
  // never boot in the same nanosecond, and nodes whose tick timers share a
  // phase turn every equal draw of the randomized election timeout into a
  // split vote (both campaign within the same instant).
  next_tick_at = env.now() + tick_ns +
                 static_cast<sim::duration_ns>(rng.below(static_cast<std::uint64_t>(tick_ns)));
  env.spawn("raft/" + spec.name, [self_ptr] { self_ptr->run_driver(); });
  if (config.ready_mode == ReadyMode::pipelined) {
    env.spawn("persist/" + spec.name, [self_ptr] { self_ptr->run_persist(); });
    env.spawn("apply/" + spec.name, [self_ptr] { self_ptr->run_apply(); });
  }
}

// Storage damage is an operating condition the scenario must see (counted by
// kind, scenarios/README.md), not something to swallow.
void RaftGroup::Impl::trace_load_report(const LoadReport& report,
                                        const raft::RestoredState& restored) {
  for (const DamageKind kind : report.damage) {
    env.trace().record(events::kStorageDamage,
                       {{"group", spec.name},
                        {"node", as_int(self)},
                        {"damage", to_string(kind)},
                        {"lost_from", as_int(report.lost_from)},
                        {"lost_through", as_int(report.lost_through)},
                        {"repair_through", as_int(restored.repair_through)}});
  }
  if (report.torn_tail_bytes > 0) {
    env.trace().record(
        events::kStorageTornTail,
        {{"group", spec.name}, {"node", as_int(self)}, {"bytes", as_int(report.torn_tail_bytes)}});
  }
}

void RaftGroup::Impl::stop() {
  if (stopped) return;
  stopped = true;
  fail_pending_from(0, ProposeError::stopped);
  driver_wake.notify_all();
  persist_wake.notify_all();
  if (config.ready_mode == ReadyMode::pipelined && started) {
    ApplyTask task;
    task.stop = true;
    (void)apply_queue.try_push(std::move(task));
  }
}

// ---------------------------------------------------------------- driver loop

// Inline modes (legacy, blocking on purpose): each Ready is handled to the
// end, fsyncs and RPCs included, before the loop ticks or steps again.
void RaftGroup::Impl::run_driver() {
  if (config.ready_mode == ReadyMode::pipelined) {
    run_driver_pipelined();
    return;
  }
  while (!stopped) {
    fire_due_tick();
    step_inbox();
    if (raft->has_ready()) {
      handle_ready();
      perform_compaction();
      continue;  // handling may have taken time: ticks may be due again
    }
    if (!inbox.empty()) continue;
    const sim::duration_ns until_tick = next_tick_at - env.now();
    // Woken early by deliver()/propose() so a message is stepped when it
    // arrives, not at the next tick boundary.
    if (until_tick > 0) (void)driver_wake.wait_for(until_tick);
  }
}

// Pipelined (etcd style, raft.h persistence contract rules 2 and 5): the
// loop never waits for the disk. While the persist fiber writes and fsyncs
// the outstanding Ready, the loop keeps ticking and stepping, and after each
// tick/step sends what needs no durable state (a leader's heartbeats and
// appends, heartbeat responses, pre-votes), so a disk stall delays neither
// heartbeats nor the answers to them (field report, mechanisms 2 and 9).
void RaftGroup::Impl::run_driver_pipelined() {
  while (!stopped) {
    fire_due_tick();
    step_inbox();
    send_early_messages();
    if (persist_done) {
      SIMRUN_ASSERT(outstanding.has_value(), "persist_done without an outstanding Ready");
      persist_done = false;
      raft::Ready ready = std::move(*outstanding);
      outstanding.reset();
      complete_ready(ready, outstanding_since);
      continue;  // the apply queue may have held the loop: ticks may be due
    }
    if (!outstanding && raft->has_ready()) {
      begin_ready();
      continue;
    }
    if (!inbox.empty()) continue;
    const sim::duration_ns until_tick = next_tick_at - env.now();
    // Woken early by deliver(), propose() and the persist fiber.
    if (until_tick > 0) (void)driver_wake.wait_for(until_tick);
  }
}

void RaftGroup::Impl::send_early_messages() {
  // Taken out of the member while sending, so nothing reached from here can
  // refill the vector being walked.
  std::vector<raft::Message> early = std::move(early_messages);
  raft->take_early_messages(early);
  for (const raft::Message& message : early) {
    transport.send_async(spec.name, message);
    message_rate.count(message.to);
    ++stats.messages_sent;
    ++stats.early_messages_sent;
  }
  early.clear();
  early_messages = std::move(early);
}

// Takes a Ready, sends what may leave before it is durable, and either hands
// it to the persist fiber (it needs an fsync) or, when writing it cannot
// block (nothing to fsync: e.g. only the commit index moved), completes it
// at once.
void RaftGroup::Impl::begin_ready() {
  SIMRUN_ASSERT(!outstanding && !persist_pending && !persist_done,
                "one Ready at a time between ready() and advance()");
  const sim::time_ns began = env.now();
  raft::Ready ready = raft->ready();
  ++stats.readies;
  trace_ready_log(env.trace(), spec.name, self, ready, traced_commit);
  process_events(ready.events);
  for (const raft::Message& message : ready.messages) {
    if (!raft::needs_durable_state(message)) {
      transport.send_async(spec.name, message);
      message_rate.count(message.to);
      ++stats.messages_sent;
    }
  }
  const bool needs_fsync = ready.must_sync || ready.snapshot.has_value();
  if (needs_fsync) {
    outstanding = std::move(ready);
    outstanding_since = began;
    persist_pending = true;
    persist_wake.notify_one();
    return;
  }
  (void)write_ready(ready);
  complete_ready(ready, began);
}

// Writes a Ready's snapshot, entries and hard state (page cache only; no
// fsync). Returns whether anything was written.
bool RaftGroup::Impl::write_ready(const raft::Ready& ready) {
  bool wrote = false;
  if (ready.snapshot) {
    storage.install_snapshot(*ready.snapshot);
    ++stats.snapshots_installed;
    wrote = true;
  }
  if (!ready.entries.empty()) {
    storage.append(ready.entries);
    wrote = true;
  }
  if (ready.hard_state_changed) {
    storage.save_hard_state(ready.hard_state);
    wrote = true;
  }
  return wrote;
}

// The Ready is durable (as far as it needs to be): the messages that
// promise durable state leave, applying is handed to the apply fiber, and
// the core learns through advance() what is stable.
void RaftGroup::Impl::complete_ready(raft::Ready& ready, sim::time_ns began) {
  for (const raft::Message& message : ready.messages) {
    if (raft::needs_durable_state(message)) {
      transport.send_async(spec.name, message);
      message_rate.count(message.to);
      ++stats.messages_sent;
    }
  }
  if (ready.snapshot || !ready.committed_entries.empty()) {
    ApplyTask task;
    task.snapshot = ready.snapshot;
    task.entries = ready.committed_entries;  // copied: advance() reads them
    // Back-pressure: a full apply queue holds the driver (bounded memory).
    const bool pushed = apply_queue.push_for(std::move(task), -1);
    SIMRUN_ASSERT(pushed, "an unbounded wait cannot time out");
  }
  if (stopped) return;
  raft->advance(ready);
  stats.max_ready_ns = std::max(stats.max_ready_ns, env.now() - began);
  fire_role_callbacks();
  perform_compaction();  // between Readies: nothing is being persisted
}

// The persist fiber: one outstanding Ready at a time, written and fsynced
// here so that only this fiber waits for the disk.
void RaftGroup::Impl::run_persist() {
  while (!stopped) {
    if (!persist_pending) {
      (void)persist_wake.wait_for(-1);
      continue;
    }
    persist_pending = false;
    SIMRUN_ASSERT(outstanding.has_value(), "persist requested without a Ready");
    if (write_ready(*outstanding)) {
      storage.sync();
      ++stats.fsyncs;
    }
    if (stopped) return;
    persist_done = true;
    driver_wake.notify_one();
  }
}

void RaftGroup::Impl::fire_due_tick() {
  const sim::time_ns now = env.now();
  if (now < next_tick_at) {
    current_burst = 0;
    return;
  }
  const auto late_ticks = static_cast<std::uint64_t>((now - next_tick_at) / tick_ns);
  raft->tick();
  ++stats.ticks;
  if (config.missed_ticks == MissedTicks::burst) {
    // The legacy interval timer fires every missed tick back to back, each
    // one a full loop iteration (tick, step, Ready): one tick per call here.
    ++current_burst;
    stats.max_tick_burst = std::max(stats.max_tick_burst, current_burst);
    if (late_ticks >= kMaxBurstTicks) {
      const std::uint64_t dropped = late_ticks - (kMaxBurstTicks - 1);
      stats.ticks_skipped += dropped;
      next_tick_at += static_cast<sim::duration_ns>(dropped) * tick_ns;
    }
    next_tick_at += tick_ns;
  } else {
    // Skip: one tick for the whole stall, then back on the tick grid.
    stats.ticks_skipped += late_ticks;
    stats.max_tick_burst = std::max<std::uint64_t>(stats.max_tick_burst, 1);
    next_tick_at += static_cast<sim::duration_ns>(late_ticks + 1) * tick_ns;
  }
  SIMRUN_ASSERT(config.missed_ticks == MissedTicks::burst || next_tick_at > now,
                "skip mode leaves no tick due");
}

void RaftGroup::Impl::step_inbox() {
  // Only what is queued now: messages delivered while stepping wait for the
  // next iteration, so the loop is bounded.
  for (std::size_t n = inbox.size(); n > 0 && !inbox.empty(); --n) {
    raft::Message message = std::move(inbox.front());
    inbox.pop_front();
    if (message.type == raft::MessageType::vote_response) {
      // A vote answer that reached its candidate: what double_votes counts
      // (a grant decided but lost with a crash before its fsync never
      // bound anyone; an answer also proves the candidate's own vote went out).
      env.trace().record(events::kVoteReceived, {{"group", spec.name},
                                                 {"node", as_int(self)},
                                                 {"term", as_int(message.term)},
                                                 {"voter", as_int(message.from)},
                                                 {"granted", message.reject ? 0 : 1}});
    }
    raft->step(message);
    note_contact(message);
  }
}

void RaftGroup::Impl::note_contact(const raft::Message& message) {
  const bool from_leader_traffic = message.type == raft::MessageType::append ||
                                   message.type == raft::MessageType::heartbeat ||
                                   message.type == raft::MessageType::snapshot;
  if (!from_leader_traffic || raft->role() != raft::Role::follower ||
      raft->leader() != message.from || message.term != raft->term()) {
    return;
  }
  const sim::time_ns now = env.world().now();
  if (contact_leader == message.from && contact_term == message.term) {
    env.trace().record(events::kHeartbeatGap, {{"group", spec.name},
                                               {"node", as_int(self)},
                                               {"leader", as_int(message.from)},
                                               {"term", as_int(message.term)},
                                               {"gap_ns", now - last_contact_at},
                                               {"ended_by", "contact"}});
  }
  contact_leader = message.from;
  contact_term = message.term;
  last_contact_at = now;
}

void RaftGroup::Impl::handle_ready() {
  const sim::time_ns began = env.now();
  raft::Ready ready = raft->ready();
  ++stats.readies;
  trace_ready_log(env.trace(), spec.name, self, ready, traced_commit);
  process_events(ready.events);
  SIMRUN_ASSERT(config.ready_mode != ReadyMode::pipelined, "pipelined Readies use begin_ready()");
  ready_inline(ready, shared_from_this());
  raft->advance(ready);
  stats.max_ready_ns = std::max(stats.max_ready_ns, env.now() - began);
  fire_role_callbacks();
}

// Legacy (v1.3.67 / v2.0.0): everything in sequence inside the loop. One
// fsync per entry, then the hard state with its own fsync, then one
// blocking RPC per message, then applying (inline, or spawned in v2.0.0).
void RaftGroup::Impl::ready_inline(raft::Ready& ready, const std::shared_ptr<Impl>& self_ptr) {
  if (ready.snapshot) {
    storage.install_snapshot(*ready.snapshot);
    storage.sync();
    ++stats.fsyncs;
    ++stats.snapshots_installed;
  }
  for (const raft::Entry& entry : ready.entries) {
    storage.append({entry});
    storage.sync();
    ++stats.fsyncs;
  }
  if (ready.hard_state_changed) {
    storage.save_hard_state(ready.hard_state);
    storage.sync();
    ++stats.fsyncs;
  }
  send_blocking_all(ready.messages);
  if (ready.snapshot) restore_snapshot(*ready.snapshot);
  if (config.ready_mode == ReadyMode::inline_sequential) {
    for (const raft::Entry& entry : ready.committed_entries) apply_entry(entry);
    if (compacts_at_batch_end()) maybe_request_compaction();
    return;
  }
  SIMRUN_ASSERT(config.ready_mode == ReadyMode::v2_spawned_apply, "unknown ready mode");
  for (const raft::Entry& entry : ready.committed_entries) {
    ++applies_in_flight;
    env.spawn("apply/" + spec.name + "/" + std::to_string(entry.index), [self_ptr, entry] {
      self_ptr->apply_entry(entry);
      --self_ptr->applies_in_flight;
    });
  }
}

void RaftGroup::Impl::send_blocking_all(const std::vector<raft::Message>& messages) {
  for (const raft::Message& message : messages) {
    if (stopped) return;
    (void)transport.send_blocking(spec.name, message);
    message_rate.count(message.to);
    ++stats.messages_sent;
  }
}

// ---------------------------------------------------------------- observation

void RaftGroup::Impl::emit_term(raft::Term term) {
  if (term == emitted_term) return;
  emitted_term = term;
  env.trace().record(events::kTermChanged,
                     {{"group", spec.name}, {"node", as_int(self)}, {"term", as_int(term)}});
}

void RaftGroup::Impl::emit_role(raft::Role role, raft::Term term, std::string_view reason) {
  if (role == emitted_role) return;
  const bool lost_leadership = emitted_role == raft::Role::leader;
  emitted_role = role;
  // Leadership lost (stepped down by check-quorum, deposed by a higher
  // term): keyed by (term, index), every pending proposal fails at once
  // with leader_changed, as Kafka completes pending produce requests with
  // NOT_LEADER_OR_FOLLOWER, so clients retry at the new leader instead of
  // waiting out their timeout or a truncation at heal time. An entry may
  // still commit later: a retried batch is then duplicated, but no
  // acknowledged write is lost (a failure is never an acknowledgement).
  // The legacy index-only table keeps waiting (mechanism 6).
  if (lost_leadership && config.pending_keyed_by_term) {
    if (!pending.empty()) hit(env, Probe::pending_failed_on_step_down);
    fail_pending_from(0, ProposeError::leader_changed);
  }
  env.trace().record(events::kRoleChanged, {{"group", spec.name},
                                            {"node", as_int(self)},
                                            {"term", as_int(term)},
                                            {"role", role_name(role)},
                                            {"reason", reason}});
}

void RaftGroup::Impl::process_events(const std::vector<raft::Event>& ready_events) {
  for (const raft::Event& event : ready_events) {
    const std::string_view reason =
        event.reason.empty() ? std::string_view(raft::to_string(event.kind)) : event.reason;
    if (event.term > emitted_term) emit_term(event.term);
    switch (event.kind) {
      case raft::EventKind::pre_vote_started:
      case raft::EventKind::election_started: {
        const bool pre_vote = event.kind == raft::EventKind::pre_vote_started;
        if (contact_leader != raft::kNoNode) {
          // The silence that made this follower campaign is a heartbeat gap
          // too: the longest ones end this way.
          env.trace().record(events::kHeartbeatGap,
                             {{"group", spec.name},
                              {"node", as_int(self)},
                              {"leader", as_int(contact_leader)},
                              {"term", as_int(contact_term)},
                              {"gap_ns", env.world().now() - last_contact_at},
                              {"ended_by", "campaign"}});
          contact_leader = raft::kNoNode;
        }
        env.trace().record(events::kElectionStarted, {{"group", spec.name},
                                                      {"node", as_int(self)},
                                                      {"term", as_int(event.term)},
                                                      {"pre_vote", pre_vote ? 1 : 0}});
        emit_role(pre_vote ? raft::Role::pre_candidate : raft::Role::candidate, event.term, reason);
        break;
      }
      case raft::EventKind::vote_granted:
      case raft::EventKind::vote_rejected:
        env.trace().record(events::kVote,
                           {{"group", spec.name},
                            {"node", as_int(self)},
                            {"term", as_int(event.term)},
                            {"candidate", as_int(event.peer)},
                            {"granted", event.kind == raft::EventKind::vote_granted ? 1 : 0},
                            {"reason", reason}});
        break;
      case raft::EventKind::became_leader:
        emit_role(raft::Role::leader, event.term, reason);
        break;
      case raft::EventKind::became_follower:
      case raft::EventKind::stepped_down:
        emit_role(raft::Role::follower, event.term, reason);
        break;
      case raft::EventKind::log_truncated:
        env.trace().record(
            events::kLogTruncated,
            {{"group", spec.name}, {"node", as_int(self)}, {"index", as_int(event.index)}});
        // Keyed by (term, index), no proposal is pending here: proposals
        // are taken only while the core leads, a leader never truncates its
        // own log, and the core's step-down comes before any truncation in
        // its ordered events, where emit_role has failed every pending
        // proposal. The legacy index-only table keeps waiting and is
        // completed by whatever lands at that index (mechanism 6).
        SIMRUN_ASSERT(
            !config.pending_keyed_by_term || pending.lower_bound(event.index) == pending.end(),
            "a proposal keyed by term outlived its leader's step-down into a truncation");
        break;
      case raft::EventKind::storage_repaired:
        storage.clear_repair();  // durable with the next sync
        env.trace().record(events::kStorageRepaired, {{"group", spec.name},
                                                      {"node", as_int(self)},
                                                      {"leader", as_int(event.peer)},
                                                      {"index", as_int(event.index)}});
        break;
      case raft::EventKind::follower_log_regressed:
        env.trace().record(events::kFollowerRegressed, {{"group", spec.name},
                                                        {"node", as_int(self)},
                                                        {"follower", as_int(event.peer)},
                                                        {"index", as_int(event.index)}});
        break;
      case raft::EventKind::commit_advanced:
        env.trace().record(events::kCommitAdvanced, {{"group", spec.name},
                                                     {"node", as_int(self)},
                                                     {"term", as_int(event.term)},
                                                     {"index", as_int(event.index)}});
        break;
      case raft::EventKind::snapshot_installed:  // traced from the Ready (log_trace.h)
      case raft::EventKind::leader_transfer_started:
        break;
    }
  }
  // Whatever the events did not spell out (e.g. a term raised by a message)
  // is reconciled with the core's state.
  emit_term(raft->term());
  emit_role(raft->role(), raft->term(), "observed");
}

void RaftGroup::Impl::fire_role_callbacks() {
  if (raft->role() == callback_role && raft->term() == callback_term) return;
  callback_role = raft->role();
  callback_term = raft->term();
  // Copy: a callback may register another one.
  const auto callbacks = role_callbacks;
  for (const auto& callback : callbacks) callback(callback_role, callback_term);
}

// ---------------------------------------------------------------- apply path

void RaftGroup::Impl::run_apply() {
  while (!stopped) {
    ApplyTask task = apply_queue.receive();
    if (task.stop) return;
    if (task.snapshot) restore_snapshot(*task.snapshot);
    for (const raft::Entry& entry : task.entries) {
      if (stopped) return;
      apply_entry(entry);
    }
    if (compacts_at_batch_end()) maybe_request_compaction();
  }
}

void RaftGroup::Impl::restore_snapshot(const raft::Snapshot& snapshot) {
  hit(env, Probe::snapshot_restored_at_apply);
  state_machine.restore(snapshot.data);
  applied_through = std::max(applied_through, snapshot.meta.index);
  applied_ahead.erase(applied_ahead.begin(), applied_ahead.upper_bound(applied_through));
  applied_since_snapshot = 0;
  applied_bytes_since_snapshot = 0;
  // Whatever those indexes hold now came from the leader, not from us: the
  // outcome of a proposal there is unknown, reported as a leader change.
  fail_pending_through(snapshot.meta.index, ProposeError::leader_changed);
}

void RaftGroup::Impl::apply_entry(const raft::Entry& entry) {
  if (entry.data.empty() && config.skip_empty_entries_at_apply) {
    // The new leader's no-op (Raft 5.4.2): not a command.
  } else if (!state_machine.apply(entry)) {
    // Mechanism 4: the legacy path decoded the no-op and failed with
    // "unexpected end of file", once per election per replica.
    ++stats.deser_errors;
    const std::string dump = hex_ascii_dump(entry.data);
    env.trace().record(events::kDeserError, {{"group", spec.name},
                                             {"node", as_int(self)},
                                             {"index", as_int(entry.index)},
                                             {"term", as_int(entry.term)},
                                             {"error", entry.data.empty() ? "unexpected end of file"
                                                                          : "undecodable entry"},
                                             {"dump", dump}});
  }
  ++stats.applied;
  env.trace().record(events::kApplied,
                     {{"group", spec.name},
                      {"node", as_int(self)},
                      {"term", as_int(entry.term)},
                      {"index", as_int(entry.index)},
                      {"hash", static_cast<std::int64_t>(sim::digest_bytes(entry.data))}});
  complete_pending(entry);
  applied_bytes_since_snapshot += entry.data.size();
  mark_applied(entry.index);
  if (!compacts_at_batch_end()) maybe_request_compaction();
}

void RaftGroup::Impl::mark_applied(raft::Index index) {
  if (index <= applied_through) return;  // re-applied after a restore
  applied_ahead.insert(index);
  while (!applied_ahead.empty() && *applied_ahead.begin() == applied_through + 1) {
    applied_through = *applied_ahead.begin();
    applied_ahead.erase(applied_ahead.begin());
  }
  ++applied_since_snapshot;
}

void RaftGroup::Impl::maybe_request_compaction() {
  if (config.snapshot_every_entries <= 0) return;
  const bool by_entries =
      applied_since_snapshot >= static_cast<std::uint64_t>(config.snapshot_every_entries);
  const bool by_bytes =
      config.snapshot_every_bytes > 0 &&
      applied_bytes_since_snapshot >= static_cast<std::uint64_t>(config.snapshot_every_bytes);
  if (!by_entries && !by_bytes) return;
  // The image must be exactly the state after applied_through: not while
  // spawned applies (v2.0.0) may have run past a gap.
  if (!applied_ahead.empty() || applies_in_flight > 1) return;
  applied_since_snapshot = 0;
  applied_bytes_since_snapshot = 0;
  // Unknown only when the core has moved past applied_through (a snapshot
  // from the leader not applied yet): perform_compaction would drop it.
  const std::optional<raft::Term> term = raft->term_at(applied_through);
  if (!term) return;
  // The core's voters (sorted), as the snapshots it sent carried them when
  // it held the image itself. The image is written straight into the file.
  const raft::SnapshotMeta meta{applied_through, *term, raft->config().voters};
  compaction = GroupStorage::encode_snapshot_file(
      meta, [this](sim::Bytes& out) { state_machine.snapshot_into(out); });
}

// Runs on the driver fiber between Readies, where the core may be changed.
void RaftGroup::Impl::perform_compaction() {
  if (!compaction) return;
  GroupStorage::SnapshotFile request = std::move(*compaction);
  compaction.reset();
  const raft::Index index = request.meta.index;
  if (index < raft->first_index() || index > raft->applied_index()) return;
  // A committed entry's term never changes.
  SIMRUN_ASSERT(raft->term_at(index) == request.meta.term, "the snapshot's term moved");
  // Stored first: the core reads the image from storage when it sends it.
  storage.compact(std::move(request));  // made durable by the next fsync
  raft->compact(index);
  ++stats.snapshots_taken;
  hit(env, Probe::snapshot_taken);
}

// ---------------------------------------------------------------- proposals

void RaftGroup::Impl::complete_pending(const raft::Entry& entry) {
  auto [first, last] = pending.equal_range(entry.index);
  for (auto it = first; it != last; ++it) {
    PendingProposal& proposal = *it->second;
    // Mechanism 6: only (term, index) identifies an entry (Log Matching,
    // 5.3). Keyed by index alone, another leader's entry at that index
    // "completes" a proposal that was never committed.
    const bool ours = !config.pending_keyed_by_term || proposal.term == entry.term;
    proposal.result = ours ? ProposeError::none : ProposeError::leader_changed;
    proposal.done.notify_all();
  }
  pending.erase(first, last);
}

void RaftGroup::Impl::fail_pending_from(raft::Index index, ProposeError error) {
  for (auto it = pending.lower_bound(index); it != pending.end(); ++it) {
    it->second->result = error;
    it->second->done.notify_all();
  }
  pending.erase(pending.lower_bound(index), pending.end());
}

void RaftGroup::Impl::fail_pending_through(raft::Index index, ProposeError error) {
  const auto end = pending.upper_bound(index);
  for (auto it = pending.begin(); it != end; ++it) {
    it->second->result = error;
    it->second->done.notify_all();
  }
  pending.erase(pending.begin(), end);
}

// ---------------------------------------------------------------- RaftGroup

RaftGroup::RaftGroup(sim::Env& env, raft::NodeId self, GroupSpec spec, const BrokerConfig& config,
                     StateMachine& state_machine, Transport& transport)
    : impl_(std::make_shared<Impl>(env, self, std::move(spec), config, state_machine, transport)) {
  SIMRUN_ASSERT(self != raft::kNoNode, "node ids start at 1");
  SIMRUN_ASSERT(std::find(impl_->spec.voters.begin(), impl_->spec.voters.end(), self) !=
                    impl_->spec.voters.end(),
                "a group is hosted only by its voters");
}

RaftGroup::~RaftGroup() {
  // Fibers hold their own reference to Impl; they see `stopped` and leave.
  impl_->stop();
}

void RaftGroup::start() { impl_->start(impl_); }

void RaftGroup::deliver(raft::Message message) {
  Impl& impl = *impl_;
  if (impl.stopped || !impl.started) return;
  // broker.raft_inbox_messages: peer messages waiting for the driver loop.
  if (impl.inbox.size() >= static_cast<std::size_t>(impl.config.raft_inbox_messages)) {
    ++impl.stats.inbox_dropped;  // like a lost message: Raft retries
    hit(impl.env, Probe::inbox_full_drop);
    impl.env.trace().record(events::kInboxDrop,
                            {{"node", as_int(impl.self)}, {"group", impl.spec.name}});
    return;
  }
  impl.inbox.push_back(std::move(message));
  impl.driver_wake.notify_one();
}

ProposeOutcome RaftGroup::propose(raft::Bytes data) {
  Impl& impl = *impl_;
  ProposeOutcome outcome;
  if (impl.stopped || !impl.started) {
    outcome.error = ProposeError::stopped;
    return outcome;
  }
  const raft::ProposeResult result = impl.raft->propose(std::move(data));
  outcome.leader_hint = result.leader_hint;
  if (result.status != raft::ProposeResult::Status::accepted) {
    outcome.error = ProposeError::not_leader;
    return outcome;
  }
  outcome.term = result.term;
  outcome.index = result.index;
  impl.driver_wake.notify_one();
  return outcome;
}

ProposeOutcome RaftGroup::propose_and_wait(raft::Bytes data, sim::duration_ns timeout) {
  const std::shared_ptr<Impl> impl = impl_;  // outlives this object if need be
  ProposeOutcome outcome = propose(std::move(data));
  if (outcome.error != ProposeError::none) return outcome;
  auto proposal =
      std::make_shared<PendingProposal>(impl->env.scheduler(), outcome.term, outcome.index);
  impl->pending.emplace(outcome.index, proposal);
  const sim::time_ns deadline = impl->env.now() + timeout;
  while (!proposal->result) {
    const sim::duration_ns left = deadline - impl->env.now();
    if (left <= 0 || !proposal->done.wait_for(left)) break;
  }
  if (!proposal->result) {
    auto [first, last] = impl->pending.equal_range(outcome.index);
    for (auto it = first; it != last; ++it) {
      if (it->second == proposal) {
        impl->pending.erase(it);
        break;
      }
    }
    outcome.error = ProposeError::timeout;
  } else {
    outcome.error = *proposal->result;
  }
  outcome.leader_hint = impl->started && impl->raft ? impl->raft->leader() : raft::kNoNode;
  return outcome;
}

const std::string& RaftGroup::name() const { return impl_->spec.name; }
bool RaftGroup::is_leader() const {
  return impl_->raft && impl_->raft->role() == raft::Role::leader;
}
raft::NodeId RaftGroup::leader() const {
  return impl_->raft ? impl_->raft->leader() : raft::kNoNode;
}
raft::Term RaftGroup::term() const { return impl_->raft ? impl_->raft->term() : 0; }
const raft::Raft& RaftGroup::raft() const {
  SIMRUN_ASSERT(impl_->raft.has_value(), "raft() before start()");
  return *impl_->raft;
}
const GroupStats& RaftGroup::stats() const { return impl_->stats; }
raft::Index RaftGroup::applied_index() const { return impl_->applied_through; }

std::optional<raft::Index> RaftGroup::durable_snapshot_index() const {
  return impl_->storage.durable_snapshot_index();
}
bool RaftGroup::serves_reads() const {
  return is_leader() && impl_->raft->term_at(impl_->applied_through) == impl_->raft->term();
}
std::optional<raft::ProgressView> RaftGroup::transfer_candidate() const {
  if (!is_leader()) return std::nullopt;
  std::optional<raft::ProgressView> best;
  // progress() is in node-id order (a std::map in the core): a strictly
  // higher match replaces the best, so ties keep the lowest id.
  for (const raft::ProgressView& view : impl_->raft->progress()) {
    if (view.id == impl_->self) continue;
    if (!best || view.match > best->match) best = view;
  }
  return best;
}

void RaftGroup::transfer_leadership(raft::NodeId to) {
  Impl& impl = *impl_;
  SIMRUN_ASSERT(impl.started && !impl.stopped, "a transfer asked of a running group");
  impl.raft->transfer_leadership(to);
  impl.driver_wake.notify_one();
}

void RaftGroup::on_role_change(std::function<void(raft::Role role, raft::Term term)> callback) {
  impl_->role_callbacks.push_back(std::move(callback));
}

}  // namespace simrun::broker
