#include "sim/random.h"

#include <cmath>
#include <limits>

#include "sim/assert.h"
#include "sim/hash.h"

namespace simrun::sim {

namespace {
constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
constexpr double kTwoPi = 6.283185307179586476925286766559;

// Rounds a non-negative double to nanoseconds, saturating instead of
// overflowing (a double beyond int64 range is undefined to convert).
duration_ns to_duration(double value) {
  if (!(value > 0.0)) return 0;  // also maps NaN to 0
  if (value >= 9.0e18) return std::numeric_limits<duration_ns>::max() / 2;
  return static_cast<duration_ns>(std::llround(value));
}
}  // namespace

Rng::Rng(std::uint64_t seed) {
  // splitmix64: consecutive outputs of mix64 over seed + k * golden.
  std::uint64_t x = seed;
  for (auto& word : s_) {
    word = mix64(x);
    x += 0x9e3779b97f4a7c15ULL;
  }
  SIMRUN_ASSERT((s_[0] | s_[1] | s_[2] | s_[3]) != 0, "xoshiro state must not be all zero");
}

Rng Rng::stream(std::uint64_t seed, std::string_view name) {
  Hasher hasher(0x5eed5eed5eed5eedULL);
  hasher.add(seed);
  hasher.add_string(name);
  return Rng(hasher.value());
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t bound) {
  SIMRUN_ASSERT(bound > 0, "below(0) has no valid result");
  // Reject the lowest (2^64 mod bound) values so every residue is equally
  // likely. Each try is rejected with probability < 1/2, so 128 tries all
  // failing has probability < 2^-128: the bound is an assertion, not a path.
  const std::uint64_t threshold = (0 - bound) % bound;
  for (int attempt = 0; attempt < 128; ++attempt) {
    const std::uint64_t value = next_u64();
    if (value >= threshold) return value % bound;
  }
  SIMRUN_ASSERT(false, "rejection sampling failed 128 times: broken generator");
  return 0;
}

std::int64_t Rng::uniform_int(std::int64_t low, std::int64_t high) {
  SIMRUN_ASSERT(low <= high, "uniform_int needs low <= high");
  const std::uint64_t span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  if (span == std::numeric_limits<std::uint64_t>::max()) {
    return static_cast<std::int64_t>(next_u64());
  }
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + below(span + 1));
}

double Rng::uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform_real(double low, double high) {
  SIMRUN_ASSERT(low <= high, "uniform_real needs low <= high");
  return low + (high - low) * uniform01();
}

bool Rng::bernoulli(double probability) {
  // Always consumes one draw, so the stream position does not depend on
  // whether a probability happens to be 0 or 1.
  return uniform01() < probability;
}

double Rng::exponential(double mean) {
  SIMRUN_ASSERT(mean >= 0.0, "exponential mean must be >= 0");
  return -mean * std::log(1.0 - uniform01());  // 1 - u lies in (0, 1]
}

double Rng::normal(double mean, double stddev) {
  const double u1 = 1.0 - uniform01();  // (0, 1]: log is finite
  const double u2 = uniform01();
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

double Rng::lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }

std::size_t Rng::weighted_choice(std::span<const double> weights) {
  double total = 0.0;
  for (double weight : weights) {
    SIMRUN_ASSERT(weight >= 0.0, "weights must be non-negative");
    total += weight;
  }
  SIMRUN_ASSERT(total > 0.0, "weights must not all be zero");
  const double target = uniform01() * total;
  double cumulative = 0.0;
  std::size_t last_positive = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0.0) continue;
    cumulative += weights[i];
    last_positive = i;
    if (target < cumulative) return i;
  }
  return last_positive;  // rounding left target == total: the last real choice
}

DurationDistribution DurationDistribution::fixed(duration_ns value) {
  DurationDistribution d;
  d.kind = Kind::fixed;
  d.base_ns = value;
  return d;
}

DurationDistribution DurationDistribution::uniform(duration_ns low, duration_ns high) {
  SIMRUN_ASSERT(low <= high, "uniform duration needs low <= high");
  DurationDistribution d;
  d.kind = Kind::uniform;
  d.base_ns = low;
  d.jitter_ns = high - low;
  return d;
}

DurationDistribution DurationDistribution::exponential(duration_ns base, duration_ns mean,
                                                       duration_ns max) {
  SIMRUN_ASSERT(base >= 0 && mean >= 0, "exponential duration needs base >= 0 and mean >= 0");
  SIMRUN_ASSERT(max >= 0, "exponential duration: max_ns 0 means unclamped, never negative");
  DurationDistribution d;
  d.kind = Kind::exponential;
  d.base_ns = base;
  d.mean_ns = mean;
  d.max_ns = max;
  return d;
}

DurationDistribution DurationDistribution::lognormal(duration_ns base, duration_ns median,
                                                     double sigma, duration_ns max) {
  SIMRUN_ASSERT(base >= 0, "lognormal duration needs base >= 0");
  SIMRUN_ASSERT(median > 0, "lognormal duration needs a positive median");
  SIMRUN_ASSERT(sigma >= 0.0, "lognormal duration needs sigma >= 0");
  SIMRUN_ASSERT(max >= 0, "lognormal duration: max_ns 0 means unclamped, never negative");
  DurationDistribution d;
  d.kind = Kind::lognormal;
  d.base_ns = base;
  d.median_ns = median;
  d.sigma = sigma;
  d.max_ns = max;
  return d;
}

duration_ns DurationDistribution::sample(Rng& rng) const {
  duration_ns value = base_ns;
  switch (kind) {
    case Kind::fixed:
      break;
    case Kind::uniform:
      value += rng.uniform_int(0, jitter_ns);
      break;
    case Kind::exponential:
      value += to_duration(rng.exponential(static_cast<double>(mean_ns)));
      break;
    case Kind::lognormal:
      SIMRUN_ASSERT(median_ns > 0, "lognormal duration needs a positive median");
      if (log_median_of_ns_ != median_ns) {
        log_median_ = std::log(static_cast<double>(median_ns));
        log_median_of_ns_ = median_ns;
      }
      value += to_duration(rng.lognormal(log_median_, sigma));
      break;
  }
  if (max_ns > 0 && value > max_ns) value = max_ns;
  return value < 0 ? 0 : value;
}

}  // namespace simrun::sim
