#include "sim/world.h"

#include <utility>

#include "sim/assert.h"
#include "sim/clock.h"
#include "sim/scheduler.h"
#include "sim/trace_kinds.h"

namespace simrun::sim {

namespace {
std::int64_t as_number(std::uint64_t value) { return static_cast<std::int64_t>(value); }
}  // namespace

// Everything a process owns that outlives its fibers: the environment
// handle, the clock, the disk (durable part survives crashes), the inbox
// (emptied by crashes) and its random stream.
struct World::Process {
  Process(World& world, ProcessId id, std::string process_name,
          std::function<void(Env&)> main_function)
      : name(std::move(process_name)),
        main(std::move(main_function)),
        env(world, id),
        disk(world, id, world.config().default_disk),
        inbox(world.scheduler(), world.config().inbox_capacity),
        rng(Rng::stream(world.seed(), "process/" + name)) {}

  std::string name;
  std::function<void(Env&)> main;
  ProcessState state = ProcessState::created;
  std::uint64_t incarnation = 0;
  LocalClock clock;
  Env env;
  Disk disk;
  Mailbox<Envelope> inbox;
  Rng rng;
};

World::World(WorldConfig config)
    : config_(std::move(config)),
      trace_(loop_.now_ptr()),
      network_(std::make_unique<Network>(*this)),
      scheduler_(std::make_unique<Scheduler>(
          loop_, SchedulerConfig{config_.fiber_stack_bytes, config_.max_fibers_per_process, 256})) {
  SIMRUN_ASSERT(config_.inbox_capacity > 0, "inboxes need room for one message");
}

World::~World() {
  // Unwind every fiber while the processes (inboxes, disks) they may touch
  // from destructors still exist.
  scheduler_->kill_all();
}

World::Process& World::process(ProcessId process) {
  SIMRUN_ASSERT(process < processes_.size(), "unknown process id");
  return *processes_[process];
}

const World::Process& World::process(ProcessId process) const {
  SIMRUN_ASSERT(process < processes_.size(), "unknown process id");
  return *processes_[process];
}

ProcessId World::add_process(std::string name, std::function<void(Env&)> main) {
  SIMRUN_ASSERT(main != nullptr, "a process needs a main function");
  SIMRUN_ASSERT(processes_.size() < UINT32_MAX, "too many processes");
  const auto id = static_cast<ProcessId>(processes_.size());
  processes_.push_back(std::make_unique<Process>(*this, id, std::move(name), std::move(main)));
  Process& added = *processes_.back();
  added.clock.reset(loop_.now());
  scheduler_->add_process(id, &added.clock);
  trace_.record(trace_kinds::kProcessAdd, {{"process", id}, {"name", added.name}});
  return id;
}

void World::boot(ProcessId id) {
  scheduler_->spawn(id, "main", [this, id] {
    Process& booted = process(id);
    booted.main(booted.env);
  });
}

void World::start(ProcessId id) {
  Process& started = process(id);
  SIMRUN_ASSERT(started.state == ProcessState::created, "start: process already started");
  started.state = ProcessState::running;
  started.incarnation = 1;
  trace_.record(trace_kinds::kProcessStart, {{"process", id}, {"incarnation", 1}});
  boot(id);
}

void World::crash(ProcessId id) { take_down(id, "crash"); }

void World::stop(ProcessId id) { take_down(id, "stop"); }

void World::take_down(ProcessId id, std::string_view kind) {
  Process& crashed = process(id);
  SIMRUN_ASSERT(crashed.state == ProcessState::running || crashed.state == ProcessState::paused,
                "crash or stop: process is not running");
  trace_fault(kind, {{"process", id},
                     {"incarnation", as_number(crashed.incarnation)},
                     {"fibers", as_number(scheduler_->fiber_count(id))}});
  crashed.state = ProcessState::crashed;
  scheduler_->kill_fibers(id);
  crashed.inbox.clear();
  crashed.disk.on_crash();
  // The host stays up: its kernel resets the dead process's connections.
  network_->reset_connections(id);
}

void World::restart(ProcessId id) {
  Process& restarted = process(id);
  SIMRUN_ASSERT(restarted.state == ProcessState::crashed, "restart: process is not crashed");
  restarted.state = ProcessState::running;
  ++restarted.incarnation;
  trace_fault("restart", {{"process", id}, {"incarnation", as_number(restarted.incarnation)}});
  boot(id);
}

void World::pause(ProcessId id) {
  Process& paused = process(id);
  SIMRUN_ASSERT(paused.state == ProcessState::running, "pause: process is not running");
  paused.state = ProcessState::paused;
  scheduler_->pause(id);
  trace_fault("pause", {{"process", id}});
}

void World::resume(ProcessId id) {
  Process& resumed = process(id);
  SIMRUN_ASSERT(resumed.state == ProcessState::paused, "resume: process is not paused");
  resumed.state = ProcessState::running;
  trace_fault("resume", {{"process", id}});
  scheduler_->resume(id);
}

void World::set_clock_offset(ProcessId id, duration_ns offset) {
  process(id).clock.set_offset(loop_.now(), offset);
  trace_fault("clock_offset", {{"process", id}, {"offset_ns", offset}});
}

void World::set_clock_drift_ppm(ProcessId id, std::int64_t drift_ppm) {
  process(id).clock.set_drift_ppm(loop_.now(), drift_ppm);
  trace_fault("clock_drift", {{"process", id}, {"drift_ppm", drift_ppm}});
}

void World::jump_clock(ProcessId id, duration_ns delta) {
  process(id).clock.jump(loop_.now(), delta);
  trace_fault("clock_jump", {{"process", id}, {"delta_ns", delta}});
}

ProcessState World::state(ProcessId id) const { return process(id).state; }

const std::string& World::name(ProcessId id) const { return process(id).name; }

std::size_t World::process_count() const { return processes_.size(); }

std::uint64_t World::incarnation(ProcessId id) const { return process(id).incarnation; }

time_ns World::local_now(ProcessId id) const { return process(id).clock.local_at(loop_.now()); }

const LocalClock& World::clock(ProcessId id) const { return process(id).clock; }

void World::spawn(ProcessId id, std::string fiber_name, std::function<void()> body) {
  const ProcessState current = process(id).state;
  SIMRUN_ASSERT(current == ProcessState::running || current == ProcessState::paused,
                "spawn: process is not running");
  scheduler_->spawn(id, std::move(fiber_name), std::move(body));
}

Rng& World::process_rng(ProcessId id) { return process(id).rng; }

Mailbox<Envelope>& World::inbox(ProcessId id) { return process(id).inbox; }

Env& World::env(ProcessId id) { return process(id).env; }

Disk& World::disk(ProcessId id) { return process(id).disk; }

Rng& World::stream(std::string_view stream_name) {
  auto found = streams_.find(stream_name);
  if (found == streams_.end()) {
    found =
        streams_.emplace(std::string(stream_name), Rng::stream(config_.seed, stream_name)).first;
  }
  return found->second;
}

void World::trace_fault(std::string_view kind, std::initializer_list<TraceField> fields) {
  auto counted = fault_counts_.find(kind);
  if (counted == fault_counts_.end()) counted = fault_counts_.emplace(std::string(kind), 0).first;
  ++counted->second;
  std::vector<TraceField> all;
  all.reserve(fields.size() + 1);
  all.emplace_back("type", kind);
  all.insert(all.end(), fields.begin(), fields.end());
  trace_.record(trace_kinds::kFault, std::span<const TraceField>(all));
}

RunResult World::run_until(time_ns end, std::uint64_t max_events) {
  SIMRUN_ASSERT(!scheduler_->in_fiber(), "run_until from inside a fiber");
  return loop_.run_until(end, max_events);
}

}  // namespace simrun::sim
