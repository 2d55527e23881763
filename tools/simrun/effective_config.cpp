#include "tools/simrun/effective_config.h"

#include "broker/config_json.h"

namespace simrun::cli {

namespace {

// Dotted paths ("broker.metadata_retry") of the leaves, or whole arrays,
// where `actual` differs from `reference`; both have the same keys (one
// config_to_json shape).
void differences(const nlohmann::json& actual, const nlohmann::json& reference,
                 const std::string& prefix, std::vector<std::string>& out) {
  if (actual.is_object() && reference.is_object()) {
    for (const auto& [key, value] : actual.items()) {
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      if (!reference.contains(key)) {
        out.push_back(path);
      } else {
        differences(value, reference[key], path, out);
      }
    }
    return;
  }
  if (actual != reference) out.push_back(prefix);
}

}  // namespace

nlohmann::json effective_config_json(const std::string& profile,
                                     const std::vector<Override>& overrides,
                                     const nlohmann::json& scenario_knobs,
                                     const broker::BrokerConfig& effective) {
  nlohmann::json set = nlohmann::json::object();
  for (const Override& override_value : overrides) {
    if (override_value.path.rfind("cluster.", 0) == 0)
      set[override_value.path] = override_value.value;
  }
  const nlohmann::json knobs = broker::config_to_json(effective);
  std::vector<std::string> changed;
  differences(knobs, broker::config_to_json(broker::profile(profile)), "", changed);
  return {{"profile", profile},
          {"overrides", set},
          {"scenario_knobs", scenario_knobs},
          {"differs_from_profile", changed},
          {"raft", knobs.at("raft")},
          {"broker", knobs.at("broker")}};
}

}  // namespace simrun::cli
