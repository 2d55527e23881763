#pragma once
// Durations as scenarios and the command line write them: "500ms", "30s",
// "10m", "1h", or a bare integer meaning milliseconds.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace simrun::cli {

// Throws InputError ("expected a duration like 500ms, 30s, 10m or integer
// milliseconds") for anything else, including negative and overflowing values.
std::int64_t parse_duration_ms(std::string_view text);
// A JSON integer (milliseconds) or a string as above.
std::int64_t duration_ms_from_json(const nlohmann::json& value);
// The shortest exact spelling: 600000 -> "10m", 1500 -> "1500ms".
std::string format_duration_ms(std::int64_t duration_ms);

}  // namespace simrun::cli
