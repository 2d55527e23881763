#pragma once
// Little-endian loads and stores of 1..8-byte integers, the byte order of
// every encoding in simrun (Raft codec, transport frames, client protocol,
// record batches, the CRC's input words). One load or store where the host
// is little-endian; any other host assembles the bytes, so the encodings do
// not depend on the host. In raft/ because raft is the lowest layer: the
// broker's encoders include it from here.
//
// The caller has checked that `bytes` holds Width bytes; these never check.

#include <bit>
#include <cstdint>
#include <cstring>

namespace simrun::raft {

template <int Width>
inline void store_le(std::uint8_t* bytes, std::uint64_t value) {
  static_assert(Width >= 1 && Width <= 8, "a little-endian integer is 1 to 8 bytes");
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(bytes, &value, Width);
  } else {
    for (int i = 0; i < Width; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
}

template <int Width>
inline std::uint64_t load_le(const std::uint8_t* bytes) {
  static_assert(Width >= 1 && Width <= 8, "a little-endian integer is 1 to 8 bytes");
  if constexpr (std::endian::native == std::endian::little) {
    // A fixed-size copy of exactly Width bytes into the low end of the word
    // (x86 and ARM are little-endian: the low-order bytes come first).
    std::uint64_t value = 0;
    std::memcpy(&value, bytes, Width);
    return value;
  } else {
    std::uint64_t value = 0;
    for (int i = 0; i < Width; ++i) value |= std::uint64_t{bytes[i]} << (8 * i);
    return value;
  }
}

}  // namespace simrun::raft
