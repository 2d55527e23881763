#include "tools/simrun/seed_range.h"

#include <charconv>
#include <string_view>

#include <fmt/format.h>

#include "sim/assert.h"
#include "tools/simrun/input_error.h"

namespace simrun::cli {

namespace {

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

SeedRange parse_seed_range(const std::string& text, std::uint64_t default_first) {
  const auto dots = text.find("..");
  SeedRange range;
  if (dots == std::string::npos) {
    const auto count = parse_u64(text);
    if (!count) throw InputError("--seeds: expected N or A..B, got '" + text + "'");
    range = {default_first, *count};
  } else {
    const auto first = parse_u64(std::string_view(text).substr(0, dots));
    const auto last = parse_u64(std::string_view(text).substr(dots + 2));
    if (!first || !last || *last < *first) {
      throw InputError("--seeds: expected A..B with A <= B, got '" + text + "'");
    }
    if (*last - *first >= kMaxSweepSeeds)
      range = {*first, kMaxSweepSeeds + 1};
    else
      range = {*first, *last - *first + 1};
  }
  if (range.count == 0 || range.count > kMaxSweepSeeds) {
    throw InputError(fmt::format("--seeds must be in 1..{}", kMaxSweepSeeds));
  }
  if (range.first > UINT64_MAX - range.count) throw InputError("--seeds: the seeds overflow");
  SIMRUN_ASSERT(range.count >= 1 && range.count <= kMaxSweepSeeds, "checked above");
  return range;
}

std::pair<std::uint64_t, std::uint64_t> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const auto index = slash == std::string::npos
                         ? std::nullopt
                         : parse_u64(std::string_view(text).substr(0, slash));
  const auto count = slash == std::string::npos
                         ? std::nullopt
                         : parse_u64(std::string_view(text).substr(slash + 1));
  if (!index || !count || *index < 1 || *index > *count || *count > kMaxShards) {
    throw InputError(
        fmt::format("--shard: expected I/N with 1 <= I <= N <= {}, got '{}'", kMaxShards, text));
  }
  SIMRUN_ASSERT(*index >= 1 && *index <= *count, "checked above");
  return {*index, *count};
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> shard_from(
    const std::optional<std::string>& shard_option, const std::optional<std::uint64_t>& shards,
    const char* job_completion_index, const char* slurm_array_task_id) {
  if (shard_option) {
    if (shards) throw InputError("give --shard I/N or --shards N, not both");
    return parse_shard(*shard_option);
  }
  if (!shards) return std::nullopt;
  if (*shards < 1 || *shards > kMaxShards) {
    throw InputError(fmt::format("--shards must be in 1..{}", kMaxShards));
  }
  const char* variable = "JOB_COMPLETION_INDEX";
  const char* value = job_completion_index;
  if (value == nullptr || value[0] == '\0') {
    variable = "SLURM_ARRAY_TASK_ID";
    value = slurm_array_task_id;
  }
  if (value == nullptr || value[0] == '\0') {
    throw InputError(
        "--shards N takes the shard index from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID, and "
        "neither is set (use --shard I/N)");
  }
  const auto index = parse_u64(value);
  if (!index || *index >= *shards) {
    throw InputError(
        fmt::format("{}={}: expected an index from 0 to {}", variable, value, *shards - 1));
  }
  return std::pair{*index + 1, *shards};
}

std::vector<std::uint64_t> shard_seeds(
    const SeedRange& range, const std::optional<std::pair<std::uint64_t, std::uint64_t>>& shard) {
  std::vector<std::uint64_t> seeds;
  const std::uint64_t start = shard ? shard->first - 1 : 0;
  const std::uint64_t step = shard ? shard->second : 1;
  SIMRUN_ASSERT(step >= 1 && step <= kMaxShards && start < step, "a shard is I/N with 1 <= I <= N");
  SIMRUN_ASSERT(range.count <= kMaxSweepSeeds, "parse_seed_range bounds the range");
  for (std::uint64_t position = start; position < range.count; position += step) {
    seeds.push_back(range.first + position);
  }
  SIMRUN_ASSERT(seeds.size() <= range.count / step + 1, "a shard holds its share of the range");
  return seeds;
}

}  // namespace simrun::cli
