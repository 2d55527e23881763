#include "raft/assert.h"

#include <cstdio>
#include <cstdlib>

namespace simrun::raft {
namespace {
AssertHandler g_handler = nullptr;
}  // namespace

AssertHandler set_assert_handler(AssertHandler handler) {
  const AssertHandler previous = g_handler;
  g_handler = handler;
  return previous;
}
}  // namespace simrun::raft

namespace simrun::raft::detail {

void assert_failed(const char* expression, const char* message, const char* file, int line) {
  if (g_handler != nullptr) g_handler(expression, message, file, line);
  std::fprintf(stderr, "%s:%d: raft assertion failed: %s\n  %s\n", file, line, expression, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace simrun::raft::detail
