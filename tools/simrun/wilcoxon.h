#pragma once
// The Wilcoxon signed-rank test for paired samples (Wilcoxon 1945), as the
// gate uses it: seed k of the baseline sweep and seed k of the candidate
// sweep saw the same fault schedule, so their difference measures the change
// alone. Implemented here (no statistics library in Debian's C++ set) and
// tested against published values.
//
// Conventions (those of R's wilcox.test and SciPy's wilcoxon defaults): zero
// differences are dropped; tied |differences| get their average rank; the
// p-value is exact (the distribution of W+ enumerated by counting subsets)
// when at most kExactMaxPairs pairs remain and no ranks are tied, otherwise
// the normal approximation with the tie correction to the variance and no
// continuity correction.

#include <cstddef>
#include <vector>

namespace simrun::cli {

inline constexpr std::size_t kExactMaxPairs = 25;

struct WilcoxonResult {
  std::size_t pairs = 0;     // non-zero differences (the n of the test)
  double w_plus = 0.0;       // rank sum of positive differences (candidate > baseline)
  double w_minus = 0.0;      // rank sum of negative differences
  double p_two_sided = 1.0;  // 1 when no difference is non-zero
  bool exact = false;
};

// differences[i] = candidate_i - baseline_i.
WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& differences);

}  // namespace simrun::cli
