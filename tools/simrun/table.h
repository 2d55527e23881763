#pragma once
// `simrun table SCENARIO [--seeds N]`: the field report's table, measured
// over seeds. Each cell is the median and [min-max] of one metric over N
// seeds (nearest-rank median: a value some seed produced), one column per
// broker profile, in two sections: the steady state (the scenario with its
// faults removed) and under the scenario's faults. The runs themselves are
// table_runs.h; this file is the rows and their renderings.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/simrun/sweep_report.h"

namespace simrun::cli {

enum class RowUnit : std::uint8_t { per_minute, count, milliseconds, percent };
// Which direction is worse, for the table's shape (a legacy profile must be
// worse than recommended) and the charts.
enum class WorseWhen : std::uint8_t { higher, lower };

// One row of the field table: a metric of summary.json (flattened as in
// sweep.json) and how to show it. With a denominator the row shows
// 100 * metric / denominator, and seeds whose denominator is 0 have no
// value for it (their count shows in the cell).
struct FieldRowSpec {
  std::string_view label;
  std::string_view metric;
  std::string_view denominator;  // empty: none
  RowUnit unit;
  WorseWhen worse;
};

// The rows, the field report's table plus what the issue asked to see
// beside it: the one definition the text, JSON and HTML renderings use.
const std::vector<FieldRowSpec>& field_row_specs();

// A row's value for one seed; nullopt when the seed did not complete or the
// denominator is 0.
std::optional<double> row_value(const FieldRowSpec& row,
                                const std::map<std::string, double>& metrics);

struct CellStats {
  std::size_t seeds = 0;  // seeds with a value
  double median = 0.0;    // nearest rank
  double min = 0.0;
  double max = 0.0;
};
CellStats cell_stats(std::vector<double> values);

// "6.0 [4.0-9.0]", "12 [3-40] ms", "98.0 [91.7-100.0] %"; the median alone
// for one seed; with fewer seeds than `of`, " (k/of)" after it; "-" for none.
std::string format_cell(const FieldRowSpec& row, const CellStats& cell, std::size_t of);

struct FieldTableColumn {
  std::string profile;
  std::vector<CellStats> cells;  // one per row of field_row_specs()
  std::size_t runs = 0;          // seeds that completed
  std::size_t passed = 0;
  std::size_t crashed = 0;                           // did not complete (crash, budget, error)
  std::map<std::string, std::size_t> failed_checks;  // check -> seeds that failed it
  std::string repro;                                 // the first seed's
};

struct FieldTableSection {
  std::string key;    // "steady", "faults"
  std::string title;  // "steady state (the scenario's faults removed)"
  std::vector<FieldTableColumn> columns;
};

struct FieldTable {
  std::string scenario_name;
  std::uint64_t first_seed = 1;
  std::uint64_t seed_count = 0;
  std::vector<FieldTableSection> sections;
};

// One column from the per-seed results of one profile (in seed order).
FieldTableColumn summarise_column(const std::string& profile,
                                  const std::vector<SeedResult>& results);

// Markdown: per section a title, one row per field_row_specs() entry and a
// verdict row; then per profile the checks that failed and on how many seeds.
void print_field_table(std::ostream& out, const FieldTable& table);

// DIR/table.json: the same numbers, for tests and other tools.
nlohmann::json field_table_json(const FieldTable& table);

}  // namespace simrun::cli
