#pragma once
// Which seeds a sweep runs: `--seeds N` (N seeds from the first seed),
// `--seeds A..B` (A to B inclusive), and `--shard I/N`, the deterministic
// slice of shard I of N (1-based): the seeds at positions I-1, I-1+N,
// I-1+2N, ... of the range. Interleaving rather than cutting the range in
// blocks keeps shards equally loaded when seed cost drifts along the range.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace simrun::cli {

// A bound on one sweep: a sweep that never ends is a mistake, not a search.
inline constexpr std::uint64_t kMaxSweepSeeds = 1'000'000;
// A bound on shards (Kubernetes caps indexed Jobs at 100,000 completions).
inline constexpr std::uint64_t kMaxShards = 100'000;

struct SeedRange {
  std::uint64_t first = 1;
  std::uint64_t count = 0;
};

// "N" -> {default_first, N} (or {first_seed_option, N} when given);
// "A..B" -> {A, B-A+1}. InputError on anything else or out of bounds.
SeedRange parse_seed_range(const std::string& text, std::uint64_t default_first);

// "I/N" with 1 <= I <= N <= kMaxShards.
std::pair<std::uint64_t, std::uint64_t> parse_shard(const std::string& text);

// The shard to run: `--shard I/N` when given; else, with `--shards N`, the
// index from JOB_COMPLETION_INDEX (Kubernetes indexed Jobs) or
// SLURM_ARRAY_TASK_ID (Slurm job arrays), which count from 0 (pass the
// variables' values, nullptr when unset). nullopt when not sharded.
// InputError when --shards is given but neither variable is set.
std::optional<std::pair<std::uint64_t, std::uint64_t>> shard_from(
    const std::optional<std::string>& shard_option, const std::optional<std::uint64_t>& shards,
    const char* job_completion_index, const char* slurm_array_task_id);

// The seeds of `range` that shard (index, count) runs, ascending.
std::vector<std::uint64_t> shard_seeds(
    const SeedRange& range, const std::optional<std::pair<std::uint64_t, std::uint64_t>>& shard);

}  // namespace simrun::cli
