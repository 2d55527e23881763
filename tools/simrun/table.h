#pragma once
// `simrun table SCENARIO`: the field report's table, measured. The scenario
// runs once under every broker profile (the same seed and fault schedule)
// and one column per profile shows the measured values.

#include <iosfwd>
#include <string>
#include <vector>

#include "tools/simrun/report.h"

namespace simrun::cli {

struct TableColumn {
  std::string profile;
  RunOutcome outcome;
};

// The table's rows: one per field-report metric, a cell (text) and a value
// (for charts) per column. The one definition both renderings use.
struct FieldTableRow {
  std::string label;
  std::vector<std::string> cells;
  std::vector<double> values;
};
std::vector<FieldTableRow> field_table_rows(const std::vector<TableColumn>& columns);

// Markdown, one row per field-report metric, one column per profile.
void print_field_table(std::ostream& out, const std::string& scenario_name,
                       const std::vector<TableColumn>& columns);

}  // namespace simrun::cli
