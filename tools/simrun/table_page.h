#pragma once
// `simrun table SCENARIO --report DIR` writes DIR/table.html: the field
// table over seeds (table.h's rows, one column per profile, one table per
// section) as a self-contained page with a small chart per row (one bar per
// profile at its median, a line over its [min-max], scaled to the row's
// largest maximum), seeds passing and a repro line per profile. Static HTML
// and inline SVG only: no script, nothing fetched.

#include <string>
#include <vector>

#include "tools/simrun/table.h"

namespace simrun::cli {

std::string field_table_html(const FieldTable& table);

}  // namespace simrun::cli
