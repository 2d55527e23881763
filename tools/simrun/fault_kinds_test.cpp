#include "tools/simrun/fault_kinds.h"

#include <doctest/doctest.h>

#include <set>

#include "sim/chaos_workload.h"

using namespace simrun::cli;

TEST_CASE("kFaultKinds is in enum order, names are unique and round-trip") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kFaultKinds.size(); ++i) {
    const FaultKindInfo& info = kFaultKinds[i];
    CHECK(static_cast<std::size_t>(info.kind) == i);
    CHECK(&fault_kind_info(info.kind) == &info);
    CHECK(names.insert(info.name).second);
    REQUIRE(fault_kind_from_name(info.name).has_value());
    CHECK(*fault_kind_from_name(info.name) == info.kind);
    CHECK(!info.summary.empty());
    // A kind that needs a duration accepts one.
    CHECK((!info.needs_duration || info.takes_duration));
    // Params are packed at the front, without repeats.
    bool ended = false;
    std::set<std::string_view> params;
    for (const std::string_view key : info.params) {
      if (key.empty()) {
        ended = true;
        continue;
      }
      CHECK(!ended);
      CHECK(params.insert(key).second);
    }
  }
  CHECK(!fault_kind_from_name("explode").has_value());
  CHECK(!fault_kind_from_name("").has_value());
}

TEST_CASE("fault_kind_names lists every kind for messages") {
  const std::string names = fault_kind_names();
  for (const FaultKindInfo& info : kFaultKinds) {
    CHECK(names.find(std::string(info.name)) != std::string::npos);
  }
  CHECK(names.rfind("crash, restart", 0) == 0);
}

namespace simrun::cli {
// The determinism workload dispatches over its own enum (sim/ cannot see
// this table), so its kinds are checked against the table here.
TEST_CASE("every fault kind of the chaos workload is a row of kFaultKinds") {
  std::set<std::string_view> names;
  for (sim::ChaosFault fault : sim::kChaosFaults) {
    const std::string_view name = sim::chaos_fault_name(fault);
    CAPTURE(name);
    CHECK(fault_kind_from_name(name).has_value());
    CHECK(names.insert(name).second);
  }
  CHECK(names.size() == sim::kChaosFaults.size());
}
}  // namespace simrun::cli
