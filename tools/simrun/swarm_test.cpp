#include "tools/simrun/swarm.h"

#include <set>

#include <doctest/doctest.h>

using namespace simrun::cli;

namespace {

NemesisSpec three_kinds() {
  NemesisSpec nemesis;
  nemesis.to_ms = 60'000;
  for (const char* action : {"crash", "partition", "disk_stall"}) {
    NemesisKind kind;
    kind.kind = *fault_kind_from_name(action);
    kind.mean_interval_ms = 5000;
    kind.swarm = SwarmRange{1000, 9000, 500'000};
    nemesis.kinds.push_back(kind);
  }
  NemesisKind fixed;  // no range: always on, as written
  fixed.kind = FaultKind::heal;
  fixed.mean_interval_ms = 7000;
  nemesis.kinds.push_back(fixed);
  return nemesis;
}

}  // namespace

TEST_CASE("a swarm draw is a function of the seed") {
  NemesisSpec a = three_kinds();
  NemesisSpec b = three_kinds();
  CHECK(draw_swarm(a, 42) == draw_swarm(b, 42));
  REQUIRE(a.kinds.size() == b.kinds.size());
  for (std::size_t i = 0; i < a.kinds.size(); ++i) {
    CHECK(a.kinds[i].kind == b.kinds[i].kind);
    CHECK(a.kinds[i].mean_interval_ms == b.kinds[i].mean_interval_ms);
  }
}

TEST_CASE("seeds draw different mixes inside the declared ranges; unranged kinds stay") {
  std::set<std::string> mixes;
  std::set<std::size_t> sizes;
  for (std::uint64_t seed = 1; seed <= 64; ++seed) {
    NemesisSpec nemesis = three_kinds();
    mixes.insert(draw_swarm(nemesis, seed));
    sizes.insert(nemesis.kinds.size());
    REQUIRE(nemesis.kinds.size() >= 2);  // the fixed kind plus at least one ranged kind
    CHECK(nemesis.kinds.back().kind == FaultKind::heal);
    CHECK(nemesis.kinds.back().mean_interval_ms == 7000);
    for (const NemesisKind& kind : nemesis.kinds) {
      if (!kind.swarm) continue;
      CHECK(kind.mean_interval_ms >= 1000);
      CHECK(kind.mean_interval_ms <= 9000);
    }
  }
  CHECK(mixes.size() > 32);  // rates differ from seed to seed
  CHECK(sizes.size() == 3);  // 1, 2 or 3 ranged kinds on (+ the fixed one)
}

TEST_CASE("on_probability 0 still leaves one ranged kind on; 1 leaves all on") {
  NemesisSpec never = three_kinds();
  for (auto& kind : never.kinds) {
    if (kind.swarm) kind.swarm->on_per_million = 0;
  }
  (void)draw_swarm(never, 7);
  CHECK(never.kinds.size() == 2);
  NemesisSpec always = three_kinds();
  for (auto& kind : always.kinds) {
    if (kind.swarm) kind.swarm->on_per_million = 1'000'000;
  }
  const std::string line = draw_swarm(always, 7);
  CHECK(always.kinds.size() == 4);
  CHECK(line.find("off") == std::string::npos);
}
