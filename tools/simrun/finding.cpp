#include "tools/simrun/finding.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "raft/assert.h"
#include "sim/assert.h"

namespace simrun::cli {

namespace {

constexpr std::string_view kRoots[] = {"raft/", "broker/", "sim/", "tools/"};

// Where the repository-relative part of `file` starts (the last root
// directory in it), or npos.
std::size_t root_position(std::string_view file) {
  std::size_t best = std::string_view::npos;
  for (const std::string_view root : kRoots) {
    if (file.substr(0, root.size()) == root && best == std::string_view::npos) best = 0;
    const std::string slashed = "/" + std::string(root);
    const std::size_t at = file.rfind(slashed);
    if (at != std::string_view::npos && (best == std::string_view::npos || at + 1 > best)) {
      best = at + 1;
    }
  }
  return best;
}

// The one context of the live ScopedFindingHandler (see finding.h for why
// it is process-wide).
std::unique_ptr<FindingContext> g_context;

[[noreturn]] void report_and_exit(const char* expression, const char* message, const char* file,
                                  int line) {
  const FailedAssertion failed{expression, message, repository_path(file), line};
  const FindingContext& context = *g_context;
  const std::string text = finding_text(failed, context);
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  if (!context.report_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(context.report_dir, error);
    std::ofstream out(context.report_dir + "/summary.json");
    out << finding_summary(failed, context).dump(2) << "\n";
    out.flush();
    if (!out) std::fputs("simrun: could not write summary.json\n", stderr);
  }
  std::fflush(stdout);
  std::_Exit(origin_of(file) == AssertionOrigin::system_under_test ? kExitFinding
                                                                   : kExitInternalError);
}

void sim_handler(const char* expression, const char* message, const char* file, int line) {
  report_and_exit(expression, message, file, line);
}

void raft_handler(const char* expression, const char* message, const char* file, int line) {
  report_and_exit(expression, message, file, line);
}

}  // namespace

std::string repository_path(std::string_view file) {
  const std::size_t at = root_position(file);
  return std::string(at == std::string_view::npos ? file : file.substr(at));
}

AssertionOrigin origin_of(std::string_view file) {
  const std::string path = repository_path(file);
  const bool under_test = path.rfind("raft/", 0) == 0 || path.rfind("broker/", 0) == 0;
  return under_test ? AssertionOrigin::system_under_test : AssertionOrigin::simrun;
}

std::string finding_text(const FailedAssertion& failed, const FindingContext& context) {
  const bool finding = origin_of(failed.file) == AssertionOrigin::system_under_test;
  std::string text = finding ? "simrun: FINDING: an invariant of the system under test failed\n"
                             : "simrun: internal error (a defect of simrun, not of the system "
                               "under test; please report it with the repro line)\n";
  text += "  " + failed.file + ":" + std::to_string(failed.line) +
          ": assertion failed: " + failed.expression + "\n  " + failed.message + "\n";
  text += "  scenario " + context.scenario_name + ", seed " + std::to_string(context.seed) + "\n";
  text += "  repro: " + context.repro + "\n";
  return text;
}

nlohmann::json finding_summary(const FailedAssertion& failed, const FindingContext& context) {
  const bool finding = origin_of(failed.file) == AssertionOrigin::system_under_test;
  const std::string location = failed.file + ":" + std::to_string(failed.line);
  return nlohmann::json{
      {"scenario", context.scenario_file},
      {"name", context.scenario_name},
      {"seed", context.seed},
      {"passed", false},
      {"failed", {(finding ? "assertion:" : "internal_error:") + location}},
      {finding ? "finding" : "internal_error",
       {{"expression", failed.expression},
        {"message", failed.message},
        {"file", failed.file},
        {"line", failed.line}}},
      {"repro", context.repro},
      {"override_args", context.override_args},
  };
}

ScopedFindingHandler::ScopedFindingHandler(FindingContext context) {
  SIMRUN_ASSERT(g_context == nullptr, "ScopedFindingHandler is not nestable");
  g_context = std::make_unique<FindingContext>(std::move(context));
  sim::set_assert_handler(&sim_handler);
  raft::set_assert_handler(&raft_handler);
}

ScopedFindingHandler::~ScopedFindingHandler() {
  sim::set_assert_handler(nullptr);
  raft::set_assert_handler(nullptr);
  g_context.reset();
}

}  // namespace simrun::cli
