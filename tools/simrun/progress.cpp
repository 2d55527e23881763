#include "tools/simrun/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace simrun::cli {

Progress::Progress(std::string label) : label_(std::move(label)), enabled_(enabled()) {}

Progress::~Progress() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

bool Progress::enabled() {
  const char* ci = std::getenv("CI");
  return isatty(STDERR_FILENO) != 0 && (ci == nullptr || ci[0] == '\0');
}

void Progress::update(std::int64_t now_ms, std::int64_t end_ms) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  drawn_ = true;
  std::fprintf(stderr, "\r\033[K%s %lld/%lld s simulated", label_.c_str(),
               static_cast<long long>(now_ms / 1000), static_cast<long long>(end_ms / 1000));
  std::fflush(stderr);
}

}  // namespace simrun::cli
