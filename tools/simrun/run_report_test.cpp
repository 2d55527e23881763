// End to end: `simrun SCENARIO --report DIR` on the CI gate scenario, then
// junit.xml and trace.json are parsed and checked against summary.json.
#include "tools/simrun/run_report.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tools/simrun/cli.h"
#include "tools/simrun/xml_for_tests.h"

using namespace simrun::cli;
using simrun::cli::testing::XmlElement;
using simrun::cli::testing::XmlReader;

namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Report {
  int exit_code = -1;
  nlohmann::json summary;
  XmlElement junit;
  nlohmann::json trace;
};

Report run_with_report(const std::string& profile, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("simrun_run_report_test_" + name);
  std::filesystem::remove_all(dir);
  std::ostringstream out;
  std::ostringstream err;
  Report report;
  report.exit_code = run_cli({"scenarios/three_node_churn.json", "--duration", "20s", "--set",
                              "cluster.profile=" + profile, "--report", dir.string(), "--quiet"},
                             out, err);
  INFO(err.str());
  report.summary = nlohmann::json::parse(read(dir / "summary.json"));
  report.junit = XmlReader::parse(read(dir / "junit.xml"));
  report.trace = nlohmann::json::parse(read(dir / "trace.json"));
  // report.html is drawn in a browser by the browser_report_* tests; here:
  // it exists, carries the run's repro line and stays small.
  const std::string page = read(dir / "report.html");
  CHECK(page.find("\"repro\":") != std::string::npos);
  CHECK(page.size() < 4u * 1024 * 1024);
  return report;
}

void check_against_summary(const Report& report) {
  const auto& summary = report.summary;
  CHECK(report.exit_code == (summary["passed"].get<bool>() ? 0 : 1));

  // junit.xml: one case per assertion and per checker; the failed cases are
  // exactly summary.json's "failed".
  const XmlElement* suite = report.junit.first("testsuite");
  REQUIRE(suite != nullptr);
  const auto cases = suite->all("testcase");
  CHECK(cases.size() == summary["assertions"].size() + std::size(kCheckerNames));
  std::set<std::string> failed_cases;
  for (const auto* test : cases) {
    const auto* failure = test->first("failure");
    if (failure == nullptr) continue;
    failed_cases.insert(test->attributes.at("name"));
    CHECK(failure->text.find("repro: " + summary["repro"].get<std::string>()) != std::string::npos);
  }
  const auto failed = summary["failed"].get<std::vector<std::string>>();
  CHECK(failed_cases == std::set<std::string>(failed.begin(), failed.end()));
  CHECK(suite->attributes.at("failures") == std::to_string(failed.size()));

  // trace.json: real elections and applied faults match the metrics, unless
  // the category hit its budget.
  const auto& simrun_data = report.trace["otherData"]["simrun"];
  std::int64_t elections = 0;
  std::set<std::pair<double, std::string>> faults;  // (time, origin): one per applied fault
  std::set<std::string> process_names;
  std::size_t negative_durations = 0;
  for (const auto& event : report.trace["traceEvents"]) {
    const std::string phase = event["ph"];
    if (phase == "M" && event["name"] == "process_name")
      process_names.insert(event["args"]["name"]);
    const bool has_category = event.contains("cat");
    if (has_category && event["cat"] == "election" && event["args"]["pre_vote"] == 0) ++elections;
    if (has_category && event["cat"] == "fault" && event.contains("args")) {
      faults.insert({event["ts"].get<double>(), event["args"]["origin"].get<std::string>()});
    }
    if (phase == "X" && event["dur"].get<double>() < 0) ++negative_durations;
  }
  CHECK(negative_durations == 0);
  if (simrun_data["dropped"]["election"] == 0) {
    CHECK(elections == summary["metrics"]["elections_started"].get<std::int64_t>());
  }
  if (simrun_data["dropped"]["fault"] == 0) {
    CHECK(faults.size() == summary["faults"]["applied"].get<std::size_t>());
  }
  for (const char* node : {"n1", "n2", "n3"}) CHECK(process_names.count(node) == 1);
}

}  // namespace

TEST_CASE("a passing run's junit.xml and trace.json agree with its summary.json") {
  const Report report = run_with_report("recommended", "pass");
  CHECK(report.exit_code == 0);
  check_against_summary(report);
  CHECK(report.junit.attributes.at("failures") == "0");
}

TEST_CASE("a failing run's junit.xml lists its failures with the repro line") {
  const Report report = run_with_report("v1.3.67", "fail");
  CHECK(report.exit_code == 1);
  check_against_summary(report);
  CHECK(report.junit.attributes.at("failures") != "0");
}
