#pragma once
// `simrun merge DIR... --report OUT`: the shards of one sweep (each run with
// --shard I/N and --report DIR) combined into OUT/sweep.json, byte for byte
// the sweep.json of the same sweep run unsharded. Refuses shards of
// different sweeps (scenario, overrides, seeds, duration), a missing or
// repeated shard, and --until-fail shards (each stops at its own first
// failure, so their union is not the unsharded result).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace simrun::cli {

// `paths`: report folders or sweep.json files. InputError on a mismatch.
nlohmann::json merge_shards(const std::vector<std::string>& paths);

}  // namespace simrun::cli
