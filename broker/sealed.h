#pragma once
// A sealed byte string: the form in which every whole-file durable structure
// (a group's hard state, snapshot and repair marker) is stored, so that
// corruption is always detected and never interpreted as data:
//   length(u32 LE) | checksum(u64 LE) | body
// The checksum is the body's CRC32C (broker/crc32c.h, the SSE 4.2
// instruction) in the low half and zero in the high half: the field keeps
// its 8 bytes so the files, and the bytes a disk fault can hit, keep their
// size. CRC32C detects every burst of up to 32 flipped bits (so every single
// bit flip, the disk's fault model) at about 8 bytes per instruction, where
// the 64-bit sim::hash_bytes it replaced mixed one word per ~10 (issue 12).
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

// Sealing in place, for a body encoded straight after the header instead of
// being built and then copied: seal_begin returns a buffer holding the
// header's room (capacity for `body_bytes` more), the caller appends the
// body, seal_finish writes the header over its room.
sim::Bytes seal_begin(std::size_t body_bytes);
void seal_finish(sim::Bytes& sealed);

}  // namespace simrun::broker
