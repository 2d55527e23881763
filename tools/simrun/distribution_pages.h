#pragma once
// The report pages of many runs, written beside sweep.json and gate.json:
//  - a sweep's report.html: per metric a histogram over the seeds, the
//    scenario's assertion bound on that metric drawn on it, and the failing
//    seeds with their repro lines; its junit.xml has one case per seed;
//  - a gate's report.html: per gated metric the baseline's and the
//    candidate's distributions overlaid, the threshold, the p-value and the
//    verdict; its junit.xml has one case per gated threshold.
// Both pages are pages/distribution_report.html (self-contained, like the
// run report). The data is binned here (kHistogramBins bins per metric, at
// most kMaxListedFailures failing seeds listed), so a million-seed sweep
// still gives a small page.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/simrun/junit.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

inline constexpr int kHistogramBins = 40;
inline constexpr std::size_t kMaxListedFailures = 1000;

// A histogram of `values` over [low, high] in kHistogramBins equal bins
// (the last one closed): {"low", "high", "counts"}.
nlohmann::json histogram(const std::vector<double>& values, double low, double high);

// sweep.json -> one case per seed that ran ("seed 17"), failed unless it passed.
JunitSuite junit_for_sweep(const nlohmann::json& sweep);
// gate.json -> one case per threshold, failed when its verdict is "fail".
JunitSuite junit_for_gate(const nlohmann::json& gate);

// The page data (tested without a browser) and the pages.
nlohmann::json sweep_page_data(const nlohmann::json& sweep,
                               const std::vector<AssertionSpec>& assertions);
nlohmann::json gate_page_data(const nlohmann::json& gate, const nlohmann::json& baseline,
                              const nlohmann::json& candidate);
std::string distribution_report_html(const nlohmann::json& page_data);

// DIR/report.html and DIR/junit.xml; InputError when they cannot be written.
void write_sweep_pages(const std::string& dir, const nlohmann::json& sweep,
                       const std::vector<AssertionSpec>& assertions);
void write_gate_pages(const std::string& dir, const nlohmann::json& gate,
                      const nlohmann::json& baseline, const nlohmann::json& candidate);

}  // namespace simrun::cli
