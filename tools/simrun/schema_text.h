#pragma once
// The scenario JSON Schema (scenarios/scenario.schema.json), compiled in.

#include <string_view>

namespace simrun::cli {
std::string_view scenario_schema_text();
}  // namespace simrun::cli
