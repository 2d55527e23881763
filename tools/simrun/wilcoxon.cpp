#include "tools/simrun/wilcoxon.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "sim/assert.h"

namespace simrun::cli {

namespace {

// P(W+ <= t) under the null hypothesis, for n untied ranks 1..n: the number
// of subsets of {1..n} whose sum is at most t, over 2^n.
double exact_cdf(std::size_t n, double t) {
  SIMRUN_ASSERT(n <= kExactMaxPairs, "exact distribution only for small n");
  const std::size_t max_sum = n * (n + 1) / 2;
  std::vector<std::uint64_t> ways(max_sum + 1, 0);
  ways[0] = 1;
  for (std::size_t rank = 1; rank <= n; ++rank) {
    for (std::size_t sum = max_sum; sum >= rank; --sum) ways[sum] += ways[sum - rank];
  }
  std::uint64_t below = 0;
  for (std::size_t sum = 0; sum <= max_sum && static_cast<double>(sum) <= t + 1e-9; ++sum) {
    below += ways[sum];
  }
  return static_cast<double>(below) / std::ldexp(1.0, static_cast<int>(n));
}

}  // namespace

WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& differences) {
  struct Item {
    double magnitude;
    bool positive;
  };
  std::vector<Item> items;
  for (double d : differences) {
    SIMRUN_ASSERT(std::isfinite(d), "a difference is not finite");
    if (d != 0.0) items.push_back({std::fabs(d), d > 0.0});
  }
  WilcoxonResult result;
  result.pairs = items.size();
  if (items.empty()) return result;
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.magnitude < b.magnitude; });

  // Average ranks over runs of equal magnitude; the tie term sum(t^3 - t).
  const std::size_t n = items.size();
  double tie_term = 0.0;
  for (std::size_t begin = 0; begin < n;) {
    std::size_t end = begin;
    while (end < n && items[end].magnitude == items[begin].magnitude) ++end;
    const double rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2.0;
    const auto tied = static_cast<double>(end - begin);
    tie_term += tied * tied * tied - tied;
    for (std::size_t i = begin; i < end; ++i) {
      (items[i].positive ? result.w_plus : result.w_minus) += rank;
    }
    begin = end;
  }

  const double nd = static_cast<double>(n);
  const double smaller = std::min(result.w_plus, result.w_minus);
  if (n <= kExactMaxPairs && tie_term == 0.0) {
    result.exact = true;
    result.p_two_sided = std::min(1.0, 2.0 * exact_cdf(n, smaller));
    return result;
  }
  const double mean = nd * (nd + 1.0) / 4.0;
  const double variance = nd * (nd + 1.0) * (2.0 * nd + 1.0) / 24.0 - tie_term / 48.0;
  if (variance <= 0.0) return result;  // every difference tied at one magnitude, n = 1
  const double z = (smaller - mean) / std::sqrt(variance);
  result.p_two_sided = std::min(1.0, std::erfc(std::fabs(z) / std::sqrt(2.0)));
  return result;
}

}  // namespace simrun::cli
