#include "tools/simrun/simulation.h"

#include <algorithm>
#include <set>

#include "broker/config_json.h"
#include "broker/events.h"
#include "broker/node.h"
#include "broker/probe.h"
#include "broker/timing.h"
#include "sim/assert.h"
#include "sim/checkers.h"
#include "sim/trace_kinds.h"
#include "tools/simrun/effective_config.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/meta_assignment_check.h"
#include "tools/simrun/scenario_loader.h"

namespace simrun::cli {

namespace {

broker::ClusterConfig cluster_config(const Scenario& scenario) {
  broker::ClusterConfig config = scenario.cluster;
  try {
    config.broker = broker::config_from_json(scenario.cluster_knobs,
                                             broker::profile(scenario.profile), "cluster");
  } catch (const std::invalid_argument& error) {
    throw InputError(scenario.file + ": /cluster: " + error.what());
  }
  const bool replication_set = scenario.cluster_knobs.contains("broker") &&
                               scenario.cluster_knobs["broker"].contains("replication_factor");
  if (!replication_set) {
    config.broker.replication_factor = std::min(config.broker.replication_factor, config.nodes);
  }
  return config;
}

// Event kinds and their names: the one table the Python module and its
// stub are checked against.
constexpr std::pair<SimEventKind, std::string_view> kEventKindNames[] = {
    {SimEventKind::election_started, "election_started"},
    {SimEventKind::leader_elected, "leader_elected"},
    {SimEventKind::leader_lost, "leader_lost"},
    {SimEventKind::fault_applied, "fault_applied"},
    {SimEventKind::violation, "violation"},
};

nlohmann::json record_fields(const sim::TraceRecord& record) {
  nlohmann::json fields = nlohmann::json::object();
  for (const sim::TraceField& field : record.fields) {
    if (field.is_string) {
      fields[std::string(field.name)] = std::string(field.text);
    } else {
      fields[std::string(field.name)] = field.number;
    }
  }
  return fields;
}

std::string_view process_state_name(sim::ProcessState state) {
  switch (state) {
    case sim::ProcessState::created:
      return "created";
    case sim::ProcessState::running:
      return "running";
    case sim::ProcessState::paused:
      return "paused";
    case sim::ProcessState::crashed:
      return "crashed";
  }
  SIMRUN_ASSERT(false, "unknown process state");
  return "";
}

// How often the restart floors are raised (raise_restart_floors): every
// this many raft.applied records, a few times per simulated second at
// production load; the floor lags by at most that.
constexpr std::uint64_t kFloorEveryApplies = 4096;

}  // namespace

std::string_view to_string(SimEventKind kind) {
  for (const auto& [each, name] : kEventKindNames) {
    if (each == kind) return name;
  }
  SIMRUN_ASSERT(false, "every event kind has a name");
  return "";
}

SimEventKind sim_event_kind_from_string(std::string_view name) {
  for (const auto& [kind, each] : kEventKindNames) {
    if (each == name) return kind;
  }
  std::string known;
  for (const auto& [kind, each] : kEventKindNames)
    known += (known.empty() ? "" : ", ") + std::string(each);
  throw InputError("unknown event \"" + std::string(name) + "\" (expected one of " + known + ")");
}

std::vector<std::string> sim_event_kind_names() {
  std::vector<std::string> names;
  for (const auto& [kind, name] : kEventKindNames) names.emplace_back(name);
  return names;
}

Simulation::Simulation(const Scenario& scenario, RunOptions options)
    : scenario_(scenario),
      options_(std::move(options)),
      wall_start_(std::chrono::steady_clock::now()),
      config_(cluster_config(scenario_)) {
  build_world();
  build_faults_and_liveness();
  build_checkers();
  build_cluster();
}

Simulation::~Simulation() {
  tearing_down_ = true;
  injector_.reset();
  cluster_.reset();
  world_.reset();
}

// The simulated world: seed, network and disk defaults.
void Simulation::build_world() {
  sim::WorldConfig world_config;
  world_config.seed = scenario_.seed;
  world_config.default_link = scenario_.default_link;
  world_config.default_disk = scenario_.disk;
  // v2.0.0 spawns one apply fiber per committed entry; under churn that
  // exceeds the kernel default.
  world_config.max_fibers_per_process = 1u << 15;
  world_ = std::make_unique<sim::World>(world_config);
}

// `faults`, `nemesis` and `liveness`: the schedule is drawn before anything
// else uses the "faults" stream, so it depends only on (seed, scenario
// faults); liveness extends the run past the last fault's end.
void Simulation::build_faults_and_liveness() {
  schedule_ = build_fault_schedule(scenario_, world_->stream("faults"));
  end_ms_ = scenario_.duration_ms;
  assertions_ = scenario_.assertions;
  if (!scenario_.liveness_within_ms) return;
  // Liveness: after the last fault is over, every group has a leader and
  // a produce succeeds within the bound. The run lasts long enough to see it.
  const std::int64_t heal_ms = last_fault_end_ms(schedule_, scenario_.duration_ms);
  const TimeWindow window{heal_ms, heal_ms + *scenario_.liveness_within_ms};
  end_ms_ = std::max(end_ms_, window.to_ms);
  replica_liveness_.emplace(sim::millis(window.from_ms), sim::millis(window.to_ms));
  const auto within = static_cast<double>(*scenario_.liveness_within_ms);
  // Stable names (an expectation can list them); the bound and the heal
  // time show in the printed value and bound.
  assertions_.push_back(AssertionSpec{std::string(kLivenessLeaderName), "time_to_first_leader_ms",
                                      "<", within, "", window});
  if (!scenario_.producers.empty()) {
    assertions_.push_back(
        AssertionSpec{std::string(kLivenessProduceName), "produce.acked", ">=", 1, "", window});
  }
}

// `assertions` and the always-on checkers: metrics over the whole run and
// over each assertion window, Raft safety, acknowledged data.
void Simulation::build_checkers() {
  for (const auto& spec : assertions_) {
    if (spec.window) windowed_.try_emplace(*spec.window, *spec.window);
  }
  // Heartbeat blocking is measured beyond each group's own heartbeat period.
  for (const std::string& group : scenario_.group_names()) {
    const sim::duration_ns period = heartbeat_period(group);
    metrics_.set_heartbeat_period(group, period);
    for (auto& [window, observer] : windowed_) observer.set_heartbeat_period(group, period);
    // Check-quorum steps a cut-off leader down within two election
    // timeouts; four, plus a second for message delays, is the bound.
    const sim::duration_ns election_timeout =
        broker::tick_counts(config_.broker, group).election_ticks *
        broker::tick_interval_ns(config_.broker);
    stale_leaders_.set_bound(group, 4 * election_timeout + sim::seconds(1));
  }
  world_->trace().add_observer([this](const sim::TraceRecord& record) { observe(record); });
  if (options_.trace_sink != nullptr) world_->trace().set_json_sink(options_.trace_sink);
}

// `cluster`, `network.links`, `producers`, `consumers`, then the fault
// schedule on the loop, then the nodes start.
void Simulation::build_cluster() {
  cluster_ = std::make_unique<broker::Cluster>(*world_, config_);
  for (const auto& link : scenario_.links) {
    world_->network().set_link(cluster_->node_process(link.from_node),
                               cluster_->node_process(link.to_node), link.config);
  }
  for (const auto& [node, disk] : scenario_.node_disks) {
    world_->disk(cluster_->node_process(node)).set_config(disk);
  }
  for (const auto& producer : scenario_.producers) cluster_->add_producer(producer);
  for (const auto& consumer : scenario_.consumers) cluster_->add_consumer(consumer);
  for (int node = 0; node < config_.nodes; ++node) {
    stale_leaders_.set_node_process(static_cast<std::uint32_t>(node + 1),
                                    cluster_->node_process(node));
  }
  injector_ = std::make_unique<FaultInjector>(*world_, *cluster_, metrics_);
  injector_->schedule(schedule_, scenario_.duration_ms);
  cluster_->start();
}

sim::duration_ns Simulation::heartbeat_period(const std::string& group) const {
  return broker::tick_counts(config_.broker, group).heartbeat_ticks *
         broker::tick_interval_ns(config_.broker);
}

// The kind is resolved once here and every observer switches on it
// (tools/simrun/record_kind.h). The kernel's network and disk records
// (net.*, disk.*: about two thirds of a run's records) go only to the fault
// triggers (disk.fsync_started), extra observers and callbacks: metrics and
// checkers read only the broker's kinds and "fault".
void Simulation::observe(const sim::TraceRecord& record) {
  const RecordKind kind = record_kind(record.kind);
  if (!is_kernel_io(kind)) {
    metrics_.observe(record, kind);
    for (auto& [window, observer] : windowed_) observer.observe(record, kind);
    safety_.observe(record, kind);
    if (kind == kind_of(broker::events::kApplied) && ++applies_since_floor_ >= kFloorEveryApplies) {
      applies_since_floor_ = 0;
      raise_restart_floors();
    }
    data_.observe(record, kind);
    message_rate_.observe(record, kind);
    if (replica_liveness_) replica_liveness_->observe(record, kind);
    stale_leaders_.observe(record, kind);
  }
  if (injector_) injector_->observe(record, kind);
  for (const auto& observer : extra_observers_) observer(record);
  if (!callbacks_.empty() && !tearing_down_) note_events(record);
}

void Simulation::raise_restart_floors() {
  if (!cluster_ || tearing_down_) return;
  const auto nodes = static_cast<std::size_t>(cluster_->node_count());
  // Each node's file names once per raise, not once per group.
  std::vector<std::vector<std::string>> files(nodes);
  for (std::size_t i = 0; i < nodes; ++i) {
    files[i] = world_->disk(cluster_->node_process(static_cast<int>(i))).list();
  }
  std::vector<NodeGroupState> states(nodes);
  for (const std::string& group : cluster_->group_names()) {
    const std::string prefix = "raft/" + group + "/";  // broker/storage.h
    for (int i = 0; i < cluster_->node_count(); ++i) {
      NodeGroupState& state = states[static_cast<std::size_t>(i)];
      state = NodeGroupState{};
      state.has_files = std::any_of(
          files[static_cast<std::size_t>(i)].begin(), files[static_cast<std::size_t>(i)].end(),
          [&](const std::string& file) { return file.compare(0, prefix.size(), prefix) == 0; });
      const broker::Node* node = cluster_->node(i);
      const broker::RaftGroup* raft_group = node == nullptr ? nullptr : node->group(group);
      if (raft_group != nullptr) {
        state.running = true;
        state.durable_snapshot_index = raft_group->durable_snapshot_index();
      }
    }
    safety_.forget_below(group, restart_floor_.update(group, states));
  }
}

// Turns a record into the events callbacks wait for. Only kinds with a
// callback are queued; the loop stops after the running event so they are
// delivered from the scheduler context.
void Simulation::note_events(const sim::TraceRecord& record) {
  const std::int64_t time_ms = sim::to_millis(record.time);
  auto queue = [&](SimEventKind kind, std::string group, int node, std::int64_t term) {
    if (callbacks_.find(kind) == callbacks_.end()) return;
    pending_events_.push_back(
        SimEvent{kind, time_ms, std::move(group), node, term, record_fields(record)});
  };
  const std::string_view kind = record.kind;
  if (kind == broker::events::kElectionStarted && record.number("pre_vote") == 0) {
    queue(SimEventKind::election_started, std::string(record.text("group")),
          static_cast<int>(record.number("node")), record.number("term"));
  } else if (kind == broker::events::kRoleChanged && record.text("role") == "leader") {
    queue(SimEventKind::leader_elected, std::string(record.text("group")),
          static_cast<int>(record.number("node")), record.number("term"));
  } else if (kind == sim::trace_kinds::kFault && record.has("action")) {
    queue(SimEventKind::fault_applied, "", 0, 0);
  }
  if (kind == broker::events::kRoleChanged || kind == broker::events::kNodeCrashed) {
    // Leadership as the metrics observer tracks it (highest-term self-
    // believed leader); a loss is a group going from some leader to none.
    for (const std::string& group : scenario_.group_names()) {
      const bool has = metrics_.has_leader(group);
      bool& had = had_leader_[group];
      if (had && !has) {
        queue(SimEventKind::leader_lost, group, static_cast<int>(record.number("node")),
              record.number("term"));
      }
      had = has;
    }
  }
  const std::uint64_t violations = violation_count();
  if (violations > violations_seen_) {
    violations_seen_ = violations;
    queue(SimEventKind::violation, std::string(record.text("group")),
          static_cast<int>(record.number("node")), record.number("term"));
  }
  if (!pending_events_.empty()) world_->loop().stop();
}

void Simulation::deliver_events() {
  // A callback may cause more events (a fault it injects is traced at once);
  // they are delivered in order after the ones already queued. The queue is
  // emptied even when a callback throws (a script's exception), so nothing
  // is delivered twice.
  std::vector<SimEvent> delivering;
  while (!pending_events_.empty()) {
    delivering.swap(pending_events_);
    pending_events_.clear();
    for (const SimEvent& event : delivering) {
      const auto found = callbacks_.find(event.kind);
      if (found == callbacks_.end()) continue;
      // Callbacks can register more callbacks: iterate over a copy.
      const auto callbacks = found->second;
      for (const auto& callback : callbacks) callback(event);
    }
    delivering.clear();
  }
}

EventBudgetExceeded::EventBudgetExceeded(std::uint64_t budget_events, std::int64_t stuck_at_ms)
    : std::runtime_error("event budget of " + std::to_string(budget_events) +
                         " events exceeded at " + std::to_string(stuck_at_ms) + " ms simulated"),
      budget(budget_events),
      at_ms(stuck_at_ms) {}

std::int64_t Simulation::now_ms() const { return sim::to_millis(world_->now()); }

void Simulation::run_until(std::int64_t time_ms) {
  SIMRUN_ASSERT(!finished_, "a finished simulation does not run");
  deliver_events();
  const sim::time_ns target = sim::millis(std::clamp<std::int64_t>(time_ms, 0, end_ms_));
  if (target < world_->now()) return;
  // Slices end on whole simulated seconds, only to report progress; the
  // events run are the same however the run is sliced.
  for (;;) {
    const sim::time_ns next_second = (world_->now() / sim::seconds(1) + 1) * sim::seconds(1);
    const sim::time_ns slice_end = std::min(target, next_second);
    const std::uint64_t executed = world_->loop().events_executed();
    if (options_.max_events > 0 && executed >= options_.max_events) {
      throw EventBudgetExceeded(options_.max_events, now_ms());
    }
    const sim::RunResult result = world_->run_until(
        slice_end, options_.max_events > 0 ? options_.max_events - executed : UINT64_MAX);
    if (result.reason == sim::StopReason::event_budget) {
      throw EventBudgetExceeded(options_.max_events, now_ms());
    }
    if (result.reason == sim::StopReason::stopped) {
      deliver_events();
      if (stop_when_ != nullptr && (*stop_when_)()) return;
      continue;
    }
    if (options_.progress) options_.progress(now_ms(), end_ms_);
    if (slice_end >= target) break;
  }
}

bool Simulation::run_until_condition(const std::function<bool()>& condition,
                                     std::int64_t check_every_ms, std::int64_t limit_ms) {
  if (check_every_ms <= 0) throw InputError("check_every_ms must be positive");
  const std::int64_t limit = std::min(limit_ms, end_ms_);
  deliver_events();
  if (condition()) return true;
  // run_until returns early when the condition holds after a delivered
  // event, so the condition sees the state right after it.
  stop_when_ = &condition;
  struct Reset {
    const std::function<bool()>*& stop_when;
    ~Reset() { stop_when = nullptr; }
  } reset{stop_when_};
  while (now_ms() < limit) {
    run_until(std::min(limit, now_ms() + check_every_ms));
    if (condition()) return true;
  }
  return false;
}

bool Simulation::inject(const nlohmann::json& fault) {
  SIMRUN_ASSERT(!finished_, "a finished simulation takes no faults");
  if (!fault.is_object()) throw InputError(scenario_.file + ": injected fault: expected an object");
  if (fault.contains("at")) {
    throw InputError(scenario_.file + ": injected fault: \"at\" is not allowed (it applies now)");
  }
  if (fault.contains("when")) {
    throw InputError(scenario_.file +
                     ": injected fault: \"when\" is not allowed (it applies now; react to "
                     "events with on())");
  }
  // Validated as one more entry of the scenario's `faults`, at the current
  // time: the loader's schema and checks, with their messages.
  nlohmann::json document = scenario_.document;
  nlohmann::json entry = fault;
  entry["at"] = now_ms();
  if (!document.contains("faults")) document["faults"] = nlohmann::json::array();
  document["faults"].push_back(entry);
  LoadOptions options;
  options.seed = scenario_.seed;
  const Scenario checked = load_scenario_text(document.dump(), scenario_.file, options);
  const FaultSpec& spec = checked.faults.back();
  ScheduledFault scheduled;
  scheduled.at_ms = now_ms();
  scheduled.kind = spec.kind;
  scheduled.targets = spec.targets;
  scheduled.duration_ms = spec.duration_ms;
  scheduled.params = spec.params;
  scheduled.until = spec.until;
  scheduled.bind = spec.bind;
  scheduled.origin = "script/" + std::to_string(injected_++);
  // "random" targets draw from their own stream, so injecting never moves
  // the scenario's fault schedule or any other stream.
  scheduled.random_draw = world_->stream("script_faults").next_u64();
  const std::uint64_t applied_before = injector_->applied();
  injector_->apply_now(scheduled);
  return injector_->applied() > applied_before;
}

void Simulation::add_assertion(AssertionSpec assertion) {
  SIMRUN_ASSERT(!finished_, "a finished simulation takes no assertions");
  if (metric_value(GroupMetrics{}, assertion.metric) == std::nullopt) {
    std::string known;
    for (const auto& name : metric_names()) known += (known.empty() ? "" : ", ") + name;
    throw InputError("assertion \"" + assertion.name + "\": unknown metric \"" + assertion.metric +
                     "\" (expected one of " + known + ")");
  }
  try {
    compare(0, assertion.op, 0);  // throws for an unknown operator
  } catch (const std::invalid_argument& error) {
    throw InputError("assertion \"" + assertion.name + "\": " + error.what());
  }
  if (assertion.window && !windowed_.contains(*assertion.window)) {
    if (world_->now() > sim::millis(assertion.window->from_ms)) {
      throw InputError("assertion \"" + assertion.name +
                       "\": its window starts before the current simulated time");
    }
    auto [it, inserted] = windowed_.try_emplace(*assertion.window, *assertion.window);
    for (const std::string& group : scenario_.group_names()) {
      it->second.set_heartbeat_period(group, heartbeat_period(group));
    }
  }
  assertions_.push_back(std::move(assertion));
}

void Simulation::add_check(AssertionResult check) {
  SIMRUN_ASSERT(!finished_, "a finished simulation takes no checks");
  checks_.push_back(std::move(check));
}

void Simulation::on_event(SimEventKind kind, std::function<void(const SimEvent&)> callback) {
  if (kind == SimEventKind::leader_lost && callbacks_.find(kind) == callbacks_.end()) {
    for (const std::string& group : scenario_.group_names()) {
      had_leader_[group] = metrics_.has_leader(group);
    }
  }
  if (kind == SimEventKind::violation) violations_seen_ = violation_count();
  callbacks_[kind].push_back(std::move(callback));
}

void Simulation::add_trace_observer(sim::Trace::Observer observer) {
  extra_observers_.push_back(std::move(observer));
}

Metrics Simulation::metrics_now() const { return metrics_.finish(world_->now()); }

std::optional<int> Simulation::leader(std::string_view group) const {
  return metrics_.current_leader(group);
}

std::vector<std::string> Simulation::group_names() const { return scenario_.group_names(); }

int Simulation::node_count() const { return cluster_->node_count(); }

NodeState Simulation::node_state(int node_index) const {
  if (node_index < 0 || node_index >= cluster_->node_count()) {
    throw InputError("node " + std::to_string(node_index + 1) +
                     " does not exist (the cluster has " + std::to_string(cluster_->node_count()) +
                     " nodes)");
  }
  NodeState state;
  state.node = node_index + 1;
  const sim::ProcessState process = world_->state(cluster_->node_process(node_index));
  state.process_state = process_state_name(process);
  state.up = process == sim::ProcessState::running;
  const broker::Node* node = cluster_->node(node_index);
  if (node == nullptr) return state;
  for (const std::string& name : node->group_names()) {
    const broker::RaftGroup* group = node->group(name);
    if (group == nullptr) continue;
    const raft::Raft& raft = group->raft();
    state.replicas.push_back(ReplicaState{
        name, state.node, raft::to_string(raft.role()), static_cast<std::int64_t>(raft.term()),
        static_cast<int>(raft.leader()), static_cast<std::int64_t>(raft.commit_index()),
        static_cast<std::int64_t>(group->applied_index())});
  }
  return state;
}

std::uint64_t Simulation::trace_hash() const { return world_->trace().hash(); }

std::uint64_t Simulation::violation_count() const {
  return safety_.violation_count() + data_.violation_count() + message_rate_.violation_count() +
         (replica_liveness_ ? replica_liveness_->violation_count() : 0) +
         stale_leaders_.violation_count();
}

// End-of-run metrics: the whole run and each window, with the acknowledged
// records the data checker finds lost at the end.
Metrics Simulation::finish_metrics(std::map<TimeWindow, Metrics>& windowed_metrics) {
  const sim::time_ns end = sim::millis(end_ms_);
  Metrics metrics = metrics_.finish(end);
  std::set<std::string> consumer_topics;
  for (const auto& consumer : scenario_.consumers) consumer_topics.insert(consumer.topic);
  const auto lost = data_.finish(
      end, scenario_.consume_grace_ms, consumer_topics,
      [&](const std::string& topic, int partition) {
        return cluster_->committed_records(topic, partition);
      },
      [&](const std::string& topic, int partition) {
        return cluster_->log_start_offset(topic, partition);
      });
  for (const auto& [group, count] : lost) {
    metrics.groups[group].produce.lost_acked = count;
    metrics.totals.produce.lost_acked += count;
  }
  for (auto& [window, observer] : windowed_) {
    Metrics window_metrics = observer.finish(end);
    for (const auto& [group, count] : lost) {
      window_metrics.groups[group].produce.lost_acked = count;
      window_metrics.totals.produce.lost_acked += count;
    }
    windowed_metrics.emplace(window, std::move(window_metrics));
  }
  return metrics;
}

// meta_assignment (meta_assignment_check.h): only when the run ends settled,
// i.e. it has a liveness section, and a live node leads __meta.
std::vector<Violation> Simulation::check_settled_metadata(std::uint64_t& checks) const {
  if (!scenario_.liveness_within_ms) return {};
  std::map<std::string, LeaderAndTerm> published;
  std::map<std::string, LeaderAndTerm> actual;
  const broker::Node* meta_leader = nullptr;
  for (int index = 0; index < cluster_->node_count(); ++index) {
    const broker::Node* node = cluster_->node(index);
    if (node == nullptr) continue;
    if (node->meta_group().is_leader()) meta_leader = node;
    for (const std::string& name : cluster_->group_names()) {
      if (name == "__meta") continue;
      LeaderAndTerm& real = actual[name];
      const broker::RaftGroup* group = node->group(name);
      if (group == nullptr || !group->is_leader() || group->term() <= real.term) continue;
      real = LeaderAndTerm{static_cast<std::uint32_t>(index + 1), group->term()};
    }
  }
  if (meta_leader == nullptr) return {};
  for (const auto& [topic, info] : meta_leader->metadata().topics()) {
    for (std::size_t partition = 0; partition < info.partitions.size(); ++partition) {
      const broker::PartitionInfo& assignment = info.partitions[partition];
      published[topic + "/" + std::to_string(partition)] =
          LeaderAndTerm{static_cast<std::uint32_t>(assignment.leader), assignment.leader_epoch};
    }
  }
  return check_meta_assignments(published, actual, sim::to_millis(world_->now()), checks);
}

RunOutcome Simulation::finish() {
  SIMRUN_ASSERT(!finished_, "finish() runs once");
  run_to_end();
  finished_ = true;
  RunOutcome outcome;
  std::map<TimeWindow, Metrics> windowed_metrics;
  outcome.metrics = finish_metrics(windowed_metrics);
  outcome.assertions = evaluate_assertions(
      assertions_, [&](const std::optional<TimeWindow>& window) -> const Metrics& {
        return window ? windowed_metrics.at(*window) : outcome.metrics;
      });
  for (const AssertionResult& check : checks_) outcome.assertions.push_back(check);

  safety_.finish(world_->now());
  stale_leaders_.finish(world_->now());
  std::uint64_t meta_checks = 0;
  const std::vector<Violation> meta_violations = check_settled_metadata(meta_checks);
  outcome.checks = safety_.checks();
  outcome.checks.emplace(std::string(sim::checker_name(sim::Checker::meta_assignment)),
                         meta_checks);
  outcome.checks.merge(data_.checks());
  outcome.checks.emplace(std::string(sim::checker_name(sim::Checker::stale_leader)),
                         stale_leaders_.checks());
  // Every always-on checker shows its count, idle ones at 0: message_rate
  // counts (link, second) samples, replica_liveness the replicas checked at
  // its deadline (0 without a `liveness` section: it has nothing to check).
  outcome.checks.emplace("message_rate", message_rate_.seconds_checked());
  if (replica_liveness_) replica_liveness_->finish();
  outcome.checks.emplace("replica_liveness",
                         replica_liveness_ ? replica_liveness_->replicas_checked() : 0);
  for (const auto& [probe, count] : world_->coverage().hits()) outcome.probes.emplace(probe, count);
  for (const std::string& probe : broker::all_probe_names()) {
    if (outcome.probes.count(probe) == 0) outcome.probes_missed.push_back(probe);
  }
  SIMRUN_ASSERT(
      outcome.probes.size() + outcome.probes_missed.size() == broker::all_probe_names().size(),
      "every probe hit is in the table (broker/probe.h)");
  outcome.violations = safety_.violations();
  for (const auto& violation : data_.violations()) outcome.violations.push_back(violation);
  for (const auto& violation : message_rate_.violations()) outcome.violations.push_back(violation);
  if (replica_liveness_) {
    for (const auto& violation : replica_liveness_->violations())
      outcome.violations.push_back(violation);
  }
  for (const auto& violation : stale_leaders_.violations()) outcome.violations.push_back(violation);
  for (const auto& violation : meta_violations) outcome.violations.push_back(violation);
  std::stable_sort(outcome.violations.begin(), outcome.violations.end(),
                   [](const Violation& a, const Violation& b) { return a.time_ms < b.time_ms; });
  outcome.violation_count = violation_count() + meta_violations.size();

  outcome.passed = outcome.violation_count == 0;
  for (const auto& result : outcome.assertions) outcome.passed = outcome.passed && result.passed;
  outcome.scenario_name = scenario_.name;
  outcome.scenario_file = scenario_.file;
  outcome.profile = scenario_.profile;
  outcome.seed = scenario_.seed;
  outcome.overrides = scenario_.overrides;
  outcome.config = effective_config_json(scenario_.profile, scenario_.overrides,
                                         scenario_.cluster_knobs, config_.broker);
  outcome.duration_ms = end_ms_;
  if (end_ms_ > scenario_.duration_ms) outcome.stretched_from_ms = scenario_.duration_ms;
  outcome.trace_hash = world_->trace().hash();
  outcome.events = world_->trace().records();
  outcome.loop_events = world_->loop().events_executed();
  outcome.sim_time_ms = sim::to_millis(world_->now());
  outcome.faults_applied = injector_->applied();
  outcome.faults_skipped = injector_->skipped();
  outcome.repro = repro_line(scenario_.file, scenario_.seed, scenario_.overrides,
                             options_.duration_override_ms);
  world_->trace().set_json_sink(nullptr);
  outcome.wall_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - wall_start_)
                             .count();
  return outcome;
}

}  // namespace simrun::cli
