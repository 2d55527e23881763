#pragma once
// A scenario after loading: validated against scenarios/scenario.schema.json
// and converted to typed values. Everything a run needs is here; the
// document (with overrides applied) is kept for the report.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/cluster.h"
#include "sim/checkers.h"
#include "sim/disk.h"
#include "sim/network.h"
#include "tools/simrun/fault_kinds.h"
#include "tools/simrun/fault_triggers.h"
#include "tools/simrun/overrides.h"

namespace simrun::cli {

struct LinkOverride {
  int from_node = 0;  // node index (0-based)
  int to_node = 0;
  sim::LinkConfig config;
};

// One timeline entry. Targets stay symbolic ("n1", "leader:__meta",
// "follower:orders/0", "random") until the fault fires.
struct FaultSpec {
  std::int64_t at_ms = 0;  // with `when`: when the trigger is armed (when.after)
  FaultKind kind = FaultKind::crash;
  std::vector<std::string> targets;
  std::int64_t duration_ms = 0;  // 0: none
  nlohmann::json params = nlohmann::json::object();
  std::string json_path;  // "/faults/2", for messages
  // Event-triggered (tools/simrun/fault_triggers.h): instead of at `at_ms`,
  // at the first matching event; a clog with `until` ends at an event.
  std::optional<TriggerSpec> when;
  std::optional<TriggerSpec> until;
  // `bind`: the name under which the nodes this fault hit when it fired are
  // kept, for later faults' "$<name>" references; empty: none.
  std::string bind;
};

// `nemesis.kinds[].swarm`: under swarm testing (tools/simrun/swarm.h) the
// kind is on with this chance and its mean interval is drawn from the range.
struct SwarmRange {
  std::int64_t mean_interval_from_ms = 0;
  std::int64_t mean_interval_to_ms = 0;  // inclusive
  std::uint64_t on_per_million = 500'000;
};

// A "$<name>" node reference: the nodes an earlier fault bound.
inline constexpr char kBindingPrefix = '$';

struct NemesisKind {
  FaultKind kind = FaultKind::crash;
  std::int64_t mean_interval_ms = 0;
  std::vector<std::string> targets;  // default {"random"} when the kind needs targets
  std::int64_t duration_ms = 0;
  nlohmann::json params = nlohmann::json::object();
  // Each arrival arms this trigger (its `after` is the arrival time).
  std::optional<TriggerSpec> when;
  std::optional<TriggerSpec> until;
  std::optional<SwarmRange> swarm;
};

struct NemesisSpec {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;  // exclusive
  std::vector<NemesisKind> kinds;
  bool swarm = false;      // `nemesis.swarm`: kinds drawn per seed (already applied)
  std::string swarm_draw;  // what the seed drew, one line ("crash#0 every 3s, ...")
};

struct TimeWindow {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = INT64_MAX;
  bool operator<(const TimeWindow& other) const {
    return from_ms != other.from_ms ? from_ms < other.from_ms : to_ms < other.to_ms;
  }
  bool operator==(const TimeWindow&) const = default;
};

struct AssertionSpec {
  std::string name;    // defaults to "metric op bound [group] [window]"
  std::string metric;  // "max_term", "metadata_sync.success_rate", ...
  std::string op;      // "<=", "<", ">=", ">", "=="
  double bound = 0.0;
  std::string group;  // empty: totals
  std::optional<TimeWindow> window;
};

// The names of the two assertions `liveness` adds (the runner appends the
// bound and the heal time to the description, not to the name), so that an
// expectation can name them.
inline constexpr std::string_view kLivenessLeaderName = "liveness: every group has a leader";
inline constexpr std::string_view kLivenessProduceName = "liveness: a produce succeeds";
// How a violated always-on checker is named among the failed checks:
// "checker:election_safety", "checker:acked_records", ...
inline constexpr std::string_view kCheckerPrefix = "checker:";
// The always-on checkers by the name their violations carry, derived from
// the one table (sim/checkers.h): the list expectations and junit.xml use.
inline constexpr auto kCheckerNames = [] {
  std::array<std::string_view, sim::kCheckers.size()> names{};
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = sim::kCheckers[i].name;
  return names;
}();

// `expect.legacy`: the mechanism's legacy knob(s) flipped on top of the
// scenario. With `set` applied as --set overrides, the run must fail, and
// every name in `fails` must be among the failed checks (assertion names,
// or "checker:<name>" for a violated checker). Read by CTest
// (scenario_<name>_legacy); the loader checks that the overrides are valid
// and the names exist.
struct LegacyExpectation {
  std::vector<Override> set;
  std::vector<std::string> fails;
  std::string reason;
};

struct Scenario {
  std::string file;  // as given on the command line
  nlohmann::json document;
  std::vector<Override> overrides;

  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  std::int64_t duration_ms = 0;

  std::string profile = "recommended";
  // cluster.broker is filled by the runner from profile + cluster_knobs
  // ({"raft": {...}, "broker": {...}}); nodes, topics and startup delays here.
  nlohmann::json cluster_knobs = nlohmann::json::object();
  broker::ClusterConfig cluster;
  sim::LinkConfig default_link;
  std::vector<LinkOverride> links;
  sim::DiskConfig disk;
  std::map<int, sim::DiskConfig> node_disks;  // disk.nodes: node index (0-based) -> settings
  std::vector<broker::ProducerSpec> producers;
  std::vector<broker::ConsumerSpec> consumers;

  std::vector<FaultSpec> faults;
  std::optional<NemesisSpec> nemesis;
  std::vector<AssertionSpec> assertions;
  std::optional<std::int64_t> liveness_within_ms;
  std::int64_t consume_grace_ms = 5000;
  // Expected outcome per profile ("pass", "fail", "any"); read by CTest.
  std::map<std::string, std::string> expect;
  // For a profile whose expectation is {"fails": [...]}: the mechanism's
  // own checks that must be among the failed ones (expect is "fail").
  std::map<std::string, std::vector<std::string>> expect_fails;
  std::optional<LegacyExpectation> legacy;

  // Raft group names the workload creates: "__meta", "<topic>/<partition>".
  std::vector<std::string> group_names() const;
};

}  // namespace simrun::cli
