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

// One bar per profile at its median, a whisker from min to max; scaled to
// the row's largest maximum.
std::string chart(std::size_t row, const FieldTableSection& section, std::uint64_t seeds) {
  const FieldRowSpec& spec = field_row_specs()[row];
  double max = 0.0;
  for (const auto& column : section.columns) max = std::max(max, column.cells[row].max);
  const int height = static_cast<int>(section.columns.size()) * (kBarHeight + 3) + 2;
  const double span = kChartWidth - kLabelWidth - 4;
  std::string svg =
      fmt::format("<svg class=\"row-chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
                  kChartWidth, height, kChartWidth, height);
  for (std::size_t index = 0; index < section.columns.size(); ++index) {
    const FieldTableColumn& column = section.columns[index];
    const CellStats& cell = column.cells[row];
    const auto scaled = [&](double value) { return max > 0.0 ? value / max * span : 0.0; };
    const int y = static_cast<int>(index) * (kBarHeight + 3) + 1;
    const double width = std::max(scaled(cell.median), cell.median > 0 ? 1.0 : 0.0);
    const std::string cell_text = format_cell(spec, cell, seeds);
    svg += fmt::format(
        "<text x=\"0\" y=\"{}\" font-size=\"10\">{}</text><rect class=\"bar\" x=\"{}\" y=\"{}\" "
        "width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
        y + kBarHeight - 2, xml_escape(column.profile), kLabelWidth, y, width, kBarHeight,
        kColors[index % std::size(kColors)], xml_escape(column.profile), xml_escape(cell_text));
    if (cell.seeds > 1 && cell.max > cell.min) {
      svg += fmt::format(
          "<line class=\"range\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\" stroke=\"#222\"/>",
          kLabelWidth + scaled(cell.min), kLabelWidth + scaled(cell.max), y + kBarHeight / 2,
          y + kBarHeight / 2);
    }
  }
  return svg + "</svg>";
}

}  // namespace

std::string field_table_html(const FieldTable& table) {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>field table: {0}</title>\n<style>\n"
      "body {{ font: 13px/1.4 system-ui, sans-serif; margin: 16px 20px; color: #222; }}\n"
      "h1 {{ font-size: 18px; }} h2 {{ font-size: 15px; }} table {{ border-collapse: collapse; "
      "}}\n"
      "td, th {{ border: 1px solid #ddd; padding: 3px 10px; text-align: right; vertical-align: "
      "middle; }}\n"
      "td:first-child, th:first-child {{ text-align: left; }}\n"
      ".pass {{ color: #2e7d32; font-weight: 600; }} .fail {{ color: #c62828; font-weight: 600; "
      "}}\n"
      "code {{ font: 12px ui-monospace, monospace; background: #f3f3f3; padding: 2px 4px; }}\n"
      "</style>\n</head>\n<body>\n<h1>field table: {0}</h1>\n"
      "<p>Each cell: the median [min-max] over seeds {1}..{2} ({3} seeds); each bar the median, "
      "its line the range.</p>\n",
      xml_escape(table.scenario_name), table.first_seed, table.first_seed + table.seed_count - 1,
      table.seed_count);
  for (const FieldTableSection& section : table.sections) {
    html += "<h2>" + xml_escape(section.title) + "</h2>\n<table class=\"field-table\" id=\"" +
            xml_escape(section.key) + "\">\n<tr><th>metric</th>";
    for (const auto& column : section.columns)
      html += "<th>" + xml_escape(column.profile) + "</th>";
    html += "<th>chart</th></tr>\n";
    const auto& rows = field_row_specs();
    for (std::size_t row = 0; row < rows.size(); ++row) {
      html += "<tr class=\"metric-row\"><td>" + xml_escape(rows[row].label) + "</td>";
      for (const auto& column : section.columns) {
        html += "<td>" + xml_escape(format_cell(rows[row], column.cells[row], table.seed_count)) +
                "</td>";
      }
      html += "<td>" + chart(row, section, table.seed_count) + "</td></tr>\n";
    }
    html += "<tr><td>seeds passing</td>";
    for (const auto& column : section.columns) {
      html += fmt::format("<td class=\"{}\">{}/{}</td>",
                          column.passed == table.seed_count ? "pass" : "fail", column.passed,
                          table.seed_count);
    }
    html += "<td></td></tr>\n</table>\n<ul>\n";
    for (const auto& column : section.columns) {
      html += "<li>" + xml_escape(column.profile) + ": <code>" + xml_escape(column.repro) +
              "</code></li>\n";
    }
    html += "</ul>\n";
  }
  return html + "</body>\n</html>\n";
}

}  // namespace simrun::cli
