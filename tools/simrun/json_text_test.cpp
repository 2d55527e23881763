#include "tools/simrun/json_text.h"

#include <doctest/doctest.h>

#include "tools/simrun/input_error_for_tests.h"

using simrun::cli::parse_json_text;
using simrun::cli::testing::contains;
using simrun::cli::testing::input_error_of;

namespace {

std::string error_of(std::string_view text) {
  return input_error_of([&] { return parse_json_text(text, "s.json"); });
}

}  // namespace

TEST_CASE("valid text parses") {
  CHECK(parse_json_text(R"({"a": [1, 2.5, "x"]})", "s.json")["a"][1] == 2.5);
}

TEST_CASE("a syntax error names the file, line and column") {
  const std::string error = error_of("{\n  \"a\": 1,\n  \"b\" 2\n}");
  CHECK(contains(error, "s.json:3:7: invalid JSON: syntax error"));
}

TEST_CASE("a number beyond a double is bad input with its path, not a library exception") {
  const std::string error =
      error_of("{\"faults\": [{\"at\": 1}, {\"params\": {\"offset_ms\": 1e400}}]}");
  CHECK(contains(error, "s.json:1:"));
  CHECK(contains(error, "/faults/1/params/offset_ms: number out of range"));
  CHECK(contains(error_of("[0, -1e999]"), "/1: number out of range"));
  CHECK(contains(error_of("{\"a/b\": {\"c~d\": 1e400}}"), "/a~1b/c~0d: number out of range"));
  CHECK(contains(error_of("1e400"), ": /: number out of range"));
}
