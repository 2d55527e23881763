#include "tools/simrun/quantiles.h"

#include <algorithm>
#include <cmath>

#include "sim/assert.h"

namespace simrun::cli {

namespace {

// The percent each name stands for (min and max are the 0th and 100th).
constexpr std::array<double, kQuantileNames.size()> kPercents = {0, 10, 50, 90, 99, 100};

}  // namespace

double Quantiles::get(std::string_view name) const {
  for (std::size_t i = 0; i < kQuantileNames.size(); ++i) {
    if (kQuantileNames[i] == name) return values[i];
  }
  SIMRUN_ASSERT(false, "unknown quantile name");
  return 0.0;
}

double nearest_rank(const std::vector<double>& sorted, double percent) {
  SIMRUN_ASSERT(!sorted.empty(), "quantile of no values");
  SIMRUN_ASSERT(percent >= 0.0 && percent <= 100.0, "percent out of range");
  // Rank ceil(p/100 * n), 1-based, at least 1. Computed in integers where
  // possible so that p99 of 100 values is the 99th, not the 100th, value.
  const auto n = sorted.size();
  const double exact = percent * static_cast<double>(n) / 100.0;
  auto rank = static_cast<std::size_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return sorted[rank - 1];
}

Quantiles quantiles_of(std::vector<double> values) {
  Quantiles result;
  result.count = values.size();
  if (values.empty()) return result;
  std::sort(values.begin(), values.end());
  for (std::size_t i = 0; i < kPercents.size(); ++i) {
    result.values[i] = nearest_rank(values, kPercents[i]);
  }
  return result;
}

bool is_quantile_name(std::string_view name) {
  return std::find(kQuantileNames.begin(), kQuantileNames.end(), name) != kQuantileNames.end();
}

nlohmann::json to_json(const Quantiles& quantiles) {
  nlohmann::json result = nlohmann::json::object();
  for (std::size_t i = 0; i < kQuantileNames.size(); ++i) {
    result[std::string(kQuantileNames[i])] = quantiles.values[i];
  }
  result["seeds"] = quantiles.count;
  return result;
}

}  // namespace simrun::cli
