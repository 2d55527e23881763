#pragma once
// BrokerConfig <-> JSON with the exact names given in broker/config.h, for
// the scenario runner's `cluster.raft.*` and `cluster.broker.*` objects.
//
// Reading overlays a JSON object onto an existing config (usually a named
// profile), so a scenario states only what it changes. Unknown keys, wrong
// types and unknown enum names are errors (std::invalid_argument) whose
// message names the full key path, e.g. "cluster.broker.metadata_retry.delays_ms[2]:
// expected an integer": a typo in a scenario must never be silently ignored.

#include <string_view>

#include <nlohmann/json.hpp>

#include "broker/config.h"

namespace simrun::broker {

// The `cluster.raft` fields of `config`.
nlohmann::json raft_config_to_json(const BrokerConfig& config);
// The `cluster.broker` fields of `config`.
nlohmann::json broker_config_to_json(const BrokerConfig& config);
// {"raft": ..., "broker": ...}
nlohmann::json config_to_json(const BrokerConfig& config);

// Overlay the keys present in `json` onto `config`. `path` prefixes error
// messages ("cluster.raft"). Throws std::invalid_argument.
void apply_raft_json(const nlohmann::json& json, BrokerConfig& config,
                     std::string_view path = "cluster.raft");
void apply_broker_json(const nlohmann::json& json, BrokerConfig& config,
                       std::string_view path = "cluster.broker");
// Overlay {"raft": ..., "broker": ...} (either may be absent) onto `base`.
BrokerConfig config_from_json(const nlohmann::json& json, BrokerConfig base = {},
                              std::string_view path = "cluster");

// Enum names as they appear in JSON.
std::string_view to_string(TickConversion value);
std::string_view to_string(ReadyMode value);
std::string_view to_string(MissedTicks value);

}  // namespace simrun::broker
