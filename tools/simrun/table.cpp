#include "tools/simrun/table.h"

#include <fmt/format.h>

#include <functional>
#include <ostream>

namespace simrun::cli {

std::vector<FieldTableRow> field_table_rows(const std::vector<TableColumn>& columns) {
  struct Row {
    const char* label;
    std::function<std::string(const RunOutcome&)> cell;
    std::function<double(const RunOutcome&)> value;
  };
  const std::vector<Row> rows = {
      {"elections per minute",
       [](const RunOutcome& o) {
         return fmt::format("{:.1f}", o.metrics.totals.elections_per_min);
       },
       [](const RunOutcome& o) { return o.metrics.totals.elections_per_min; }},
      {"term after 3 s",
       [](const RunOutcome& o) { return std::to_string(o.metrics.totals.term_at_3s); },
       [](const RunOutcome& o) { return static_cast<double>(o.metrics.totals.term_at_3s); }},
      {"heartbeat blocking (worst)",
       [](const RunOutcome& o) {
         return fmt::format("{:.0f} ms", o.metrics.totals.heartbeat_blocking_ms);
       },
       [](const RunOutcome& o) { return o.metrics.totals.heartbeat_blocking_ms; }},
      {"metadata sync success",
       [](const RunOutcome& o) {
         const auto& sync = o.metrics.totals.metadata_sync;
         return fmt::format("{:.1f} % ({}/{})", 100.0 * sync.success_rate, sync.succeeded,
                            sync.succeeded + sync.failed);
       },
       [](const RunOutcome& o) { return 100.0 * o.metrics.totals.metadata_sync.success_rate; }},
      {"deserialization errors",
       [](const RunOutcome& o) { return std::to_string(o.metrics.totals.deser_errors); },
       [](const RunOutcome& o) { return static_cast<double>(o.metrics.totals.deser_errors); }},
      {"acknowledged records lost",
       [](const RunOutcome& o) { return std::to_string(o.metrics.totals.produce.lost_acked); },
       [](const RunOutcome& o) {
         return static_cast<double>(o.metrics.totals.produce.lost_acked);
       }},
  };
  std::vector<FieldTableRow> table;
  for (const Row& row : rows) {
    FieldTableRow rendered{row.label, {}, {}};
    for (const auto& column : columns) {
      rendered.cells.push_back(row.cell(column.outcome));
      rendered.values.push_back(row.value(column.outcome));
    }
    table.push_back(std::move(rendered));
  }
  return table;
}

void print_field_table(std::ostream& out, const std::string& scenario_name,
                       const std::vector<TableColumn>& columns) {
  out << "field table: " << scenario_name;
  if (!columns.empty()) out << " (seed " << columns.front().outcome.seed << ")";
  out << "\n\n";
  std::string header = fmt::format("| {:<26} |", "metric");
  std::string rule = "|" + std::string(28, '-') + "|";
  for (const auto& column : columns) {
    header += fmt::format(" {:>18} |", column.profile);
    rule += std::string(20, '-') + "|";
  }
  out << header << "\n" << rule << "\n";
  for (const FieldTableRow& row : field_table_rows(columns)) {
    std::string line = fmt::format("| {:<26} |", row.label);
    for (const std::string& cell : row.cells) line += fmt::format(" {:>18} |", cell);
    out << line << "\n";
  }
  out << "\n";
  for (const auto& column : columns) {
    const RunOutcome& o = column.outcome;
    std::string failed;
    for (const std::string& name : failed_checks(o)) failed += (failed.empty() ? "" : "; ") + name;
    out << fmt::format("{:<12} {} ({} safety violations, max term {}, worst gap {:.0f} ms){}\n",
                       column.profile, o.passed ? "PASS" : "FAIL", o.violation_count,
                       o.metrics.totals.max_term, o.metrics.totals.max_heartbeat_gap_ms,
                       failed.empty() ? "" : ": failed " + failed);
  }
}

}  // namespace simrun::cli
