#pragma once
// What a failed assertion during a run means, and how simrun reports it.
//
// - An assertion in the system under test (raft/, broker/) is a FINDING: the
//   chaos run did its job. simrun prints the assertion, its location and the
//   repro line, writes DIR/summary.json (with --report; "passed": false,
//   "finding": {...}) and exits with status 1, like any failed check.
// - An assertion anywhere else (sim/, tools/) is a defect of simrun itself:
//   "internal error", the assertion and the repro line, exit status 3.
//
// Both are reported from inside the failing assertion (it may be deep in a
// fiber, where nothing can be thrown to the caller), then the process ends
// with std::_Exit: no destructor runs on a state an assertion just called
// impossible.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace simrun::cli {

inline constexpr int kExitFinding = 1;
inline constexpr int kExitInternalError = 3;

enum class AssertionOrigin { system_under_test, simrun };

// From an assertion's __FILE__ (absolute or relative): raft/ and broker/
// sources are the system under test; everything else is simrun.
AssertionOrigin origin_of(std::string_view file);
// The path from the repository root ("broker/node.cpp"), for messages.
std::string repository_path(std::string_view file);

struct FailedAssertion {
  std::string expression;
  std::string message;
  std::string file;  // repository-relative
  int line = 0;
};

// What the handler needs to report a run that ends in an assertion.
struct FindingContext {
  std::string scenario_name;
  std::string scenario_file;
  std::uint64_t seed = 0;
  std::string repro;
  std::string report_dir;  // empty: no summary.json
  std::vector<std::string> override_args;
};

// The stderr text and the summary.json of an assertion with `context`.
std::string finding_text(const FailedAssertion& failed, const FindingContext& context);
nlohmann::json finding_summary(const FailedAssertion& failed, const FindingContext& context);

// While alive, a failed SIMRUN_ASSERT or RAFT_ASSERT is reported as above
// and ends the process (status 1 or 3). Not nestable.
class ScopedFindingHandler {
 public:
  explicit ScopedFindingHandler(FindingContext context);
  ~ScopedFindingHandler();
  ScopedFindingHandler(const ScopedFindingHandler&) = delete;
  ScopedFindingHandler& operator=(const ScopedFindingHandler&) = delete;
};

}  // namespace simrun::cli
