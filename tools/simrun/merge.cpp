#include "tools/simrun/merge.h"

#include <fmt/format.h>

#include <set>

#include "tools/simrun/input_error.h"
#include "tools/simrun/seed_range.h"
#include "tools/simrun/sweep_report.h"

namespace simrun::cli {

namespace {

// The header fields that must agree (everything but the shard).
nlohmann::json identity(SweepHeader header) {
  header.shard.reset();
  return header_json(header);
}

}  // namespace

nlohmann::json merge_shards(const std::vector<std::string>& paths) {
  if (paths.empty()) throw InputError("merge expects one or more shard report folders");
  std::optional<SweepHeader> first_header;
  std::string first_path;
  std::set<std::uint64_t> shard_indexes;
  std::uint64_t shard_count = 0;
  std::vector<SeedResult> results;
  for (const std::string& given : paths) {
    std::string path;
    const nlohmann::json sweep = read_sweep_json(given, &path);
    const SweepHeader header = header_from_json(sweep, path);
    if (!header.shard) throw InputError(path + ": /shard: not a shard (run with --shard I/N)");
    if (header.until_fail) {
      throw InputError(path + ": /until_fail: shards run with --until-fail cannot be merged");
    }
    if (!first_header) {
      first_header = header;
      first_path = path;
      shard_count = header.shard->second;
    } else if (identity(header) != identity(*first_header)) {
      throw InputError(
          fmt::format("{}: a shard of another sweep than {} (scenario, overrides, "
                      "duration or seeds differ):\n  {}\n  {}",
                      path, first_path, identity(header).dump(), identity(*first_header).dump()));
    } else if (header.shard->second != shard_count) {
      throw InputError(fmt::format("{}: /shard/count: {} shards, but {} has {}", path,
                                   header.shard->second, first_path, shard_count));
    }
    if (!shard_indexes.insert(header.shard->first).second) {
      throw InputError(
          fmt::format("{}: /shard/index: shard {} given twice", path, header.shard->first));
    }
    // The shard must hold exactly its slice of the seeds.
    const auto expected =
        shard_seeds(SeedRange{header.first_seed, header.seed_count}, header.shard);
    std::vector<SeedResult> shard_results = results_of(sweep, path);
    std::set<std::uint64_t> got;
    for (const SeedResult& result : shard_results) got.insert(result.seed);
    if (got != std::set<std::uint64_t>(expected.begin(), expected.end())) {
      throw InputError(fmt::format(
          "{}: /results: shard {}/{} should hold {} seeds, holds {} "
          "(an interrupted shard?)",
          path, header.shard->first, shard_count, expected.size(), shard_results.size()));
    }
    for (SeedResult& result : shard_results) results.push_back(std::move(result));
  }
  if (shard_indexes.size() != shard_count) {
    std::string missing;
    for (std::uint64_t i = 1; i <= shard_count; ++i) {
      if (shard_indexes.count(i) == 0) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
    }
    throw InputError(fmt::format("merge: shard(s) {} of {} missing", missing, shard_count));
  }
  SweepHeader header = *first_header;
  header.shard.reset();
  return sweep_json(header, std::move(results));
}

}  // namespace simrun::cli
