#pragma once
// JUnit XML, the report format CI systems (GitLab, Jenkins, GitHub test
// reporters) show natively: one <testsuite> per run, one <testcase> per
// check, a <failure> with its message for each check that failed.
//
// junit_for_run: one case per assertion and one per checker (passed unless a
// violation of it was found); every failure's text ends with the repro line,
// so the CI page alone says how to rerun the run.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/simrun/report.h"

namespace simrun::cli {

struct JunitFailure {
  std::string type;     // "assertion", "checker", ...
  std::string message;  // one line
  std::string text;     // the body: details and the repro line
};

struct JunitCase {
  std::string classname;
  std::string name;
  double time_s = 0.0;
  std::optional<JunitFailure> failure;
};

struct JunitSuite {
  std::string name;
  double time_s = 0.0;
  std::vector<std::pair<std::string, std::string>> properties;  // in this order
  std::vector<JunitCase> cases;
  std::string system_out;
};

// Escapes &, <, >, " and ' and drops characters XML 1.0 cannot carry
// (control characters other than tab, newline and carriage return).
std::string xml_escape(std::string_view text);

std::string junit_xml(const std::vector<JunitSuite>& suites);

// Every checker of kCheckerNames gets a case, so the ones that held show as
// passed rather than being absent.
JunitSuite junit_for_run(const RunOutcome& outcome);

}  // namespace simrun::cli
