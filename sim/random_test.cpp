#include "sim/random.h"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "sim/hash.h"

namespace simrun::sim {

// Golden values: computed once, cross-checked for next_u64 against an
// independent Python transcription of xoshiro256** + splitmix64, and
// identical under gcc 12 and clang 14. A change here changes every seed's
// run, so it must be deliberate. Results of log/cos/exp are compared to
// 1e-12 relative: libm may differ by an ulp between versions.
TEST_CASE("next_u64 golden values for seed 42") {
  Rng rng(42);
  CHECK(rng.next_u64() == 0x15780b2e0c2ec716ULL);
  CHECK(rng.next_u64() == 0x6104d9866d113a7eULL);
  CHECK(rng.next_u64() == 0xae17533239e499a1ULL);
}

TEST_CASE("every distribution's golden values for seed 7") {
  Rng rng(7);
  CHECK(rng.below(1000) == 994);
  CHECK(rng.below(1000) == 674);
  CHECK(rng.below(1000) == 638);
  CHECK(rng.uniform_int(-5, 5) == 3);
  CHECK(rng.uniform_int(-5, 5) == -2);
  CHECK(rng.uniform_int(-5, 5) == -4);
  CHECK(rng.uniform01() == 0.060752079492816136);
  CHECK(rng.uniform01() == 0.10443578924281161);
  CHECK(rng.uniform01() == 0.40370652610252655);
  CHECK(rng.uniform_real(2.0, 4.0) == 2.3036322146682409);
  CHECK(rng.uniform_real(2.0, 4.0) == 3.0827351970767678);
  CHECK_FALSE(rng.bernoulli(0.5));
  CHECK_FALSE(rng.bernoulli(0.5));
  CHECK_FALSE(rng.bernoulli(0.5));
  CHECK(rng.exponential(10.0) == doctest::Approx(6.0042152454623956).epsilon(1e-12));
  CHECK(rng.exponential(10.0) == doctest::Approx(8.2298053991624371).epsilon(1e-12));
  CHECK(rng.normal(1.0, 2.0) == doctest::Approx(-0.50603551191826068).epsilon(1e-12));
  CHECK(rng.normal(1.0, 2.0) == doctest::Approx(1.7787727665178497).epsilon(1e-12));
  CHECK(rng.lognormal(0.0, 0.5) == doctest::Approx(0.83684635070392344).epsilon(1e-12));
  CHECK(rng.lognormal(0.0, 0.5) == doctest::Approx(0.86592793004531599).epsilon(1e-12));
  const std::array<double, 3> weights{1.0, 0.0, 3.0};
  CHECK(rng.weighted_choice(weights) == 2);
  CHECK(rng.weighted_choice(weights) == 0);
  CHECK(rng.weighted_choice(weights) == 0);
  CHECK(rng.weighted_choice(weights) == 2);

  const DurationDistribution uniform = DurationDistribution::uniform(100, 200);
  const DurationDistribution exponential = DurationDistribution::exponential(10, 1000);
  const DurationDistribution lognormal =
      DurationDistribution::lognormal(0, 1'000'000, 0.5, 1'500'000);
  CHECK(uniform.sample(rng) == 123);
  CHECK(uniform.sample(rng) == 138);
  CHECK(exponential.sample(rng) == 102);
  CHECK(exponential.sample(rng) == 157);
  CHECK(lognormal.sample(rng) == 1'500'000);  // clamped to max_ns
  CHECK(lognormal.sample(rng) == 368951);
  CHECK(lognormal.sample(rng) == 837552);
}

TEST_CASE("named streams are fixed and independent of each other") {
  Rng network = Rng::stream(1, "network");
  Rng disk = Rng::stream(1, "disk");
  CHECK(network.next_u64() == 0x8eb49c3debf4bf51ULL);
  CHECK(disk.next_u64() == 0xfca299b9a5654a51ULL);
  // Using one stream heavily does not move another.
  Rng a = Rng::stream(9, "faults");
  Rng b = Rng::stream(9, "workload");
  const std::uint64_t b_first = Rng::stream(9, "workload").next_u64();
  for (int i = 0; i < 1000; ++i) (void)a.next_u64();
  CHECK(b.next_u64() == b_first);
  CHECK(Rng::stream(9, "faults").next_u64() != Rng::stream(10, "faults").next_u64());
}

TEST_CASE("fixed hash values") {
  CHECK(hash_string("simrun") == 0xd3ebef7fb7440240ULL);
  CHECK(hash_string("ab") != hash_string("ba"));
  Hasher split_one;
  split_one.add_string("ab");
  split_one.add_string("c");
  Hasher split_two;
  split_two.add_string("a");
  split_two.add_string("bc");
  CHECK(split_one.value() != split_two.value());
}

TEST_CASE("below and uniform_int stay in range and cover it evenly") {
  Rng rng(123);
  std::vector<int> counts(6, 0);
  const int draws = 60'000;
  for (int i = 0; i < draws; ++i) {
    const std::int64_t value = rng.uniform_int(1, 6);
    REQUIRE(value >= 1);
    REQUIRE(value <= 6);
    ++counts[static_cast<std::size_t>(value - 1)];
  }
  // Each face expects 10,000; 5 sigma is about 456.
  for (int count : counts) CHECK(std::abs(count - 10'000) < 500);
  // A bound that is not a power of two near 2^63 still stays in range.
  const std::uint64_t huge = (1ULL << 63) + 12345;
  for (int i = 0; i < 1000; ++i) CHECK(rng.below(huge) < huge);
  CHECK(rng.below(1) == 0);
  // Full 64-bit span does not overflow.
  (void)rng.uniform_int(INT64_MIN, INT64_MAX);
}

TEST_CASE("continuous distributions have roughly the right moments") {
  Rng rng(99);
  const int draws = 100'000;
  double sum_uniform = 0, sum_exponential = 0, sum_normal = 0, sum_normal_sq = 0;
  int heads = 0;
  std::vector<double> lognormal;
  for (int i = 0; i < draws; ++i) {
    const double u = rng.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum_uniform += u;
    sum_exponential += rng.exponential(5.0);
    const double z = rng.normal(3.0, 2.0);
    sum_normal += z;
    sum_normal_sq += (z - 3.0) * (z - 3.0);
    heads += rng.bernoulli(0.25) ? 1 : 0;
  }
  CHECK(sum_uniform / draws == doctest::Approx(0.5).epsilon(0.01));
  CHECK(sum_exponential / draws == doctest::Approx(5.0).epsilon(0.02));
  CHECK(sum_normal / draws == doctest::Approx(3.0).epsilon(0.01));
  CHECK(std::sqrt(sum_normal_sq / draws) == doctest::Approx(2.0).epsilon(0.02));
  CHECK(static_cast<double>(heads) / draws == doctest::Approx(0.25).epsilon(0.03));
  // lognormal(mu, sigma) has median exp(mu).
  int below_median = 0;
  for (int i = 0; i < draws; ++i) below_median += rng.lognormal(1.0, 0.7) < std::exp(1.0) ? 1 : 0;
  CHECK(static_cast<double>(below_median) / draws == doctest::Approx(0.5).epsilon(0.02));
}

TEST_CASE("bernoulli extremes and weighted_choice proportions") {
  Rng rng(5);
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(rng.bernoulli(0.0));
    CHECK(rng.bernoulli(1.0));
  }
  const std::array<double, 3> weights{1.0, 2.0, 7.0};
  std::array<int, 3> counts{};
  for (int i = 0; i < 50'000; ++i) ++counts[rng.weighted_choice(weights)];
  CHECK(counts[0] / 50'000.0 == doctest::Approx(0.1).epsilon(0.05));
  CHECK(counts[1] / 50'000.0 == doctest::Approx(0.2).epsilon(0.05));
  CHECK(counts[2] / 50'000.0 == doctest::Approx(0.7).epsilon(0.05));
}

TEST_CASE("duration distributions respect their bounds") {
  Rng rng(11);
  const DurationDistribution fixed = DurationDistribution::fixed(millis(3));
  const DurationDistribution uniform = DurationDistribution::uniform(millis(1), millis(2));
  for (int i = 0; i < 1000; ++i) {
    CHECK(fixed.sample(rng) == millis(3));
    const duration_ns value = uniform.sample(rng);
    CHECK(value >= millis(1));
    CHECK(value <= millis(2));
  }
  // Lognormal with a base and a ceiling: never below the base, never above
  // the ceiling, and the median sits near base + median.
  const DurationDistribution lognormal =
      DurationDistribution::lognormal(micros(500), millis(1), 0.6, millis(20));
  CHECK(lognormal.kind == DurationDistribution::Kind::lognormal);
  CHECK(lognormal.base_ns == micros(500));
  CHECK(lognormal.median_ns == millis(1));
  CHECK(lognormal.sigma == 0.6);
  CHECK(lognormal.max_ns == millis(20));
  std::size_t below_median = 0;
  const DurationDistribution exponential = DurationDistribution::exponential(millis(1), millis(2));
  CHECK(exponential.kind == DurationDistribution::Kind::exponential);
  CHECK(exponential.max_ns == 0);
  for (int i = 0; i < 10'000; ++i) {
    const duration_ns value = lognormal.sample(rng);
    CHECK(value >= micros(500));
    CHECK(value <= millis(20));
    if (value < micros(1500)) ++below_median;
    CHECK(exponential.sample(rng) >= millis(1));
  }
  CHECK(static_cast<double>(below_median) / 10'000.0 == doctest::Approx(0.5).epsilon(0.05));
}

}  // namespace simrun::sim
