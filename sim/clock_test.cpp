#include "sim/clock.h"

#include <doctest/doctest.h>

namespace simrun::sim {

TEST_CASE("a fresh clock reads global time") {
  LocalClock clock;
  CHECK(clock.local_at(0) == 0);
  CHECK(clock.local_at(seconds(5)) == seconds(5));
  CHECK(clock.global_duration(millis(3)) == millis(3));
}

TEST_CASE("offset shifts the reading, not the rate") {
  LocalClock clock;
  clock.set_offset(seconds(1), millis(-250));
  CHECK(clock.local_at(seconds(1)) == millis(750));
  CHECK(clock.local_at(seconds(2)) == millis(1750));
  CHECK(clock.global_duration(millis(10)) == millis(10));
}

TEST_CASE("drift in ppm changes the rate exactly, in integers") {
  LocalClock clock;
  clock.set_drift_ppm(0, 1000);  // runs 0.1 % fast
  CHECK(clock.local_at(seconds(1)) == seconds(1) + millis(1));
  CHECK(clock.local_at(seconds(1000)) == seconds(1001));
  // 1.001 s local pass in exactly 1 s global.
  CHECK(clock.global_duration(seconds(1) + millis(1)) == seconds(1));
  // Rounded up: sleeping by this clock never ends early.
  const duration_ns global = clock.global_duration(seconds(1));
  CHECK(clock.local_at(global) - clock.local_at(0) >= seconds(1));
  CHECK(clock.local_at(global - 1) - clock.local_at(0) < seconds(1));

  LocalClock slow;
  slow.set_drift_ppm(0, -500'000);  // half speed
  CHECK(slow.local_at(seconds(10)) == seconds(5));
  CHECK(slow.global_duration(seconds(5)) == seconds(10));
}

TEST_CASE("drift changes re-anchor: the clock stays continuous") {
  LocalClock clock;
  clock.set_drift_ppm(0, 100'000);  // +10 %
  CHECK(clock.local_at(seconds(10)) == seconds(11));
  clock.set_drift_ppm(seconds(10), 0);
  CHECK(clock.local_at(seconds(10)) == seconds(11));
  CHECK(clock.local_at(seconds(20)) == seconds(21));
}

TEST_CASE("jumps move the reading forward or backward at once") {
  LocalClock clock;
  clock.jump(seconds(2), seconds(60));
  CHECK(clock.local_at(seconds(2)) == seconds(62));
  clock.jump(seconds(3), -seconds(100));
  CHECK(clock.local_at(seconds(3)) == -seconds(37));
  CHECK(clock.global_duration(millis(1)) == millis(1));  // rate untouched
}

TEST_CASE("no overflow over a year at large drift") {
  LocalClock clock;
  clock.set_drift_ppm(0, 999'999);
  const time_ns year = seconds(365LL * 24 * 3600);
  CHECK(clock.local_at(year) == year + year / 1'000'000 * 999'999);
}

}  // namespace simrun::sim
