#include "tools/simrun/duration.h"

#include <doctest/doctest.h>

#include "tools/simrun/input_error.h"

using namespace simrun::cli;

TEST_CASE("durations accept ms, s, m, h and bare integer milliseconds") {
  CHECK(parse_duration_ms("500ms") == 500);
  CHECK(parse_duration_ms("30s") == 30'000);
  CHECK(parse_duration_ms("10m") == 600'000);
  CHECK(parse_duration_ms("1h") == 3'600'000);
  CHECK(parse_duration_ms("250") == 250);
  CHECK(parse_duration_ms("0") == 0);
}

TEST_CASE("durations reject units, signs, spaces and overflow") {
  for (const char* bad : {"", "ms", "-5s", "5 s", "5sec", "1.5s", "10d", "s10",
                          "99999999999999999999ms", "9999999999999h"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_duration_ms(bad), InputError);
  }
}

TEST_CASE("durations from JSON: integers are milliseconds, strings are parsed") {
  CHECK(duration_ms_from_json(nlohmann::json(1500)) == 1500);
  CHECK(duration_ms_from_json(nlohmann::json("2s")) == 2000);
  CHECK_THROWS_AS(duration_ms_from_json(nlohmann::json(-1)), InputError);
  CHECK_THROWS_AS(duration_ms_from_json(nlohmann::json(1.5)), InputError);
  CHECK_THROWS_AS(duration_ms_from_json(nlohmann::json::array()), InputError);
}

TEST_CASE("format_duration_ms picks the largest exact unit and round-trips") {
  CHECK(format_duration_ms(600'000) == "10m");
  CHECK(format_duration_ms(30'000) == "30s");
  CHECK(format_duration_ms(1500) == "1500ms");
  CHECK(format_duration_ms(0) == "0ms");
  for (std::int64_t ms : {1, 999, 1000, 61'000, 3'600'000, 7'200'500}) {
    CHECK(parse_duration_ms(format_duration_ms(ms)) == ms);
  }
}
