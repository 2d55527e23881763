// Trace-record kinds are one set of names: sim/trace_kinds.h (the kernel's)
// and broker/events.h (the broker's) together, each kind once. Emitters and
// readers use the constants; this test checks the two lists are complete and
// disjoint, that the trigger table reads only kinds someone emits, and that no
// source outside the tests records a kind spelled as a string literal.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "broker/events.h"
#include "sim/trace_kinds.h"
#include "tools/simrun/fault_triggers.h"

namespace simrun::cli {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path.string() << " (run from the source root)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// How many kind constants a header declares: kAll must list each of them.
std::size_t declared_constants(const std::string& header) {
  const std::string text = read_file(header);
  std::size_t count = 0;
  for (std::size_t at = text.find("inline constexpr std::string_view"); at != std::string::npos;
       at = text.find("inline constexpr std::string_view", at + 1)) {
    ++count;
  }
  return count;
}

std::set<std::string_view> every_kind() {
  std::set<std::string_view> kinds(sim::trace_kinds::kAll.begin(), sim::trace_kinds::kAll.end());
  kinds.insert(broker::events::kAll.begin(), broker::events::kAll.end());
  return kinds;
}

}  // namespace

TEST_CASE("kAll lists every constant of its header, and the two sets share no name") {
  CHECK(sim::trace_kinds::kAll.size() == declared_constants("sim/trace_kinds.h"));
  CHECK(broker::events::kAll.size() == declared_constants("broker/events.h"));
  const std::set<std::string_view> kinds = every_kind();
  CHECK(kinds.size() == sim::trace_kinds::kAll.size() + broker::events::kAll.size());
  for (std::string_view kind : kinds) {
    CAPTURE(kind);
    CHECK(!kind.empty());
    CHECK(std::all_of(kind.begin(), kind.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    }));
  }
}

TEST_CASE("no broker kind starts with net. or disk.: metrics and checkers never see those") {
  // Simulation::observe passes the kernel's net.* and disk.* records only to
  // the fault triggers, extra observers and callbacks; a broker kind so named
  // would silently miss every metric and checker.
  for (std::string_view kind : broker::events::kAll) {
    CAPTURE(kind);
    CHECK(!kind.starts_with("net."));
    CHECK(!kind.starts_with("disk."));
  }
}

TEST_CASE("every trigger event is derived from a kind that is emitted") {
  const std::set<std::string_view> kinds = every_kind();
  for (const TriggerEventInfo& info : kTriggerEvents) {
    CAPTURE(info.name);
    CHECK(kinds.count(info.record_kind) == 1);
  }
}

TEST_CASE("no source records a kind spelled as a string literal") {
  // sim/chaos_workload.cpp's app.* kinds are that test workload's own
  // records, read by nobody.
  std::vector<std::filesystem::path> sources;
  for (const char* dir : {"sim", "raft", "broker", "tools/simrun"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      const bool code = name.ends_with(".cpp") || name.ends_with(".h");
      if (code && !name.ends_with("_test.cpp") && name != "chaos_workload.cpp") {
        sources.push_back(entry.path());
      }
    }
  }
  std::sort(sources.begin(), sources.end());
  REQUIRE(sources.size() > 50);
  for (const auto& path : sources) {
    const std::string text = read_file(path);
    CAPTURE(path.string());
    CHECK(text.find("record(\"") == std::string::npos);
  }
}

}  // namespace simrun::cli
