#pragma once
// Simulated time: 64-bit integer nanoseconds, never floating point, so that
// time arithmetic is exact and identical on every compiler.

#include <cstdint>

namespace simrun::sim {

using time_ns = std::int64_t;      // a point on the simulated timeline
using duration_ns = std::int64_t;  // a span of simulated time

inline constexpr duration_ns kNanosPerMicro = 1'000;
inline constexpr duration_ns kNanosPerMilli = 1'000'000;
inline constexpr duration_ns kNanosPerSecond = 1'000'000'000;
inline constexpr time_ns kTimeMax = INT64_MAX;

constexpr duration_ns micros(std::int64_t n) { return n * kNanosPerMicro; }
constexpr duration_ns millis(std::int64_t n) { return n * kNanosPerMilli; }
constexpr duration_ns seconds(std::int64_t n) { return n * kNanosPerSecond; }
constexpr std::int64_t to_millis(duration_ns d) { return d / kNanosPerMilli; }

}  // namespace simrun::sim
