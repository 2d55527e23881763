#pragma once
// summary.json "config": the configuration a run actually used, so a figure
// can be traced to the knobs behind it without re-deriving them from the
// profile, the scenario file and the --set overrides by hand.
//
//   {"profile": "v2.0.0",
//    "overrides": {"cluster.raft.pre_vote": true},   // the --set values under cluster.*
//    "scenario_knobs": {"raft": {...}, "broker": {...}},  // cluster.raft/broker as loaded
//    "differs_from_profile": ["raft.pre_vote", ...],  // knobs whose value is not the profile's
//    "raft": {...every cluster.raft knob...}, "broker": {...every cluster.broker knob...}}
//
// Every knob appears with its effective value (broker/config_json.h names),
// including those the profile set and nobody overrode.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/config.h"
#include "tools/simrun/overrides.h"

namespace simrun::cli {

nlohmann::json effective_config_json(const std::string& profile,
                                     const std::vector<Override>& overrides,
                                     const nlohmann::json& scenario_knobs,
                                     const broker::BrokerConfig& effective);

}  // namespace simrun::cli
