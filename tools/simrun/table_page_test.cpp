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

}  // namespace

TEST_CASE("the field table page: a row per metric, a bar per profile, verdicts and repro lines") {
  std::vector<TableColumn> columns(2);
  columns[0].profile = "recommended";
  columns[0].outcome.passed = true;
  columns[0].outcome.metrics.totals.elections_per_min = 5;
  columns[0].outcome.repro = "simrun x.json --seed 1";
  columns[1].profile = "v1.3.67";
  columns[1].outcome.metrics.totals.elections_per_min = 1454;
  columns[1].outcome.repro = "simrun x.json --seed 1 --set 'cluster.profile=\"v1.3.67\"'";
  const std::string html = field_table_html("churn <3>", columns);
  const std::size_t rows = field_table_rows(columns).size();
  CHECK(count(html, "<tr class=\"metric-row\">") == rows);
  CHECK(count(html, "<rect class=\"bar\"") == rows * 2);
  CHECK(count(html, "class=\"row-chart\"") == rows);
  CHECK(html.find("churn &lt;3&gt;") != std::string::npos);
  CHECK(html.find("<td class=\"pass\">PASS</td><td class=\"fail\">FAIL</td>") != std::string::npos);
  CHECK(html.find("--set &apos;cluster.profile=&quot;v1.3.67&quot;&apos;") != std::string::npos);
  // The row's largest value fills the chart; the other bar is to scale.
  CHECK(html.find("width=\"136.0\" height=\"12\" fill=\"#1e88e5\"") != std::string::npos);
  for (const char* external : {"<script", "<link", " src=", "url("}) {
    CHECK(html.find(external) == std::string::npos);
  }
}
