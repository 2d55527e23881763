#include "tools/simrun/junit.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>

namespace simrun::cli {

namespace {

std::string seconds(double value) { return fmt::format("{:.3f}", value); }

std::string node_list(const std::vector<std::uint32_t>& nodes) {
  std::string names;
  for (auto node : nodes) names += (names.empty() ? "n" : ",n") + std::to_string(node);
  return names;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&apos;";
        break;
      default:
        // XML 1.0 has no way to write other control characters, even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        escaped += c;
    }
  }
  return escaped;
}

std::string junit_xml(const std::vector<JunitSuite>& suites) {
  std::size_t tests = 0;
  std::size_t failures = 0;
  double time_s = 0.0;
  for (const JunitSuite& suite : suites) {
    tests += suite.cases.size();
    for (const JunitCase& test : suite.cases) failures += test.failure ? 1 : 0;
    time_s += suite.time_s;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"simrun\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">\n", tests,
      failures, seconds(time_s));
  for (const JunitSuite& suite : suites) {
    std::size_t suite_failures = 0;
    for (const JunitCase& test : suite.cases) suite_failures += test.failure ? 1 : 0;
    out += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" "
        "time=\"{}\">\n",
        xml_escape(suite.name), suite.cases.size(), suite_failures, seconds(suite.time_s));
    if (!suite.properties.empty()) {
      out += "    <properties>\n";
      for (const auto& [name, value] : suite.properties) {
        out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(name),
                           xml_escape(value));
      }
      out += "    </properties>\n";
    }
    for (const JunitCase& test : suite.cases) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
                         xml_escape(test.classname), xml_escape(test.name), seconds(test.time_s));
      if (!test.failure) {
        out += "/>\n";
        continue;
      }
      out += fmt::format(
          ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
          xml_escape(test.failure->type), xml_escape(test.failure->message),
          xml_escape(test.failure->text));
    }
    if (!suite.system_out.empty()) {
      out += "    <system-out>" + xml_escape(suite.system_out) + "</system-out>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

JunitSuite junit_for_run(const RunOutcome& outcome) {
  JunitSuite suite;
  suite.name = fmt::format("{} [{}] seed {}", outcome.scenario_name, outcome.profile, outcome.seed);
  // The run's time: every case shares it, so cases report none of their own.
  suite.time_s = static_cast<double>(outcome.wall_time_ms) / 1000.0;
  suite.properties = {{"scenario", outcome.scenario_file},
                      {"profile", outcome.profile},
                      {"seed", std::to_string(outcome.seed)},
                      {"trace_hash", format_hash(outcome.trace_hash)},
                      {"sim_time_ms", std::to_string(outcome.sim_time_ms)},
                      {"repro", outcome.repro}};
  suite.system_out = "repro: " + outcome.repro + "\n";
  const std::string classname = "simrun." + outcome.scenario_name;
  const std::string repro = "\nrepro: " + outcome.repro;

  for (const AssertionResult& result : outcome.assertions) {
    JunitCase test{classname + ".assertions", result.name, 0.0, std::nullopt};
    if (!result.passed) {
      const std::string scope = result.group.empty() ? "" : " in " + result.group;
      const std::string message = fmt::format("{}{} = {}, expected {} {}", result.metric, scope,
                                              result.value, result.op, result.bound);
      test.failure = JunitFailure{"assertion", message, message + repro};
    }
    suite.cases.push_back(std::move(test));
  }

  // Violations by checker, in the order found (the list is sorted by time).
  std::map<std::string, std::vector<const Violation*>> by_checker;
  for (const Violation& violation : outcome.violations) {
    by_checker[violation.checker].push_back(&violation);
  }
  std::vector<std::string> names(std::begin(kCheckerNames), std::end(kCheckerNames));
  for (const auto& [checker, found] : by_checker) {
    // A checker missing from the list still gets its case: never hide a failure.
    if (std::find(names.begin(), names.end(), checker) == names.end()) names.push_back(checker);
  }
  for (const std::string& checker : names) {
    JunitCase test{classname + ".checkers", std::string(kCheckerPrefix) + checker, 0.0,
                   std::nullopt};
    const auto found = by_checker.find(checker);
    if (found != by_checker.end()) {
      const Violation& first = *found->second.front();
      const std::string where = fmt::format(
          "at {} ms{}{}", first.time_ms, first.group.empty() ? "" : " in " + first.group,
          first.nodes.empty() ? "" : " on " + node_list(first.nodes));
      std::string text;
      for (const Violation* violation : found->second) {
        text += fmt::format("{} ms {} {}: {}\n", violation->time_ms, violation->group,
                            node_list(violation->nodes), violation->detail);
      }
      test.failure = JunitFailure{
          "checker",
          fmt::format("{} violation(s) listed, first {}: {}", found->second.size(), where,
                      first.detail),
          text + fmt::format("({} violation(s) in the whole run)", outcome.violation_count) +
              repro};
    }
    suite.cases.push_back(std::move(test));
  }
  return suite;
}

}  // namespace simrun::cli
