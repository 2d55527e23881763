#include "tools/simrun/table_page.h"

#include <doctest/doctest.h>

using namespace simrun::cli;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t found = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++found;
  return found;
}

SeedResult seed(std::uint64_t number, bool passed, double elections) {
  SeedResult result;
  result.seed = number;
  result.status = passed ? SeedStatus::pass : SeedStatus::fail;
  result.metrics = {{"elections_per_min", elections}};
  result.repro = "simrun x.json --seed " + std::to_string(number) +
                 (passed ? "" : " --set 'cluster.profile=\"v1.3.67\"'");
  return result;
}

}  // namespace

TEST_CASE("the field table page: per section a row per metric, a bar per profile, verdicts") {
  FieldTable table;
  table.scenario_name = "churn <3>";
  table.first_seed = 1;
  table.seed_count = 2;
  for (const char* key : {"steady", "faults"}) {
    FieldTableSection section{key, key, {}};
    section.columns.push_back(
        summarise_column("recommended", {seed(1, true, 5), seed(2, true, 5)}));
    section.columns.push_back(
        summarise_column("v1.3.67", {seed(1, false, 1000), seed(2, false, 1454)}));
    table.sections.push_back(std::move(section));
  }
  const std::string html = field_table_html(table);
  const std::size_t rows = field_row_specs().size();
  CHECK(count(html, "<table class=\"field-table\"") == 2);
  CHECK(count(html, "<tr class=\"metric-row\">") == 2 * rows);
  CHECK(count(html, "<rect class=\"bar\"") == 2 * rows * 2);
  CHECK(count(html, "class=\"row-chart\"") == 2 * rows);
  CHECK(html.find("churn &lt;3&gt;") != std::string::npos);
  CHECK(count(html, "<td class=\"pass\">2/2</td><td class=\"fail\">0/2</td>") == 2);
  CHECK(html.find("--set &apos;cluster.profile=&quot;v1.3.67&quot;&apos;") != std::string::npos);
  // The row's largest maximum (1454) spans the chart; the median 1000 is to
  // scale, with a range line from 1000 to 1454.
  CHECK(html.find("width=\"93.5\" height=\"12\" fill=\"#1e88e5\"") != std::string::npos);
  CHECK(count(html, "<line class=\"range\"") == 2);
  for (const char* external : {"<script", "<link", " src=", "url("}) {
    CHECK(html.find(external) == std::string::npos);
  }
}
