#pragma once
// What a sweep produced, per seed and in total, and its files:
//   DIR/seeds.jsonl  one line per seed, appended as seeds finish (so in
//                    completion order; a log to watch, not the result)
//   DIR/sweep.json   the result: header, per-metric quantiles over seeds,
//                    failures, and every seed's result in seed order.
// sweep.json depends only on (scenario, overrides, seeds), never on --jobs,
// on sharding or on wall time: `simrun merge` of shards gives the same bytes
// as one unsharded sweep. The format is documented in scenarios/README.md
// ("sweep.json"); kSweepFormat names its version.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace simrun::cli {

inline constexpr std::string_view kSweepFormat = "simrun-sweep/1";

enum class SeedStatus : std::uint8_t {
  pass,          // every assertion and checker held
  fail,          // an assertion or checker failed (the run completed)
  crash,         // the worker died of a signal (SIMRUN_ASSERT aborts, segfaults)
  wall_budget,   // the seed ran past its wall-time budget and was killed
  event_budget,  // the simulation executed more events than its budget
  error,         // the worker stopped with an error (an exception)
};

std::string_view status_name(SeedStatus status);
std::optional<SeedStatus> status_from_name(std::string_view name);

struct SeedResult {
  std::uint64_t seed = 0;
  SeedStatus status = SeedStatus::pass;
  std::vector<std::string> failed;  // summary.json's "failed" (status fail)
  std::string first_failure;        // one line: what went wrong first
  std::string signal;               // crash: "SIGABRT"
  std::string trace_hash;           // empty unless the run completed
  std::uint64_t events = 0;
  std::int64_t sim_time_ms = 0;
  std::int64_t wall_time_ms = 0;          // seeds.jsonl only: never in sweep.json
  std::map<std::string, double> metrics;  // flattened summary.json metrics
  std::string repro;
  // summary.json's probes_missed (a completed run only): sweep.json's
  // probes_missed is what no completed seed reached.
  std::vector<std::string> probes_missed;
};

// summary.json's "metrics" flattened to dotted names: "elections_per_min",
// "produce.latency_p99_ms", "groups.__meta.max_term". Every numeric leaf,
// whatever metrics exist: a new metric needs no change here.
std::map<std::string, double> flatten_metrics(const nlohmann::json& metrics);

// One seeds.jsonl line (with wall time) or one sweep.json "results" entry
// (without).
nlohmann::json seed_json(const SeedResult& result, bool with_wall_time);
// The inverse; throws InputError naming `where` on a malformed entry.
SeedResult seed_from_json(const nlohmann::json& json, const std::string& where);

// Which sweep this is: everything that determines its results.
struct SweepHeader {
  std::string scenario;  // the file as given
  std::string name;      // the scenario's name
  std::string profile;
  std::vector<std::string> override_args;  // "--set" values, in order
  std::int64_t duration_override_ms = 0;   // 0: the scenario's
  std::uint64_t first_seed = 1;
  std::uint64_t seed_count = 0;  // requested (the whole range, all shards)
  bool until_fail = false;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> shard;  // (index 1-based, count)
};

nlohmann::json header_json(const SweepHeader& header);
SweepHeader header_from_json(const nlohmann::json& json, const std::string& where);

// sweep.json. `results` in any order; they are sorted by seed.
nlohmann::json sweep_json(const SweepHeader& header, std::vector<SeedResult> results);

// Reads DIR/sweep.json or a sweep.json path; InputError if absent or not a
// sweep of this format.
nlohmann::json read_sweep_json(const std::string& path_or_dir, std::string* resolved_path);
std::vector<SeedResult> results_of(const nlohmann::json& sweep, const std::string& where);

}  // namespace simrun::cli
