#pragma once
// Our own PRNG and distributions. The standard library's distributions are
// implementation-defined (libstdc++ and libc++ give different numbers for
// the same engine), so every distribution here is written out and pinned by
// sim/random_test.cpp.

#include <cstdint>
#include <span>
#include <string_view>

#include "sim/time.h"

namespace simrun::sim {

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  // An independent stream derived from (seed, name): "network", "disk",
  // "faults", "workload", "node/3". Changing how much one stream is used
  // never shifts another.
  static Rng stream(std::uint64_t seed, std::string_view name);

  std::uint64_t next_u64();
  // Uniform integer in [0, bound), bound > 0, without modulo bias.
  std::uint64_t below(std::uint64_t bound);
  // Uniform integer in [low, high], low <= high.
  std::int64_t uniform_int(std::int64_t low, std::int64_t high);
  // Uniform real in [0, 1) with 53 random bits.
  double uniform01();
  double uniform_real(double low, double high);
  bool bernoulli(double probability);
  double exponential(double mean);
  double normal(double mean, double stddev);  // Box-Muller, no cached spare
  double lognormal(double mu, double sigma);  // exp(normal(mu, sigma))
  // Index i with probability weights[i] / sum(weights); weights >= 0, sum > 0.
  std::size_t weighted_choice(std::span<const double> weights);

 private:
  std::uint64_t s_[4];
};

// A distribution of durations, as scenarios describe latencies.
struct DurationDistribution {
  enum class Kind : std::uint8_t { fixed, uniform, exponential, lognormal };
  Kind kind = Kind::fixed;
  duration_ns base_ns = 0;    // fixed: the value; all kinds: added offset
  duration_ns jitter_ns = 0;  // uniform: value in [base, base + jitter]
  duration_ns mean_ns = 0;    // exponential: mean added to base
  duration_ns median_ns = 0;  // lognormal: median added to base
  double sigma = 0.0;         // lognormal: shape
  duration_ns max_ns = 0;     // if > 0, samples are clamped to this

  static DurationDistribution fixed(duration_ns value);
  static DurationDistribution uniform(duration_ns low, duration_ns high);
  // base + exponential(mean); max_ns 0 means unclamped.
  static DurationDistribution exponential(duration_ns base, duration_ns mean, duration_ns max = 0);
  // base + lognormal with that median and shape, clamped to max (0: unclamped).
  // A long right tail with a hard ceiling, as disk latencies have.
  static DurationDistribution lognormal(duration_ns base, duration_ns median, double sigma,
                                        duration_ns max);
  duration_ns sample(Rng& rng) const;  // always >= 0

 private:
  // log(median_ns) of the last lognormal sample, kept with the median it was
  // taken of (callers set median_ns directly, so it is checked per sample):
  // every network segment draws a latency, and the logarithm was a tenth of
  // that (issue 12). The same double either way.
  mutable duration_ns log_median_of_ns_ = 0;
  mutable double log_median_ = 0.0;
};

}  // namespace simrun::sim
