#pragma once
// RAFT_ASSERT: the Raft core's own never-compiled-out assertion. raft/ may
// not depend on sim/, so it cannot use SIMRUN_ASSERT; this is the same idea.
// A failed assertion is a programmer error (a violated invariant of this
// object or of its caller's contract), never an operating condition such as
// a stale or malformed message: print where and why, then abort.

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
