#pragma once
// Reading a scenario: JSON syntax (with line and column), --set overrides,
// JSON Schema validation (valijson, scenarios/scenario.schema.json), then the
// checks a schema cannot express (a node that does not exist, a producer for
// an unknown topic, a fault missing the parameters its action needs). Every
// failure is an InputError naming the file, the JSON path and what was
// expected.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/random.h"
#include "tools/simrun/overrides.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

struct LoadOptions {
  std::vector<Override> overrides;
  std::optional<std::uint64_t> seed;
  std::optional<std::int64_t> duration_ms;
};

Scenario load_scenario_file(const std::string& file, const LoadOptions& options);
// The same from text already read (`file` names it in messages).
Scenario load_scenario_text(std::string_view text, const std::string& file,
                            const LoadOptions& options);

// A latency distribution as scenarios write it ({"kind": "fixed"|"uniform"|
// "exponential"|"lognormal", ... in milliseconds}); an InputError names
// `file` and `pointer` when a field is missing or out of order. The fault
// injector reuses it for latency_spike parameters the loader already checked.
sim::DurationDistribution distribution_from_json(const nlohmann::json& value,
                                                 const std::string& file,
                                                 const std::string& pointer);

// A fault target naming a client process ("producer2", "consumer1"), not a
// broker node or a node selector. The loader checks the name exists; the
// fault injector resolves it.
bool is_client_ref(std::string_view ref);

// Schema validation alone; returns human-readable errors, "/json/path: what"
// (empty when valid).
std::vector<std::string> schema_errors(const nlohmann::json& document);

}  // namespace simrun::cli
