#pragma once
// Assertions that are never compiled out, in any build type. A failed
// assertion is a programmer error: print where and why, then abort, so a
// simulation never continues from a state the code believes impossible.

namespace simrun::sim {
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
}  // namespace simrun::sim

namespace simrun::sim::detail {
[[noreturn]] void assert_failed(const char* expression, const char* message, const char* file,
                                int line);
}  // namespace simrun::sim::detail

#define SIMRUN_ASSERT(condition, message)                                              \
  do {                                                                                 \
    if (!(condition)) [[unlikely]] {                                                   \
      ::simrun::sim::detail::assert_failed(#condition, (message), __FILE__, __LINE__); \
    }                                                                                  \
  } while (false)
