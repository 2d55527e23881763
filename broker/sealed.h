#pragma once
// A sealed byte string: the form in which every whole-file durable structure
// (a group's hard state, snapshot and repair marker) is stored, so that
// corruption is always detected and never interpreted as data:
//   length(u32 LE) | checksum(u64 LE, sim::hash_bytes of the body) | body
// unseal() returns the body only when the length matches the file exactly
// and the checksum holds; anything else (a flipped bit anywhere, a short or
// long file) is nullopt.

#include <cstdint>
#include <optional>
#include <span>

#include "sim/disk.h"

namespace simrun::broker {

inline constexpr std::size_t kSealHeaderBytes = 4 + 8;

sim::Bytes seal(std::span<const std::uint8_t> body);
std::optional<std::span<const std::uint8_t>> unseal(std::span<const std::uint8_t> sealed);

}  // namespace simrun::broker
