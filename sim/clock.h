#pragma once
// A process's local clock as a piecewise-linear function of global time:
// local(g) = local_anchor + (g - global_anchor) * (1e6 + drift_ppm) / 1e6.
// Offsets and jumps move the anchor; a drift change re-anchors at the
// current instant so the clock stays continuous. Integer arithmetic only,
// split so that nothing overflows for runs of years at |drift| < 1e6 ppm.

#include <cstdint>

#include "sim/assert.h"
#include "sim/time.h"

namespace simrun::sim {

class LocalClock {
 public:
  static constexpr std::int64_t kPpm = 1'000'000;

  time_ns local_at(time_ns global) const {
    const duration_ns elapsed = global - global_anchor_;
    SIMRUN_ASSERT(elapsed >= 0, "local clock read before its anchor");
    // Without drift the scaled part is 0; skip its division (every Env::now).
    if (drift_ppm_ == 0) return local_anchor_ + elapsed;
    return local_anchor_ + elapsed + scale_ppm(elapsed, drift_ppm_);
  }

  // The global span after which `local` ns have passed on this clock
  // (rounded up, so a sleeper never wakes early by its own clock).
  duration_ns global_duration(duration_ns local) const {
    if (local <= 0) return 0;
    // Without drift the formula below is the identity; skip its two
    // divisions, which every sleep and timed wait pays.
    if (drift_ppm_ == 0) return local;
    const std::int64_t rate = kPpm + drift_ppm_;  // local ns per 1e6 global ns
    const std::int64_t whole = local / rate;
    const std::int64_t rest = local % rate;
    return whole * kPpm + (rest * kPpm + rate - 1) / rate;
  }

  // Local time reads global + offset from `global_now` on (drift continues).
  void set_offset(time_ns global_now, duration_ns offset) {
    global_anchor_ = global_now;
    local_anchor_ = global_now + offset;
  }
  void set_drift_ppm(time_ns global_now, std::int64_t drift_ppm) {
    SIMRUN_ASSERT(drift_ppm > -kPpm && drift_ppm < kPpm, "drift out of the supported range");
    local_anchor_ = local_at(global_now);
    global_anchor_ = global_now;
    drift_ppm_ = drift_ppm;
  }
  void jump(time_ns global_now, duration_ns delta) {
    local_anchor_ = local_at(global_now) + delta;
    global_anchor_ = global_now;
  }
  // Back to local == global (a fresh machine after restart keeps its clock,
  // so World does not call this on restart; tests do).
  void reset(time_ns global_now) {
    global_anchor_ = global_now;
    local_anchor_ = global_now;
    drift_ppm_ = 0;
  }
  std::int64_t drift_ppm() const { return drift_ppm_; }

 private:
  static std::int64_t scale_ppm(duration_ns value, std::int64_t ppm) {
    return (value / kPpm) * ppm + (value % kPpm) * ppm / kPpm;
  }

  time_ns global_anchor_ = 0;
  time_ns local_anchor_ = 0;
  std::int64_t drift_ppm_ = 0;
};

}  // namespace simrun::sim
