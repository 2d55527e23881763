#include "raft/assert.h"

#include <cstdio>
#include <cstdlib>

namespace simrun::raft::detail {

void assert_failed(const char* expression, const char* message, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: raft assertion failed: %s\n  %s\n", file, line, expression, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace simrun::raft::detail
