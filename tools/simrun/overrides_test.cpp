#include "tools/simrun/overrides.h"

#include <doctest/doctest.h>

#include "tools/simrun/input_error.h"

using namespace simrun::cli;
using nlohmann::json;

TEST_CASE("--set values are JSON, with bare words taken as strings") {
  CHECK(parse_override("cluster.raft.election_timeout_ms=3000").value == json(3000));
  CHECK(parse_override("cluster.profile=\"v1.3.67\"").value == json("v1.3.67"));
  CHECK(parse_override("cluster.profile=v1.3.67").value == json("v1.3.67"));
  CHECK(parse_override("cluster.raft.pre_vote=false").value == json(false));
  CHECK(parse_override("a={\"b\":[1,2]}").value == json::parse(R"({"b":[1,2]})"));
  CHECK(parse_override("faults.0.targets=[\"leader:__meta\"]").value ==
        json::array({"leader:__meta"}));
  CHECK(parse_override("x=1.5").value == json(1.5));
  CHECK(parse_override("name=\"a=b\"").value == json("a=b"));
}

TEST_CASE("--set rejects malformed arguments") {
  CHECK_THROWS_AS(parse_override("no_equals"), InputError);
  CHECK_THROWS_AS(parse_override("=3"), InputError);
  CHECK_THROWS_AS(parse_override("a..b=3"), InputError);
  CHECK_THROWS_AS(parse_override("a.=3"), InputError);
  CHECK_THROWS_AS(parse_override("a={broken"), InputError);
  CHECK_THROWS_AS(parse_override("a=two words"), InputError);
}

TEST_CASE("apply_override sets nested keys and array elements") {
  json doc = json::parse(R"({"cluster":{"nodes":3},"faults":[{"at":"1s"}]})");
  apply_override(doc, parse_override("cluster.nodes=5"), "x.json");
  apply_override(doc, parse_override("cluster.raft.pre_vote=false"), "x.json");
  apply_override(doc, parse_override("faults.0.at=2s"), "x.json");
  apply_override(doc, parse_override("faults.1={\"at\":5,\"action\":\"heal\"}"), "x.json");
  CHECK(doc["cluster"]["nodes"] == 5);
  CHECK(doc["cluster"]["raft"]["pre_vote"] == false);
  CHECK(doc["faults"][0]["at"] == "2s");
  CHECK(doc["faults"][1]["action"] == "heal");
}

TEST_CASE("apply_override names the file and path of a bad path") {
  json doc = json::parse(R"({"cluster":{"nodes":3},"faults":[]})");
  try {
    apply_override(doc, parse_override("cluster.nodes.x=1"), "s.json");
    FAIL("expected InputError");
  } catch (const InputError& error) {
    const std::string message = error.what();
    CHECK(message.find("s.json") != std::string::npos);
    CHECK(message.find("/cluster/nodes") != std::string::npos);
  }
  CHECK_THROWS_AS(apply_override(doc, parse_override("faults.3.at=1"), "s.json"), InputError);
  CHECK_THROWS_AS(apply_override(doc, parse_override("faults.x=1"), "s.json"), InputError);
}

TEST_CASE("override_argument quotes for the shell and round-trips") {
  const Override original = parse_override("cluster.profile=v1.3.67");
  CHECK(override_argument(original) == "--set 'cluster.profile=\"v1.3.67\"'");
  const Override tricky = parse_override("name=\"it's\"");
  CHECK(override_argument(tricky) == "--set 'name=\"it'\\''s\"'");
}
