#pragma once
// Assertions that are never compiled out, in any build type. A failed
// assertion is a programmer error: print where and why, then abort, so a
// simulation never continues from a state the code believes impossible.

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
