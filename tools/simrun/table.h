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

// Markdown, one row per field-report metric, one column per profile.
void print_field_table(std::ostream& out, const std::string& scenario_name,
                       const std::vector<TableColumn>& columns);

}  // namespace simrun::cli
