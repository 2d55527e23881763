#pragma once
// Scenario text to JSON. Every failure is an InputError naming the file, the
// line and column, and what went wrong: a syntax error, or a number JSON
// text can hold but a double cannot ("1e400"), which also names its JSON
// path ("/faults/0/params/offset_ms").

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace simrun::cli {

nlohmann::json parse_json_text(std::string_view text, const std::string& file);

}  // namespace simrun::cli
