#include "tools/simrun/sweep_report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "tools/simrun/input_error.h"
#include "tools/simrun/quantiles.h"

namespace simrun::cli {

namespace {

constexpr std::array<SeedStatus, 6> kStatuses = {SeedStatus::pass,         SeedStatus::fail,
                                                 SeedStatus::crash,        SeedStatus::wall_budget,
                                                 SeedStatus::event_budget, SeedStatus::error};

void flatten_into(const nlohmann::json& value, const std::string& prefix,
                  std::map<std::string, double>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      flatten_into(child, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (value.is_number()) {
    out[prefix] = value.get<double>();
  }
}

}  // namespace

std::string_view status_name(SeedStatus status) {
  switch (status) {
    case SeedStatus::pass:
      return "pass";
    case SeedStatus::fail:
      return "fail";
    case SeedStatus::crash:
      return "crash";
    case SeedStatus::wall_budget:
      return "wall_budget";
    case SeedStatus::event_budget:
      return "event_budget";
    case SeedStatus::error:
      return "error";
  }
  return "?";
}

std::optional<SeedStatus> status_from_name(std::string_view name) {
  for (SeedStatus status : kStatuses) {
    if (status_name(status) == name) return status;
  }
  return std::nullopt;
}

std::map<std::string, double> flatten_metrics(const nlohmann::json& metrics) {
  std::map<std::string, double> out;
  flatten_into(metrics, "", out);
  return out;
}

nlohmann::json seed_json(const SeedResult& result, bool with_wall_time) {
  nlohmann::json json = {{"seed", result.seed},
                         {"status", status_name(result.status)},
                         {"failed", result.failed},
                         {"first_failure", result.first_failure},
                         {"trace_hash", result.trace_hash},
                         {"events", result.events},
                         {"sim_time_ms", result.sim_time_ms},
                         {"metrics", result.metrics},
                         {"repro", result.repro}};
  if (!result.signal.empty()) json["signal"] = result.signal;
  if (!result.trace_hash.empty()) json["probes_missed"] = result.probes_missed;
  if (with_wall_time) json["wall_time_ms"] = result.wall_time_ms;
  return json;
}

SeedResult seed_from_json(const nlohmann::json& json, const std::string& where) {
  try {
    SeedResult result;
    result.seed = json.at("seed").get<std::uint64_t>();
    const auto status = status_from_name(json.at("status").get<std::string>());
    if (!status) throw InputError(where + ": unknown seed status " + json.at("status").dump());
    result.status = *status;
    result.failed = json.at("failed").get<std::vector<std::string>>();
    result.first_failure = json.at("first_failure").get<std::string>();
    result.signal = json.value("signal", "");
    result.trace_hash = json.at("trace_hash").get<std::string>();
    result.events = json.at("events").get<std::uint64_t>();
    result.sim_time_ms = json.at("sim_time_ms").get<std::int64_t>();
    result.wall_time_ms = json.value("wall_time_ms", std::int64_t{0});
    result.metrics = json.at("metrics").get<std::map<std::string, double>>();
    result.repro = json.at("repro").get<std::string>();
    result.probes_missed = json.value("probes_missed", std::vector<std::string>{});
    return result;
  } catch (const nlohmann::json::exception& error) {
    throw InputError(where + ": not a simrun seed result: " + error.what());
  }
}

nlohmann::json header_json(const SweepHeader& header) {
  nlohmann::json json = {{"format", kSweepFormat},
                         {"scenario", header.scenario},
                         {"name", header.name},
                         {"profile", header.profile},
                         {"override_args", header.override_args},
                         {"duration_override_ms", header.duration_override_ms},
                         {"seeds", {{"first", header.first_seed}, {"count", header.seed_count}}},
                         {"until_fail", header.until_fail}};
  if (header.shard)
    json["shard"] = {{"index", header.shard->first}, {"count", header.shard->second}};
  return json;
}

SweepHeader header_from_json(const nlohmann::json& json, const std::string& where) {
  try {
    if (json.at("format").get<std::string>() != kSweepFormat) {
      throw InputError(where + ": /format: expected \"" + std::string(kSweepFormat) + "\", got " +
                       json.at("format").dump());
    }
    SweepHeader header;
    header.scenario = json.at("scenario").get<std::string>();
    header.name = json.at("name").get<std::string>();
    header.profile = json.at("profile").get<std::string>();
    header.override_args = json.at("override_args").get<std::vector<std::string>>();
    header.duration_override_ms = json.at("duration_override_ms").get<std::int64_t>();
    header.first_seed = json.at("seeds").at("first").get<std::uint64_t>();
    header.seed_count = json.at("seeds").at("count").get<std::uint64_t>();
    header.until_fail = json.at("until_fail").get<bool>();
    if (json.contains("shard")) {
      header.shard = {json["shard"].at("index").get<std::uint64_t>(),
                      json["shard"].at("count").get<std::uint64_t>()};
    }
    return header;
  } catch (const nlohmann::json::exception& error) {
    throw InputError(where + ": not a simrun sweep.json: " + error.what());
  }
}

nlohmann::json sweep_json(const SweepHeader& header, std::vector<SeedResult> results) {
  std::sort(results.begin(), results.end(),
            [](const SeedResult& a, const SeedResult& b) { return a.seed < b.seed; });
  std::map<std::string, std::vector<double>> by_metric;
  std::uint64_t passed = 0;
  nlohmann::json failures = nlohmann::json::array();
  nlohmann::json entries = nlohmann::json::array();
  for (const SeedResult& result : results) {
    for (const auto& [name, value] : result.metrics) by_metric[name].push_back(value);
    if (result.status == SeedStatus::pass) {
      ++passed;
    } else {
      nlohmann::json failure = {{"seed", result.seed},
                                {"status", status_name(result.status)},
                                {"first_failure", result.first_failure},
                                {"repro", result.repro}};
      if (!result.signal.empty()) failure["signal"] = result.signal;
      failures.push_back(std::move(failure));
    }
    entries.push_back(seed_json(result, false));
  }
  nlohmann::json metrics = nlohmann::json::object();
  for (auto& [name, values] : by_metric) metrics[name] = to_json(quantiles_of(std::move(values)));
  // The coverage probes no completed seed reached (each seed's own list is
  // in results): what the sweep as a whole never exercised.
  std::optional<std::set<std::string>> missed_by_all;
  for (const SeedResult& result : results) {
    if (result.trace_hash.empty()) continue;  // did not complete
    const std::set<std::string> missed(result.probes_missed.begin(), result.probes_missed.end());
    if (!missed_by_all) {
      missed_by_all = missed;
      continue;
    }
    std::erase_if(*missed_by_all, [&](const std::string& name) { return !missed.contains(name); });
  }
  nlohmann::json json = header_json(header);
  json["run"] = results.size();
  json["passed"] = passed;
  json["failed"] = results.size() - passed;
  json["metrics"] = std::move(metrics);
  json["failures"] = std::move(failures);
  json["probes_missed"] =
      missed_by_all ? std::vector<std::string>(missed_by_all->begin(), missed_by_all->end())
                    : std::vector<std::string>{};
  json["results"] = std::move(entries);
  return json;
}

nlohmann::json read_sweep_json(const std::string& path_or_dir, std::string* resolved_path) {
  std::string path = path_or_dir;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) path += "/sweep.json";
  if (resolved_path != nullptr) *resolved_path = path;
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the sweep (a sweep.json or a --report folder)");
  try {
    nlohmann::json json = nlohmann::json::parse(in);
    header_from_json(json, path);  // checks the format
    return json;
  } catch (const nlohmann::json::parse_error& parse_error) {
    throw InputError(path + ": invalid JSON: " + parse_error.what());
  }
}

std::vector<SeedResult> results_of(const nlohmann::json& sweep, const std::string& where) {
  std::vector<SeedResult> results;
  if (!sweep.contains("results") || !sweep["results"].is_array()) {
    throw InputError(where + ": /results: expected an array of seed results");
  }
  for (std::size_t i = 0; i < sweep["results"].size(); ++i) {
    results.push_back(
        seed_from_json(sweep["results"][i], where + ": /results/" + std::to_string(i)));
  }
  return results;
}

}  // namespace simrun::cli
