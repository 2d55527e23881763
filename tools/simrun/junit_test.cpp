#include "tools/simrun/junit.h"

#include <doctest/doctest.h>

#include <iterator>

#include "tools/simrun/xml_for_tests.h"

using namespace simrun::cli;
using simrun::cli::testing::XmlReader;

namespace {

RunOutcome failing_outcome() {
  RunOutcome outcome;
  outcome.scenario_name = "churn";
  outcome.scenario_file = "scenarios/churn.json";
  outcome.profile = "v1.3.67";
  outcome.seed = 7;
  outcome.repro = "simrun scenarios/churn.json --seed 7 --set 'cluster.profile=\"v1.3.67\"'";
  outcome.assertions.push_back({"term <= 5", "max_term", "<=", "", 31, 5, false, {}});
  outcome.assertions.push_back({"no loss", "produce.lost_acked", "==", "orders/0", 0, 0, true, {}});
  outcome.violations.push_back(
      {"election_safety", 1200, "__meta", {1, 2}, "two leaders in term 4"});
  outcome.violations.push_back(
      {"election_safety", 1300, "__meta", {2, 3}, "two leaders in term 5"});
  outcome.violations.push_back({"acked_records", 9000, "orders/0", {}, "offset 3 <lost> & gone"});
  outcome.violation_count = 3;
  return outcome;
}

}  // namespace

TEST_CASE("xml_escape writes the five entities and drops what XML cannot carry") {
  CHECK(xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  CHECK(xml_escape(std::string("x\x01y\tz\n", 7)) == "xy\tz\n");
}

TEST_CASE("a run's junit.xml: one case per assertion and per checker, failures with the repro") {
  const RunOutcome outcome = failing_outcome();
  const auto root = XmlReader::parse(junit_xml({junit_for_run(outcome)}));
  REQUIRE(root.name == "testsuites");
  const auto suites = root.all("testsuite");
  REQUIRE(suites.size() == 1);
  const auto& suite = *suites[0];
  const auto cases = suite.all("testcase");
  const std::size_t checkers = std::size(kCheckerNames);
  REQUIRE(cases.size() == 2 + checkers);
  CHECK(suite.attributes.at("tests") == std::to_string(2 + checkers));
  CHECK(suite.attributes.at("failures") == "3");
  CHECK(root.attributes.at("failures") == "3");

  // The assertions first, in order.
  CHECK(cases[0]->attributes.at("name") == "term <= 5");
  REQUIRE(cases[0]->first("failure") != nullptr);
  CHECK(cases[0]->first("failure")->attributes.at("message") == "max_term = 31, expected <= 5");
  CHECK(cases[0]->first("failure")->text.find("repro: " + outcome.repro) != std::string::npos);
  CHECK(cases[1]->first("failure") == nullptr);

  // Every checker has a case; those with violations fail with the first one.
  std::size_t failed_checkers = 0;
  for (std::size_t i = 2; i < cases.size(); ++i) {
    const std::string name = cases[i]->attributes.at("name");
    CHECK(name.rfind("checker:", 0) == 0);
    const auto* failure = cases[i]->first("failure");
    if (failure == nullptr) continue;
    ++failed_checkers;
    CHECK(failure->text.find("repro: " + outcome.repro) != std::string::npos);
    if (name == "checker:election_safety") {
      CHECK(failure->attributes.at("message") ==
            "2 violation(s) listed, first at 1200 ms in __meta on n1,n2: two leaders in term 4");
    } else {
      CHECK(name == "checker:acked_records");
      CHECK(failure->text.find("offset 3 <lost> & gone") != std::string::npos);
    }
  }
  CHECK(failed_checkers == 2);
  // The properties carry the repro line too.
  bool has_repro = false;
  for (const auto* property : suite.first("properties")->all("property")) {
    has_repro = has_repro || (property->attributes.at("name") == "repro" &&
                              property->attributes.at("value") == outcome.repro);
  }
  CHECK(has_repro);
}

TEST_CASE("a passing run has no failure element, and an unlisted checker still gets a case") {
  RunOutcome outcome;
  outcome.scenario_name = "ok";
  outcome.assertions.push_back({"a", "max_term", "<=", "", 1, 5, true, {}});
  auto root = XmlReader::parse(junit_xml({junit_for_run(outcome)}));
  CHECK(root.attributes.at("failures") == "0");
  for (const auto* test : root.first("testsuite")->all("testcase")) {
    CHECK(test->first("failure") == nullptr);
  }
  outcome.violations.push_back({"new_checker", 5, "", {}, "x"});
  outcome.violation_count = 1;
  root = XmlReader::parse(junit_xml({junit_for_run(outcome)}));
  const auto cases = root.first("testsuite")->all("testcase");
  CHECK(cases.back()->attributes.at("name") == "checker:new_checker");
  CHECK(cases.back()->first("failure") != nullptr);
}
