#include "tools/simrun/seed_range.h"

#include <doctest/doctest.h>

#include <set>

#include "tools/simrun/input_error.h"

using namespace simrun::cli;

TEST_CASE("--seeds N and A..B") {
  const SeedRange n = parse_seed_range("20", 5);
  CHECK(n.first == 5);
  CHECK(n.count == 20);
  const SeedRange ab = parse_seed_range("100..199", 1);
  CHECK(ab.first == 100);
  CHECK(ab.count == 100);
  CHECK(parse_seed_range("7..7", 1).count == 1);
  CHECK_THROWS_AS(parse_seed_range("0", 1), InputError);
  CHECK_THROWS_AS(parse_seed_range("9..3", 1), InputError);
  CHECK_THROWS_AS(parse_seed_range("x", 1), InputError);
  CHECK_THROWS_AS(parse_seed_range("1..", 1), InputError);
  CHECK_THROWS_AS(parse_seed_range("1000001", 1), InputError);
  CHECK_THROWS_AS(parse_seed_range("0..1000000", 1), InputError);
  CHECK_THROWS_AS(parse_seed_range("10", UINT64_MAX - 3), InputError);
}

TEST_CASE("shards partition the range: every seed exactly once") {
  const SeedRange range{10, 23};
  std::multiset<std::uint64_t> all;
  for (std::uint64_t i = 1; i <= 4; ++i) {
    for (auto seed : shard_seeds(range, std::pair{i, std::uint64_t{4}})) all.insert(seed);
  }
  CHECK(all.size() == 23);
  CHECK(std::set<std::uint64_t>(all.begin(), all.end()).size() == 23);
  CHECK(*all.begin() == 10);
  CHECK(*all.rbegin() == 32);
  CHECK(shard_seeds(range, std::pair{std::uint64_t{2}, std::uint64_t{4}}) ==
        std::vector<std::uint64_t>{11, 15, 19, 23, 27, 31});
  CHECK(shard_seeds(range, std::nullopt).size() == 23);
  // More shards than seeds: the extra shards are empty.
  CHECK(shard_seeds(SeedRange{1, 2}, std::pair{std::uint64_t{3}, std::uint64_t{5}}).empty());
}

TEST_CASE("--shard I/N, and --shards N with the index from the environment (0-based)") {
  CHECK(parse_shard("2/4") == std::pair<std::uint64_t, std::uint64_t>{2, 4});
  CHECK_THROWS_AS(parse_shard("0/4"), InputError);
  CHECK_THROWS_AS(parse_shard("5/4"), InputError);
  CHECK_THROWS_AS(parse_shard("4"), InputError);
  CHECK(shard_from(std::string("3/8"), std::nullopt, "0", nullptr) ==
        std::pair<std::uint64_t, std::uint64_t>{3, 8});
  CHECK(shard_from(std::nullopt, 4, "0", nullptr) == std::pair<std::uint64_t, std::uint64_t>{1, 4});
  CHECK(shard_from(std::nullopt, 4, nullptr, "3") == std::pair<std::uint64_t, std::uint64_t>{4, 4});
  CHECK(shard_from(std::nullopt, 4, "", "2") == std::pair<std::uint64_t, std::uint64_t>{3, 4});
  CHECK_FALSE(shard_from(std::nullopt, std::nullopt, "1", nullptr).has_value());
  CHECK_THROWS_AS(shard_from(std::nullopt, 4, "4", nullptr), InputError);
  CHECK_THROWS_AS(shard_from(std::nullopt, 4, nullptr, nullptr), InputError);
  CHECK_THROWS_AS(shard_from(std::string("1/2"), 2, nullptr, nullptr), InputError);
}
