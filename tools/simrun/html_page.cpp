#include "tools/simrun/html_page.h"

#include "sim/assert.h"

namespace simrun::cli {

namespace {
constexpr std::string_view kPlaceholder = "/*SIMRUN_DATA*/";
}  // namespace

std::string fill_page(std::string_view page, const nlohmann::json& data) {
  const std::size_t at = page.find(kPlaceholder);
  SIMRUN_ASSERT(at != std::string_view::npos, "a report page without its data placeholder");
  // ASCII only (no U+2028 surprises), and "</" written "<\/" (the same
  // string to JSON) so a detail text can never close the <script> element.
  const std::string json = data.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  std::string escaped;
  escaped.reserve(json.size());
  for (std::size_t index = 0; index < json.size(); ++index) {
    escaped += json[index];
    if (json[index] == '<' && index + 1 < json.size() && json[index + 1] == '/') escaped += '\\';
  }
  std::string out;
  out.reserve(page.size() + escaped.size());
  out.append(page.substr(0, at));
  out += escaped;
  out.append(page.substr(at + kPlaceholder.size()));
  return out;
}

std::string run_report_html(const nlohmann::json& summary, const nlohmann::json& timeline) {
  return fill_page(run_report_page(), {{"summary", summary}, {"timeline", timeline}});
}

}  // namespace simrun::cli
