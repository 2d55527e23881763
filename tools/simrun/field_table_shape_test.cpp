// The field table's shape over seeds (issue 8): three_node_churn.json under
// each profile, seeds 1..4, steady state and under its faults. Each legacy
// cell is compared with recommended's by the margin stated below, with the
// mechanism that produces it; where a legacy profile already has the fix
// (v2.0.0 skips empty entries, retries syncs) or the section gives the
// mechanism nothing to act on (no leader change in the steady state), the
// rule says "no worse" and why. Medians are nearest-rank (a seed's value).
// Runs 24 simulations in 2 worker processes: ~15 s of CPU.

#include <doctest/doctest.h>

#include <fmt/format.h>

#include "tools/simrun/table_runs.h"

namespace simrun::cli {
namespace {

enum class Margin : std::uint8_t {
  at_least_times,  // legacy >= amount x recommended (and > recommended)
  at_least_plus,   // legacy >= recommended + amount
  at_most_minus,   // legacy <= recommended - amount (lower is worse)
  within,          // |legacy - recommended| <= amount: the mechanism is fixed or idle here
};

struct Rule {
  const char* section;
  const char* profile;
  const char* row;
  Margin margin;
  double amount;
  const char* why;
};

// clang-format off
constexpr Rule kRules[] = {
  // Steady state: 50 batches/s, no fault.
  {"steady", "v1.3.67", "campaigns per minute", Margin::at_least_times, 50, "1, 2, 10: 10 ms ticks, 50-90 ms timeouts, __meta's loop saturated by per-entry fsyncs and watermark proposals"},
  {"steady", "v1.3.67", "elections per minute", Margin::at_least_times, 50, "the same churn, in term-raising rounds"},
  {"steady", "v1.3.67", "term growth in 3 s", Margin::at_least_plus, 20, "sustained churn raises the term every few hundred ms"},
  {"steady", "v1.3.67", "heartbeat blocking, raw", Margin::at_least_plus, 50, "2: per-entry fsyncs and awaited sends in the driver loop"},
  {"steady", "v1.3.67", "heartbeat blocking, minus faults", Margin::at_least_plus, 50, "no fault to subtract: the same gap"},
  {"steady", "v1.3.67", "metadata sync success", Margin::within, 1, "5: few partition leader changes without faults, and each sync finds a __meta leader"},
  {"steady", "v1.3.67", "deserialization errors", Margin::at_least_plus, 100, "4: every new leader's empty entry decoded at apply, per replica"},
  {"steady", "v1.3.67", "acknowledged records lost", Margin::within, 0, "6 needs a partition leader change with pending requests; none happens without faults"},
  {"steady", "v2.0.0", "campaigns per minute", Margin::within, 6, "v2.0.0's 200-800 ms timeouts stop the steady churn (it has no pre-vote, so fewer campaigns)"},
  {"steady", "v2.0.0", "elections per minute", Margin::within, 3, "the first elections only"},
  {"steady", "v2.0.0", "term growth in 3 s", Margin::within, 1, "no churn"},
  {"steady", "v2.0.0", "heartbeat blocking, raw", Margin::at_least_plus, 50, "2: its loop still persists per entry and awaits sends inline"},
  {"steady", "v2.0.0", "heartbeat blocking, minus faults", Margin::at_least_plus, 50, "the same gap"},
  {"steady", "v2.0.0", "metadata sync success", Margin::within, 1, "5: retried 100/200/400/800 ms"},
  {"steady", "v2.0.0", "deserialization errors", Margin::within, 0, "4 fixed: empty entries skipped"},
  {"steady", "v2.0.0", "acknowledged records lost", Margin::within, 0, "6 idle without a leader change"},
  // Under the scenario's faults (stalls, spike, partition, crash).
  {"faults", "v1.3.67", "campaigns per minute", Margin::at_least_times, 20, "the steady churn plus the faults' elections"},
  {"faults", "v1.3.67", "elections per minute", Margin::at_least_times, 20, "the same, in rounds"},
  {"faults", "v1.3.67", "term growth in 3 s", Margin::at_least_plus, 50, "3: no pre-vote, the partitioned node raises its term"},
  {"faults", "v1.3.67", "heartbeat blocking, raw", Margin::at_least_plus, 500, "9: a send awaited on a partitioned or crashed peer holds the loop"},
  {"faults", "v1.3.67", "heartbeat blocking, minus faults", Margin::at_least_plus, 100, "2 and 9: the part of each gap outside the fault windows"},
  {"faults", "v1.3.67", "metadata sync success", Margin::at_most_minus, 20, "5: one try, no epochs, while __meta churns"},
  {"faults", "v1.3.67", "deserialization errors", Margin::at_least_plus, 100, "4"},
  {"faults", "v1.3.67", "acknowledged records lost", Margin::at_least_plus, 1, "6: the partitioned leader's pending requests completed by another leader's entries"},
  {"faults", "v2.0.0", "campaigns per minute", Margin::at_least_times, 5, "1: a 10 ms heartbeat with no check-quorum or pre-vote churns once faults start elections"},
  {"faults", "v2.0.0", "elections per minute", Margin::at_least_times, 5, "the same, in rounds"},
  {"faults", "v2.0.0", "term growth in 3 s", Margin::at_least_plus, 10, "3: no pre-vote"},
  {"faults", "v2.0.0", "heartbeat blocking, raw", Margin::at_least_plus, 500, "9: sends awaited on a cut-off peer"},
  {"faults", "v2.0.0", "heartbeat blocking, minus faults", Margin::at_least_plus, 100, "2 and 9"},
  {"faults", "v2.0.0", "metadata sync success", Margin::within, 1, "5: the v2.0.0 retry succeeds once __meta has a leader"},
  {"faults", "v2.0.0", "deserialization errors", Margin::within, 0, "4 fixed"},
  {"faults", "v2.0.0", "acknowledged records lost", Margin::at_least_plus, 1, "6: pending requests still keyed by index"},
};
// clang-format on

const CellStats& cell(const FieldTable& table, const std::string& section,
                      const std::string& profile, const std::string& row) {
  const auto& rows = field_row_specs();
  std::size_t row_index = rows.size();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].label == row) row_index = r;
  }
  REQUIRE_MESSAGE(row_index < rows.size(), "no row " << row);
  for (const auto& candidate : table.sections) {
    if (candidate.key != section) continue;
    for (const auto& column : candidate.columns) {
      if (column.profile == profile) return column.cells[row_index];
    }
  }
  FAIL("no column " << section << "/" << profile);
  return table.sections.front().columns.front().cells.front();
}

TEST_CASE("three_node_churn's field table over seeds 1..4 has the field report's shape") {
  TableRunOptions options;
  options.scenario_file = "scenarios/three_node_churn.json";
  options.first_seed = 1;
  options.seed_count = 4;
  options.jobs = 2;
  const TableRunResult run = run_field_table(options);
  CHECK(run.unexpected.empty());
  CHECK(run.runs == 2 * 3 * 4);
  // Every rule's cell, and every legacy cell has a rule.
  CHECK(std::size(kRules) == 2 * 2 * field_row_specs().size());
  for (const Rule& rule : kRules) {
    const CellStats& legacy = cell(run.table, rule.section, rule.profile, rule.row);
    const CellStats& recommended = cell(run.table, rule.section, "recommended", rule.row);
    CAPTURE(fmt::format("{} / {} / {}: {} vs recommended {} ({})", rule.section, rule.profile,
                        rule.row, legacy.median, recommended.median, rule.why));
    REQUIRE(legacy.seeds == 4);
    REQUIRE(recommended.seeds == 4);
    switch (rule.margin) {
      case Margin::at_least_times:
        CHECK(legacy.median > recommended.median);
        CHECK(legacy.median >= rule.amount * recommended.median);
        break;
      case Margin::at_least_plus:
        CHECK(legacy.median >= recommended.median + rule.amount);
        break;
      case Margin::at_most_minus:
        CHECK(legacy.median <= recommended.median - rule.amount);
        break;
      case Margin::within:
        CHECK(legacy.median <= recommended.median + rule.amount);
        CHECK(legacy.median >= recommended.median - rule.amount);
        break;
    }
  }
  // Recommended itself: the field report's "after" column.
  CHECK(cell(run.table, "faults", "recommended", "elections per minute").max < 10);
  CHECK(cell(run.table, "faults", "recommended", "heartbeat blocking, minus faults").max < 10);
  CHECK(cell(run.table, "faults", "recommended", "metadata sync success").min >= 99);
  CHECK(cell(run.table, "faults", "recommended", "acknowledged records lost").max == 0);
}

TEST_CASE("the table does not depend on --jobs") {
  TableRunOptions options;
  options.scenario_file = "scenarios/noop_deser_errors.json";
  options.seed_count = 2;
  options.load.duration_ms = 4000;
  options.jobs = 1;
  const auto one = field_table_json(run_field_table(options).table);
  options.jobs = 2;
  CHECK(field_table_json(run_field_table(options).table) == one);
}

}  // namespace
}  // namespace simrun::cli
