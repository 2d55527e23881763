#pragma once
// A one-line progress display on stderr for long runs: only when stderr is a
// terminal and CI is unset, redrawn at most a few times per wall second.

#include <chrono>
#include <cstdint>
#include <string>

namespace simrun::cli {

class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();  // clears the line
  static bool enabled();
  void update(std::int64_t now_ms, std::int64_t end_ms);
  // Draws `text` as the whole line (throttled like update).
  void show(const std::string& text);
  void set_label(std::string label) { label_ = std::move(label); }

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
  bool due();  // enabled, and the last draw is old enough
};

}  // namespace simrun::cli
