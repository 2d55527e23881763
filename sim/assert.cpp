#include "sim/assert.h"

#include <cstdio>
#include <cstdlib>

namespace simrun::sim::detail {

void assert_failed(const char* expression, const char* message, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: assertion failed: %s\n  %s\n", file, line, expression, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace simrun::sim::detail
