#pragma once
// Quantiles of one metric over the seeds of a sweep. The nearest-rank
// definition (the smallest value with at least p % of the values at or below
// it) always returns a value some seed really produced, needs no
// interpolation, and is the same however the seeds were split across
// processes or machines: sweep.json is identical for any --jobs or --shard.

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace simrun::cli {

// The statistics a sweep reports per metric, in report order; gate
// thresholds name one of them ("p99").
inline constexpr std::array<std::string_view, 6> kQuantileNames = {"min", "p10", "p50",
                                                                   "p90", "p99", "max"};

struct Quantiles {
  std::array<double, kQuantileNames.size()> values{};  // in kQuantileNames order
  std::size_t count = 0;                               // how many values (seeds)
  double get(std::string_view name) const;             // "p99"; asserts on an unknown name
};

// The nearest-rank `percent` quantile (0 gives the minimum, 100 the maximum)
// of `sorted`, which must be non-empty and sorted ascending.
double nearest_rank(const std::vector<double>& sorted, double percent);

// `values` need not be sorted; an empty input gives count 0 and zeros.
Quantiles quantiles_of(std::vector<double> values);

bool is_quantile_name(std::string_view name);

// {"min": .., "p10": .., ..., "max": .., "seeds": count}
nlohmann::json to_json(const Quantiles& quantiles);

}  // namespace simrun::cli
