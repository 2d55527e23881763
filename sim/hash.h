#pragma once
// A fixed 64-bit hash, identical on every platform and compiler (unlike
// std::hash). Used for the trace hash, for deriving random streams from a
// name, and by the broker's legacy election-tick formula.

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace simrun::sim {

// One round of the splitmix64 finalizer: a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Incremental hasher: feed integers and byte strings, read value().
class Hasher {
 public:
  explicit Hasher(std::uint64_t seed = 0x243f6a8885a308d3ULL) : state_(seed) {}
  void add(std::uint64_t value) { state_ = mix64(state_ ^ value) + 0x9e3779b97f4a7c15ULL; }
  void add_bytes(std::span<const std::uint8_t> bytes);
  void add_string(std::string_view text);
  std::uint64_t value() const { return mix64(state_); }

 private:
  std::uint64_t state_;
};

// Inline: the trace hashes a dozen short strings per network message.
namespace hash_detail {
// Packs up to 8 bytes little-endian, so the value does not depend on the
// host's byte order or alignment (the definition; big-endian hosts use it).
inline std::uint64_t load_word(const std::uint8_t* bytes, std::size_t count) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < count; ++i) word |= std::uint64_t{bytes[i]} << (8 * i);
  return word;
}

inline std::uint32_t load_u32(const std::uint8_t* bytes) {
  std::uint32_t word;
  std::memcpy(&word, bytes, 4);
  return word;
}

// The last 1..7 bytes, as load_word would pack them, without a byte loop or
// a variable-length memcpy call: two overlapping 4-byte loads, or the
// first, middle and last byte (overlapping bytes land on the same bits).
inline std::uint64_t load_tail(const std::uint8_t* bytes, std::size_t count) {
  if constexpr (std::endian::native == std::endian::little) {
    if (count >= 4) {
      return std::uint64_t{load_u32(bytes)} |
             (std::uint64_t{load_u32(bytes + count - 4)} << (8 * (count - 4)));
    }
    return std::uint64_t{bytes[0]} | (std::uint64_t{bytes[count / 2]} << (8 * (count / 2))) |
           (std::uint64_t{bytes[count - 1]} << (8 * (count - 1)));
  } else {
    return load_word(bytes, count);
  }
}

inline std::uint64_t load_full_word(const std::uint8_t* bytes) {
  if constexpr (std::endian::native == std::endian::little) {
    std::uint64_t word;
    std::memcpy(&word, bytes, 8);
    return word;
  } else {
    return load_word(bytes, 8);
  }
}
}  // namespace hash_detail

inline void Hasher::add_bytes(std::span<const std::uint8_t> bytes) {
  // The length goes first so that "ab"+"c" and "a"+"bc" hash differently.
  add(bytes.size());
  const std::uint8_t* const data = bytes.data();
  const std::size_t size = bytes.size();
  std::size_t offset = 0;
  for (; offset + 8 <= size; offset += 8) add(hash_detail::load_full_word(data + offset));
  if (offset < size) add(hash_detail::load_tail(data + offset, size - offset));
}

inline void Hasher::add_string(std::string_view text) {
  add_bytes({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::uint64_t hash_bytes(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0);
std::uint64_t hash_string(std::string_view text, std::uint64_t seed = 0);

}  // namespace simrun::sim
