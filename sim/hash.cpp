#include "sim/hash.h"

namespace simrun::sim {

std::uint64_t hash_bytes(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
  Hasher hasher(seed);
  hasher.add_bytes(bytes);
  return hasher.value();
}

std::uint64_t hash_string(std::string_view text, std::uint64_t seed) {
  Hasher hasher(seed);
  hasher.add_string(text);
  return hasher.value();
}

}  // namespace simrun::sim
