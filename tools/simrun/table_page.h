#pragma once
// `simrun table SCENARIO --report DIR` writes DIR/table.html: the field
// table (table.h's rows, one column per profile) as a self-contained page
// with a small bar chart per row (one bar per profile, scaled to the row's
// largest value), each profile's verdict and repro line. Static HTML and
// inline SVG only: no script, nothing fetched.

#include <string>
#include <vector>

#include "tools/simrun/table.h"

namespace simrun::cli {

std::string field_table_html(const std::string& scenario_name,
                             const std::vector<TableColumn>& columns);

}  // namespace simrun::cli
