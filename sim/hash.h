#pragma once
// A fixed 64-bit hash, identical on every platform and compiler (unlike
// std::hash). Used for the trace hash, for deriving random streams from a
// name, and by the broker's legacy election-tick formula.

#include <cstdint>
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

std::uint64_t hash_bytes(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0);
std::uint64_t hash_string(std::string_view text, std::uint64_t seed = 0);

}  // namespace simrun::sim
