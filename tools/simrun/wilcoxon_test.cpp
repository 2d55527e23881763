#include "tools/simrun/wilcoxon.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

using namespace simrun::cli;

namespace {

// Brute force: the share of the 2^n sign assignments of ranks 1..n whose
// smaller rank sum is at most the observed one (an independent check of the
// counting recursion).
double brute_force_p(const std::vector<int>& ranks, double observed_smaller) {
  const std::size_t n = ranks.size();
  std::uint64_t extreme = 0;
  for (std::uint64_t mask = 0; mask < (1ULL << n); ++mask) {
    double plus = 0, minus = 0;
    for (std::size_t i = 0; i < n; ++i) ((mask >> i) & 1 ? plus : minus) += ranks[i];
    if (std::min(plus, minus) <= observed_smaller) ++extreme;
  }
  return static_cast<double>(extreme) / static_cast<double>(1ULL << n);
}

}  // namespace

// Darwin's Zea mays data (Fisher, The Design of Experiments, 1935): the
// example of scipy.stats.wilcoxon's documentation, statistic 24,
// exact p = 0.041259765625, normal approximation p = 0.0409.
const std::vector<double> kDarwin = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};

TEST_CASE("Darwin's data: W- = 24, exact two-sided p = 0.041259765625 (SciPy docs)") {
  const WilcoxonResult result = wilcoxon_signed_rank(kDarwin);
  CHECK(result.pairs == 15);
  CHECK(result.w_minus == 24);
  CHECK(result.w_plus == 96);
  CHECK(result.exact);
  CHECK(result.p_two_sided == doctest::Approx(0.041259765625).epsilon(1e-12));
  std::vector<int> ranks;
  for (int r = 1; r <= 15; ++r) ranks.push_back(r);
  CHECK(result.p_two_sided == doctest::Approx(brute_force_p(ranks, 24)).epsilon(1e-12));
}

TEST_CASE("Hollander & Wolfe example 3.1 (R's wilcox.test docs): V = 40, one-sided p 0.01953") {
  const std::vector<double> x = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
  const std::vector<double> y = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
  std::vector<double> differences;
  for (std::size_t i = 0; i < x.size(); ++i) differences.push_back(x[i] - y[i]);
  const WilcoxonResult result = wilcoxon_signed_rank(differences);
  CHECK(result.w_plus == 40);
  CHECK(result.w_minus == 5);
  // Two-sided is twice R's one-sided 0.01953 (= 10/512).
  CHECK(result.p_two_sided == doctest::Approx(20.0 / 512.0).epsilon(1e-12));
}

TEST_CASE("ties and zeros: zeros dropped, average ranks, normal approximation with tie term") {
  // |d| = 1,1,2,2,3 (zeros dropped): ranks 1.5,1.5,3.5,3.5,5. Positives:
  // 1, 2, 3 -> W+ = 1.5 + 3.5 + 5 = 10, W- = 5.
  const WilcoxonResult result = wilcoxon_signed_rank({0, 1, -1, 2, -2, 3, 0});
  CHECK(result.pairs == 5);
  CHECK(result.w_plus == 10);
  CHECK(result.w_minus == 5);
  CHECK_FALSE(result.exact);
  // mean 7.5, variance 5*6*11/24 - (6 + 6)/48 = 13.75 - 0.25 = 13.5.
  const double z = (5 - 7.5) / std::sqrt(13.5);
  CHECK(result.p_two_sided == doctest::Approx(std::erfc(std::fabs(z) / std::sqrt(2.0))));
}

TEST_CASE("more than 25 pairs: the normal approximation") {
  std::vector<double> untied;
  for (int i = 1; i <= 30; ++i) untied.push_back(i % 7 == 0 ? -i : i);
  const WilcoxonResult result = wilcoxon_signed_rank(untied);
  CHECK_FALSE(result.exact);
  // Negative ranks 7+14+21+28 = 70; mean 232.5, variance 30*31*61/24 = 2363.75.
  CHECK(result.w_minus == 70);
  const double z = (70 - 232.5) / std::sqrt(2363.75);
  CHECK(result.p_two_sided == doctest::Approx(std::erfc(std::fabs(z) / std::sqrt(2.0))));
}

TEST_CASE("no change at all: p = 1; one-sided shift over 20 seeds is significant") {
  CHECK(wilcoxon_signed_rank({0, 0, 0}).p_two_sided == 1.0);
  CHECK(wilcoxon_signed_rank({}).pairs == 0);
  std::vector<double> shift;
  for (int i = 1; i <= 20; ++i) shift.push_back(i);
  const WilcoxonResult result = wilcoxon_signed_rank(shift);
  CHECK(result.exact);
  CHECK(result.p_two_sided == doctest::Approx(2.0 / 1048576.0));
}
