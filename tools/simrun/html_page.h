#pragma once
// The HTML report pages: self-contained files (inline CSS, JS and SVG; no
// network, no external scripts or fonts) that draw the JSON data embedded in
// them. The page sources are tools/simrun/pages/*.html, compiled into the
// binary so `simrun` writes them from any directory.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace simrun::cli {

// tools/simrun/pages/run_report.html (generated).
std::string_view run_report_page();
// tools/simrun/pages/distribution_report.html: sweeps and gates (generated).
std::string_view distribution_report_page();

// `page` with its data placeholder (the comment /*SIMRUN_DATA*/) replaced
// by `data`, escaped so it cannot end the <script> element it sits in.
std::string fill_page(std::string_view page, const nlohmann::json& data);

// report.html of one run: {"summary": summary.json, "timeline": Timeline}.
std::string run_report_html(const nlohmann::json& summary, const nlohmann::json& timeline);

}  // namespace simrun::cli
