#pragma once
// One scenario run as a steppable object: build it from a loaded Scenario,
// advance simulated time in as many steps as the caller likes (run_until,
// run_for, run_until_condition), look at the cluster in between, inject
// faults now, add assertions, and finish() into the RunOutcome the reports
// are made of. run_scenario (runner.h) is a Simulation run straight to its
// end; the Python module drives the same object step by step.
//
// Stepping never changes what happens: the event loop runs the same events
// in the same order however its run is sliced, so a run driven in steps has
// the trace hash of the same run driven in one go, as long as nothing is
// injected in between.
//
// Callbacks (on_event) fire between events, never inside a node's fiber:
// the trace observer that notices an event stops the loop after the
// running event, and the Simulation delivers the event from the scheduler
// context, at the simulated time it happened. A callback may inject faults
// (the World's fault entry points are only safe there).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/cluster.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "tools/simrun/data_checker.h"
#include "tools/simrun/fault_injector.h"
#include "tools/simrun/fault_schedule.h"
#include "tools/simrun/message_rate_checker.h"
#include "tools/simrun/metrics.h"
#include "tools/simrun/replica_liveness.h"
#include "tools/simrun/report.h"
#include "tools/simrun/restart_floor.h"
#include "tools/simrun/scenario.h"
#include "tools/simrun/stale_leader_checker.h"

namespace simrun::cli {

class Simulation;

struct RunOptions {
  std::ostream* trace_sink = nullptr;  // --trace FILE: JSON lines
  // Called about once per simulated second with (now_ms, end_ms).
  std::function<void(std::int64_t, std::int64_t)> progress;
  std::int64_t duration_override_ms = 0;  // for the repro line
  // A bound on the simulation: more executed events than this (a livelock,
  // a retry storm) throws EventBudgetExceeded from run_until. 0: none.
  std::uint64_t max_events = 0;
  // Called once the Simulation is built, before it runs: where report
  // writers add their trace observers (run_scenario only).
  std::function<void(Simulation&)> on_start;
};

// The run hit RunOptions::max_events: a sweep reports it as that seed's
// failure ("event_budget"), with the simulated time it was stuck at.
struct EventBudgetExceeded : std::runtime_error {
  EventBudgetExceeded(std::uint64_t budget_events, std::int64_t stuck_at_ms);
  std::uint64_t budget;
  std::int64_t at_ms;
};

// The events a script can wait for. Every kind is derived from trace
// records, at the simulated time of the record.
enum class SimEventKind : std::uint8_t {
  election_started,  // raft.election_started with pre_vote == 0
  leader_elected,    // raft.role_changed to leader
  leader_lost,       // a group that had a leader has none (step-down or crash)
  fault_applied,     // the injector's "fault" record (scheduled or injected)
  violation,         // a safety or data checker found a violation
};
std::string_view to_string(SimEventKind kind);
// Throws InputError for an unknown name.
SimEventKind sim_event_kind_from_string(std::string_view name);
std::vector<std::string> sim_event_kind_names();

struct SimEvent {
  SimEventKind kind = SimEventKind::election_started;
  std::int64_t time_ms = 0;
  std::string group;  // empty for faults
  int node = 0;       // Raft node id (1-based); 0 when none
  std::int64_t term = 0;
  // The trace record's fields (a fault's action and targets, a violation's
  // checker and message, ...).
  nlohmann::json fields = nlohmann::json::object();
};

// A node's replica of one Raft group, as that node sees it now.
struct ReplicaState {
  std::string group;
  int node = 0;      // 1-based
  std::string role;  // "follower", "pre_candidate", "candidate", "leader"
  std::int64_t term = 0;
  int leader = 0;  // 0: none known
  std::int64_t commit_index = 0;
  std::int64_t applied_index = 0;
};

struct NodeState {
  int node = 0;                        // 1-based
  std::string process_state;           // "created", "running", "paused", "crashed"
  bool up = false;                     // the broker process is running
  std::vector<ReplicaState> replicas;  // empty while the process is down
};

class Simulation {
 public:
  Simulation(const Scenario& scenario, RunOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Advances simulated time to `time_ms` (clamped to end_ms()), running
  // every event due at or before it and delivering callbacks on the way.
  void run_until(std::int64_t time_ms);
  void run_for(std::int64_t duration_ms) { run_until(now_ms() + duration_ms); }
  // Runs until `condition()` holds, checked after every delivered event
  // and every `check_every_ms` of simulated time, or until `limit_ms`
  // (clamped to the end). Returns whether the condition held.
  bool run_until_condition(const std::function<bool()>& condition, std::int64_t check_every_ms,
                           std::int64_t limit_ms);
  // Runs to the end of the scenario (its duration, extended for liveness).
  void run_to_end() { run_until(end_ms_); }

  std::int64_t now_ms() const;
  std::int64_t end_ms() const { return end_ms_; }
  bool finished() const { return finished_; }
  const Scenario& scenario() const { return scenario_; }

  // A fault now, from a scenario `faults` entry without "at" (validated
  // exactly like the file: same schema, same messages). Returns whether it
  // hit anything (a "leader:G" target with no leader is skipped).
  bool inject(const nlohmann::json& fault);
  // An assertion evaluated at finish(). One with a window must be added
  // before simulated time passes its start.
  void add_assertion(AssertionSpec assertion);
  // A check the caller made itself (a script's simrun check): reported
  // with the assertions at finish(), and fails the run when not passed.
  void add_check(AssertionResult check);
  // Callbacks for one kind of event, in registration order.
  void on_event(SimEventKind kind, std::function<void(const SimEvent&)> callback);
  // An extra trace observer (reports, exporters); sees every record after
  // the metrics and checkers. Add it before running.
  void add_trace_observer(sim::Trace::Observer observer);
  // The group's heartbeat period (heartbeat ticks x tick interval).
  sim::duration_ns heartbeat_period(const std::string& group) const;

  // State now.
  Metrics metrics_now() const;
  std::optional<int> leader(std::string_view group) const;  // 1-based
  std::vector<std::string> group_names() const;
  NodeState node_state(int node_index) const;  // 0-based index
  int node_count() const;
  std::uint64_t trace_hash() const;
  std::uint64_t violation_count() const;

  sim::World& world() { return *world_; }
  broker::Cluster& cluster() { return *cluster_; }
  // The Raft safety checker as fed so far (tests: what it remembers).
  const sim::SafetyChecker& safety_checker() const { return safety_.checker(); }

  // Runs to the end if needed, then evaluates assertions, liveness and the
  // end-of-run checks. Call once.
  RunOutcome finish();

 private:
  // The scenario's sections, built in this order by the constructor.
  void build_world();
  void build_checkers();
  void build_faults_and_liveness();
  void build_cluster();
  // Tells the safety checker each group's restart floor (restart_floor.h).
  void raise_restart_floors();

  std::vector<Violation> check_settled_metadata(std::uint64_t& checks) const;
  void observe(const sim::TraceRecord& record);
  void note_events(const sim::TraceRecord& record);
  void deliver_events();
  Metrics finish_metrics(std::map<TimeWindow, Metrics>& windowed_metrics);

  Scenario scenario_;
  RunOptions options_;
  std::chrono::steady_clock::time_point wall_start_;
  broker::ClusterConfig config_;

  // Observers first: they must outlive the World, whose teardown still
  // emits trace records (nodes unwinding).
  MetricsObserver metrics_;
  std::map<TimeWindow, MetricsObserver> windowed_;
  RaftSafetyFeed safety_;
  // Issue 12: lets safety_ forget committed entries no node can apply again.
  RestartFloor restart_floor_;
  std::uint64_t applies_since_floor_ = 0;
  DataChecker data_;
  MessageRateChecker message_rate_;
  // With `liveness`: every live replica catches up after the last fault.
  std::optional<ReplicaLivenessChecker> replica_liveness_;
  StaleLeaderChecker stale_leaders_;
  std::vector<sim::Trace::Observer> extra_observers_;

  std::map<SimEventKind, std::vector<std::function<void(const SimEvent&)>>> callbacks_;
  std::vector<SimEvent> pending_events_;
  std::map<std::string, bool, std::less<>> had_leader_;
  std::uint64_t violations_seen_ = 0;

  std::unique_ptr<sim::World> world_;
  std::vector<ScheduledFault> schedule_;
  std::int64_t end_ms_ = 0;
  std::vector<AssertionSpec> assertions_;
  std::vector<AssertionResult> checks_;
  std::unique_ptr<broker::Cluster> cluster_;
  std::unique_ptr<FaultInjector> injector_;
  std::uint64_t injected_ = 0;
  bool finished_ = false;
  // While run_until_condition runs: checked after every delivered event.
  const std::function<bool()>* stop_when_ = nullptr;
  bool tearing_down_ = false;  // the World's teardown still traces; no events then
};

}  // namespace simrun::cli
