#include "tools/simrun/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "sim/assert.h"
#include "tools/simrun/quantiles.h"

namespace simrun::cli {

const std::vector<FieldRowSpec>& field_row_specs() {
  // Definitions of each metric: scenarios/README.md ("Metrics").
  static const std::vector<FieldRowSpec> rows = {
      {"campaigns per minute", "campaigns_per_min", "", RowUnit::per_minute, WorseWhen::higher},
      {"elections per minute", "elections_per_min", "", RowUnit::per_minute, WorseWhen::higher},
      {"term growth in 3 s", "max_term_growth_3s", "", RowUnit::count, WorseWhen::higher},
      {"heartbeat blocking, raw", "heartbeat_blocking_raw_ms", "", RowUnit::milliseconds,
       WorseWhen::higher},
      {"heartbeat blocking, minus faults", "heartbeat_blocking_ms", "", RowUnit::milliseconds,
       WorseWhen::higher},
      {"metadata sync success", "metadata_sync.succeeded", "metadata_sync.started",
       RowUnit::percent, WorseWhen::lower},
      {"deserialization errors", "deser_errors", "", RowUnit::count, WorseWhen::higher},
      {"acknowledged records lost", "produce.lost_acked", "", RowUnit::count, WorseWhen::higher},
  };
  return rows;
}

std::optional<double> row_value(const FieldRowSpec& row,
                                const std::map<std::string, double>& metrics) {
  const auto value = metrics.find(std::string(row.metric));
  if (value == metrics.end()) return std::nullopt;
  if (row.denominator.empty()) return value->second;
  const auto denominator = metrics.find(std::string(row.denominator));
  if (denominator == metrics.end() || denominator->second <= 0.0) return std::nullopt;
  return 100.0 * value->second / denominator->second;
}

CellStats cell_stats(std::vector<double> values) {
  CellStats cell;
  if (values.empty()) return cell;
  std::sort(values.begin(), values.end());
  cell.seeds = values.size();
  cell.median = nearest_rank(values, 50);
  cell.min = values.front();
  cell.max = values.back();
  return cell;
}

namespace {

std::string format_value(RowUnit unit, double value) {
  switch (unit) {
    case RowUnit::per_minute:
      return fmt::format("{:.1f}", value);
    case RowUnit::count:
      return fmt::format("{:.0f}", value);
    case RowUnit::milliseconds:
      return fmt::format("{:.0f}", value);
    case RowUnit::percent:
      return fmt::format("{:.1f}", value);
  }
  SIMRUN_ASSERT(false, "unknown row unit");
  return {};
}

std::string_view unit_suffix(RowUnit unit) {
  switch (unit) {
    case RowUnit::per_minute:
    case RowUnit::count:
      return "";
    case RowUnit::milliseconds:
      return " ms";
    case RowUnit::percent:
      return " %";
  }
  SIMRUN_ASSERT(false, "unknown row unit");
  return {};
}

constexpr int kLabelWidth = 32;
constexpr int kCellWidth = 24;

void print_section(std::ostream& out, const FieldTableSection& section, std::uint64_t seeds) {
  out << "### " << section.title << "\n\n";
  std::string header = fmt::format("| {:<{}} |", "metric", kLabelWidth);
  std::string rule = "|" + std::string(kLabelWidth + 2, '-') + "|";
  for (const auto& column : section.columns) {
    header += fmt::format(" {:>{}} |", column.profile, kCellWidth);
    rule += std::string(kCellWidth + 2, '-') + "|";
  }
  out << header << "\n" << rule << "\n";
  const auto& rows = field_row_specs();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line = fmt::format("| {:<{}} |", rows[r].label, kLabelWidth);
    for (const auto& column : section.columns) {
      line += fmt::format(" {:>{}} |", format_cell(rows[r], column.cells[r], seeds), kCellWidth);
    }
    out << line << "\n";
  }
  std::string verdicts = fmt::format("| {:<{}} |", "seeds passing", kLabelWidth);
  for (const auto& column : section.columns) {
    verdicts += fmt::format(" {:>{}} |", fmt::format("{}/{}", column.passed, seeds), kCellWidth);
  }
  out << verdicts << "\n\n";
  for (const auto& column : section.columns) {
    if (column.failed_checks.empty() && column.crashed == 0) continue;
    std::string failed;
    for (const auto& [check, count] : column.failed_checks) {
      failed += fmt::format("{}{} ({})", failed.empty() ? "" : ", ", check, count);
    }
    out << fmt::format(
        "{}: failed {}{}\n", column.profile, failed.empty() ? "nothing" : failed,
        column.crashed == 0 ? "" : fmt::format("; {} seeds did not complete", column.crashed));
  }
}

}  // namespace

std::string format_cell(const FieldRowSpec& row, const CellStats& cell, std::size_t of) {
  if (cell.seeds == 0) return "-";
  std::string text = format_value(row.unit, cell.median);
  if (cell.min != cell.max) {
    text +=
        fmt::format(" [{}-{}]", format_value(row.unit, cell.min), format_value(row.unit, cell.max));
  }
  text += unit_suffix(row.unit);
  if (cell.seeds < of) text += fmt::format(" ({}/{})", cell.seeds, of);
  return text;
}

FieldTableColumn summarise_column(const std::string& profile,
                                  const std::vector<SeedResult>& results) {
  FieldTableColumn column;
  column.profile = profile;
  const auto& rows = field_row_specs();
  std::vector<std::vector<double>> values(rows.size());
  for (const SeedResult& result : results) {
    if (column.repro.empty()) column.repro = result.repro;
    const bool completed = result.status == SeedStatus::pass || result.status == SeedStatus::fail;
    if (!completed) {
      ++column.crashed;
      continue;
    }
    ++column.runs;
    if (result.status == SeedStatus::pass) ++column.passed;
    for (const std::string& check : result.failed) ++column.failed_checks[check];
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (const auto value = row_value(rows[r], result.metrics)) values[r].push_back(*value);
    }
  }
  for (auto& row_values : values) column.cells.push_back(cell_stats(std::move(row_values)));
  return column;
}

void print_field_table(std::ostream& out, const FieldTable& table) {
  out << fmt::format(
      "field table: {}, seeds {}..{}: each cell the median [min-max] over {} seed{}\n\n",
      table.scenario_name, table.first_seed, table.first_seed + table.seed_count - 1,
      table.seed_count, table.seed_count == 1 ? "" : "s");
  for (std::size_t s = 0; s < table.sections.size(); ++s) {
    if (s > 0) out << "\n";
    print_section(out, table.sections[s], table.seed_count);
  }
}

nlohmann::json field_table_json(const FieldTable& table) {
  nlohmann::json rows = nlohmann::json::array();
  for (const FieldRowSpec& row : field_row_specs()) {
    rows.push_back({{"label", row.label},
                    {"metric", row.metric},
                    {"denominator", row.denominator},
                    {"worse", row.worse == WorseWhen::higher ? "higher" : "lower"}});
  }
  nlohmann::json sections = nlohmann::json::object();
  for (const FieldTableSection& section : table.sections) {
    nlohmann::json columns = nlohmann::json::object();
    for (const FieldTableColumn& column : section.columns) {
      nlohmann::json cells = nlohmann::json::object();
      for (std::size_t r = 0; r < column.cells.size(); ++r) {
        const CellStats& cell = column.cells[r];
        cells[std::string(field_row_specs()[r].label)] = {
            {"median", cell.median}, {"min", cell.min}, {"max", cell.max}, {"seeds", cell.seeds}};
      }
      columns[column.profile] = {{"cells", cells},
                                 {"runs", column.runs},
                                 {"passed", column.passed},
                                 {"did_not_complete", column.crashed},
                                 {"failed_checks", column.failed_checks},
                                 {"repro", column.repro}};
    }
    sections[section.key] = {{"title", section.title}, {"profiles", columns}};
  }
  return {{"format", "simrun-table/1"},
          {"name", table.scenario_name},
          {"seeds", {{"first", table.first_seed}, {"count", table.seed_count}}},
          {"rows", rows},
          {"sections", sections}};
}

}  // namespace simrun::cli
