#include "tools/simrun/duration.h"

#include <limits>

#include "sim/assert.h"
#include "tools/simrun/input_error.h"

namespace simrun::cli {

namespace {

// Bounded so that milliseconds * 1e6 (nanoseconds) stays far from overflow.
constexpr std::int64_t kMaxDurationMs = std::int64_t{1} << 40;

[[noreturn]] void bad_duration(std::string_view text) {
  throw InputError("invalid duration \"" + std::string(text) +
                   "\": expected a duration like 500ms, 30s, 10m, 1h or integer milliseconds");
}

}  // namespace

std::int64_t parse_duration_ms(std::string_view text) {
  std::size_t digits = 0;
  std::int64_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (digits >= 15) bad_duration(text);  // bounded loop, and no overflow
    value = value * 10 + (text[digits] - '0');
    ++digits;
  }
  if (digits == 0) bad_duration(text);
  const std::string_view unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 60 * 60 * 1000;
  } else {
    bad_duration(text);
  }
  SIMRUN_ASSERT(scale > 0 && value >= 0, "a parsed duration is a non-negative count of units");
  if (value > kMaxDurationMs / scale) bad_duration(text);
  SIMRUN_ASSERT(value * scale <= kMaxDurationMs, "the bound check above keeps it in range");
  return value * scale;
}

std::int64_t duration_ms_from_json(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    const auto ms = value.get<std::int64_t>();
    if (ms < 0 || ms > kMaxDurationMs) bad_duration(value.dump());
    return ms;
  }
  if (value.is_string()) return parse_duration_ms(value.get<std::string>());
  bad_duration(value.dump());
}

std::string format_duration_ms(std::int64_t duration_ms) {
  SIMRUN_ASSERT(duration_ms >= 0, "durations are never negative");
  if (duration_ms != 0 && duration_ms % (60 * 60 * 1000) == 0) {
    return std::to_string(duration_ms / (60 * 60 * 1000)) + "h";
  }
  if (duration_ms != 0 && duration_ms % (60 * 1000) == 0) {
    return std::to_string(duration_ms / (60 * 1000)) + "m";
  }
  if (duration_ms != 0 && duration_ms % 1000 == 0) return std::to_string(duration_ms / 1000) + "s";
  return std::to_string(duration_ms) + "ms";
}

}  // namespace simrun::cli
