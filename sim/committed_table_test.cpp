#include "sim/committed_table.h"

#include <doctest/doctest.h>

#include <map>

#include "sim/random.h"

namespace simrun::sim {

namespace {
CommittedEntry entry_of(std::uint64_t term, std::uint32_t node) {
  return CommittedEntry{LogEntryId{term, term * 31}, term, node};
}
}  // namespace

TEST_CASE("committed table: emplace keeps the first entry at an index; holes are empty") {
  CommittedTable table;
  CHECK(table.empty());
  CHECK(table.find(1) == nullptr);
  CHECK(table.emplace(5, entry_of(2, 1)).second);
  CHECK_FALSE(table.emplace(5, entry_of(3, 2)).second);
  CHECK(table.find(5)->first_node == 1);
  CHECK(table.emplace(8, entry_of(2, 2)).second);
  CHECK(table.find(6) == nullptr);
  CHECK(table.find(7) == nullptr);
  CHECK(table.emplace(3, entry_of(1, 3)).second);  // a lagging node, below the first
  CHECK(table.first_index() == 3);
  CHECK(table.end_index() == 9);
  CHECK(table.size() == 3);
  table.erase_below(4);
  CHECK(table.find(3) == nullptr);
  CHECK(table.first_index() == 5);  // the hole at 4 goes with it
  CHECK(table.size() == 2);
  table.erase_below(100);
  CHECK(table.empty());
  CHECK(table.emplace(200, entry_of(9, 1)).second);
  CHECK(table.first_index() == 200);
}

TEST_CASE("committed table: agrees with a std::map under random emplace and erase") {
  CommittedTable table;
  std::map<std::uint64_t, CommittedEntry> model;
  Rng rng(99);
  for (int step = 0; step < 20000; ++step) {
    const std::uint64_t action = rng.below(10);
    if (action < 8) {
      const std::uint64_t index = 1 + rng.below(400) + static_cast<std::uint64_t>(step / 50);
      const CommittedEntry value = entry_of(rng.below(5), static_cast<std::uint32_t>(step));
      const auto [held, inserted] = table.emplace(index, value);
      const auto [it, model_inserted] = model.emplace(index, value);
      REQUIRE(inserted == model_inserted);
      REQUIRE(held->first_node == it->second.first_node);
    } else {
      const std::uint64_t below = rng.below(static_cast<std::uint64_t>(step / 50) + 50);
      table.erase_below(below);
      model.erase(model.begin(), model.lower_bound(below));
    }
    REQUIRE(table.size() == model.size());
    if (!model.empty()) REQUIRE(table.first_index() == model.begin()->first);
  }
  for (std::uint64_t index = 0; index < 1000; ++index) {
    const auto found = model.find(index);
    REQUIRE((table.find(index) != nullptr) == (found != model.end()));
    if (found != model.end()) CHECK(table.find(index)->first_node == found->second.first_node);
  }
}

}  // namespace simrun::sim
