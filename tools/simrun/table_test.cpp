#include "tools/simrun/table.h"

#include <doctest/doctest.h>

#include <set>
#include <sstream>

#include "tools/simrun/metrics.h"

using namespace simrun::cli;

namespace {

SeedResult seed(std::uint64_t number, SeedStatus status, std::map<std::string, double> metrics,
                std::vector<std::string> failed = {}) {
  SeedResult result;
  result.seed = number;
  result.status = status;
  result.metrics = std::move(metrics);
  result.failed = std::move(failed);
  result.repro = "simrun x.json --seed " + std::to_string(number);
  return result;
}

const FieldRowSpec& row(std::string_view label) {
  for (const FieldRowSpec& spec : field_row_specs()) {
    if (spec.label == label) return spec;
  }
  FAIL("no row " << label);
  return field_row_specs().front();
}

}  // namespace

TEST_CASE("every row names a metric that summary.json has") {
  // The flattened metrics of an empty run: the names sweep.json uses.
  const auto names = flatten_metrics(to_json(simrun::cli::Metrics{}));
  std::set<std::string> labels;
  for (const FieldRowSpec& spec : field_row_specs()) {
    CAPTURE(spec.metric);
    CHECK(names.count(std::string(spec.metric)) == 1);
    if (!spec.denominator.empty()) CHECK(names.count(std::string(spec.denominator)) == 1);
    CHECK(labels.insert(std::string(spec.label)).second);
  }
  CHECK(field_row_specs().size() == 8);
}

TEST_CASE("a cell is the nearest-rank median and the range over the seeds") {
  CHECK(cell_stats({}).seeds == 0);
  const CellStats odd = cell_stats({9, 1, 5});
  CHECK(odd.median == 5);
  CHECK(odd.min == 1);
  CHECK(odd.max == 9);
  // Even count: the lower middle value, one a seed produced (no averaging).
  CHECK(cell_stats({4, 1, 3, 2}).median == 2);
  const FieldRowSpec& elections = row("elections per minute");
  CHECK(format_cell(elections, cell_stats({6, 4, 9}), 3) == "6.0 [4.0-9.0]");
  CHECK(format_cell(elections, cell_stats({6}), 1) == "6.0");
  CHECK(format_cell(row("heartbeat blocking, raw"), cell_stats({12, 3, 40}), 3) == "12 [3-40] ms");
  CHECK(format_cell(row("metadata sync success"), cell_stats({100, 50}), 3) ==
        "50.0 [50.0-100.0] % (2/3)");
  CHECK(format_cell(elections, CellStats{}, 3) == "-");
}

TEST_CASE("sync success is succeeded over started; a seed that started none has no value") {
  const FieldRowSpec& sync = row("metadata sync success");
  CHECK(row_value(sync, {{"metadata_sync.succeeded", 3}, {"metadata_sync.started", 4}}) == 75.0);
  CHECK_FALSE(row_value(sync, {{"metadata_sync.succeeded", 0}, {"metadata_sync.started", 0}}));
  CHECK_FALSE(row_value(row("deserialization errors"), {}));
}

TEST_CASE("a column counts passes, failed checks and runs that did not complete") {
  std::vector<SeedResult> results = {
      seed(1, SeedStatus::fail, {{"elections_per_min", 30}}, {"elections per minute"}),
      seed(2, SeedStatus::pass, {{"elections_per_min", 4}}),
      seed(3, SeedStatus::crash, {}),
      seed(4, SeedStatus::fail, {{"elections_per_min", 50}},
           {"elections per minute", "checker:acked_records"}),
  };
  const FieldTableColumn column = summarise_column("v1.3.67", results);
  CHECK(column.runs == 3);
  CHECK(column.passed == 1);
  CHECK(column.crashed == 1);
  CHECK(column.failed_checks.at("elections per minute") == 2);
  CHECK(column.failed_checks.at("checker:acked_records") == 1);
  CHECK(column.repro == "simrun x.json --seed 1");
  const auto& rows = field_row_specs();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].metric != "elections_per_min") continue;
    CHECK(column.cells[r].seeds == 3);
    CHECK(column.cells[r].median == 30);
  }
}

TEST_CASE("the printed table has both sections, every row, and the seeds passing") {
  FieldTable table;
  table.scenario_name = "churn";
  table.first_seed = 3;
  table.seed_count = 2;
  for (const char* key : {"steady", "faults"}) {
    FieldTableSection section{key, std::string(key) + " title", {}};
    for (const char* profile : {"recommended", "v1.3.67"}) {
      section.columns.push_back(summarise_column(
          profile, {seed(3, SeedStatus::pass, {{"deser_errors", 1}}),
                    seed(4, SeedStatus::fail, {{"deser_errors", 7}}, {"deserialization errors"})}));
    }
    table.sections.push_back(std::move(section));
  }
  std::ostringstream out;
  print_field_table(out, table);
  const std::string text = out.str();
  CHECK(text.find("seeds 3..4") != std::string::npos);
  CHECK(text.find("### steady title") != std::string::npos);
  CHECK(text.find("### faults title") < text.size());
  for (const FieldRowSpec& spec : field_row_specs()) {
    CHECK(text.find("| " + std::string(spec.label)) != std::string::npos);
  }
  CHECK(text.find("1 [1-7]") != std::string::npos);
  CHECK(text.find("1/2") != std::string::npos);
  CHECK(text.find("v1.3.67: failed deserialization errors (1)") != std::string::npos);
  const auto json = field_table_json(table);
  CHECK(json["format"] == "simrun-table/1");
  CHECK(
      json["sections"]["faults"]["profiles"]["v1.3.67"]["cells"]["deserialization errors"]["max"] ==
      7.0);
  CHECK(json["sections"]["steady"]["profiles"]["recommended"]["passed"] == 1);
}
