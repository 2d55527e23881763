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

bool Progress::due() {
  if (!enabled_) return false;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return false;
  last_draw_ = now;
  drawn_ = true;
  return true;
}

void Progress::update(std::int64_t now_ms, std::int64_t end_ms) {
  if (!due()) return;
  std::fprintf(stderr, "\r\033[K%s %lld/%lld s simulated", label_.c_str(),
               static_cast<long long>(now_ms / 1000), static_cast<long long>(end_ms / 1000));
  std::fflush(stderr);
}

void Progress::show(const std::string& text) {
  if (!due()) return;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
}

}  // namespace simrun::cli
