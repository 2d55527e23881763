#include "tools/simrun/table_page.h"

#include <fmt/format.h>

#include <algorithm>

#include "tools/simrun/junit.h"

namespace simrun::cli {

namespace {

constexpr int kChartWidth = 220;
constexpr int kBarHeight = 12;
constexpr int kLabelWidth = 80;
// One colour per profile column, in order (more columns repeat them).
constexpr const char* kColors[] = {"#2e7d32", "#1e88e5", "#c62828", "#6a1b9a", "#ef6c00"};

std::string chart(const FieldTableRow& row, const std::vector<TableColumn>& columns) {
  double max = 0.0;
  for (const double value : row.values) max = std::max(max, value);
  const int height = static_cast<int>(columns.size()) * (kBarHeight + 3) + 2;
  std::string svg =
      fmt::format("<svg class=\"row-chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
                  kChartWidth, height, kChartWidth, height);
  for (std::size_t index = 0; index < columns.size(); ++index) {
    const double fraction = max > 0.0 ? row.values[index] / max : 0.0;
    const int y = static_cast<int>(index) * (kBarHeight + 3) + 1;
    const double width =
        std::max(fraction * (kChartWidth - kLabelWidth - 4), row.values[index] > 0 ? 1.0 : 0.0);
    svg += fmt::format(
        "<text x=\"0\" y=\"{}\" font-size=\"10\">{}</text><rect class=\"bar\" x=\"{}\" y=\"{}\" "
        "width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
        y + kBarHeight - 2, xml_escape(columns[index].profile), kLabelWidth, y, width, kBarHeight,
        kColors[index % std::size(kColors)], xml_escape(columns[index].profile),
        xml_escape(row.cells[index]));
  }
  return svg + "</svg>";
}

}  // namespace

std::string field_table_html(const std::string& scenario_name,
                             const std::vector<TableColumn>& columns) {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>field table: {0}</title>\n<style>\n"
      "body {{ font: 13px/1.4 system-ui, sans-serif; margin: 16px 20px; color: #222; }}\n"
      "h1 {{ font-size: 18px; }} table {{ border-collapse: collapse; }}\n"
      "td, th {{ border: 1px solid #ddd; padding: 3px 10px; text-align: right; vertical-align: "
      "middle; }}\n"
      "td:first-child, th:first-child {{ text-align: left; }}\n"
      ".pass {{ color: #2e7d32; font-weight: 600; }} .fail {{ color: #c62828; font-weight: 600; "
      "}}\n"
      "code {{ font: 12px ui-monospace, monospace; background: #f3f3f3; padding: 2px 4px; }}\n"
      "</style>\n</head>\n<body>\n<h1>field table: {0}{1}</h1>\n<table "
      "id=\"field-table\">\n<tr><th>metric</th>",
      xml_escape(scenario_name),
      columns.empty() ? "" : fmt::format(" (seed {})", columns.front().outcome.seed));
  for (const auto& column : columns) html += "<th>" + xml_escape(column.profile) + "</th>";
  html += "<th>chart</th></tr>\n";
  for (const FieldTableRow& row : field_table_rows(columns)) {
    html += "<tr class=\"metric-row\"><td>" + xml_escape(row.label) + "</td>";
    for (const std::string& cell : row.cells) html += "<td>" + xml_escape(cell) + "</td>";
    html += "<td>" + chart(row, columns) + "</td></tr>\n";
  }
  html += "<tr><td>verdict</td>";
  for (const auto& column : columns) {
    html += column.outcome.passed ? "<td class=\"pass\">PASS</td>" : "<td class=\"fail\">FAIL</td>";
  }
  html += "<td></td></tr>\n</table>\n<h2>Repro lines</h2>\n<ul>\n";
  for (const auto& column : columns) {
    html += "<li>" + xml_escape(column.profile) + ": <code>" + xml_escape(column.outcome.repro) +
            "</code></li>\n";
  }
  return html + "</ul>\n</body>\n</html>\n";
}

}  // namespace simrun::cli
