#pragma once
// RAFT_ASSERT: the Raft core's own never-compiled-out assertion. raft/ may
// not depend on sim/, so it cannot use SIMRUN_ASSERT; this is the same idea.
// A failed assertion is a programmer error (a violated invariant of this
// object or of its caller's contract), never an operating condition such as
// a stale or malformed message: print where and why, then abort.

namespace simrun::raft {
// Called with a failed assertion before the default report-and-abort, so a
// tool can turn it into its own report (tools/simrun/finding.h: a finding
// with a repro line and exit status 1 or 3). A handler should not return;
// if it does, the default runs. Process-wide by necessity: an assertion can
// fail anywhere, deep inside a fiber, where nothing can be thrown or returned
// to the caller. It never influences a run (it only ends one).
using AssertHandler = void (*)(const char* expression, const char* message, const char* file,
                               int line);
// Installs `handler` (nullptr: the default only); returns the previous one.
AssertHandler set_assert_handler(AssertHandler handler);
}  // namespace simrun::raft

namespace simrun::raft::detail {
[[noreturn]] void assert_failed(const char* expression, const char* message, const char* file,
                                int line);
}  // namespace simrun::raft::detail

#define RAFT_ASSERT(condition, message)                                                 \
  do {                                                                                  \
    if (!(condition)) [[unlikely]] {                                                    \
      ::simrun::raft::detail::assert_failed(#condition, (message), __FILE__, __LINE__); \
    }                                                                                   \
  } while (false)
