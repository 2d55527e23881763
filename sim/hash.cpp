#include "sim/hash.h"

namespace simrun::sim {

namespace {
// Packs up to 8 bytes little-endian, so the value does not depend on the
// host's byte order or alignment.
std::uint64_t load_word(const std::uint8_t* bytes, std::size_t count) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < count; ++i) word |= std::uint64_t{bytes[i]} << (8 * i);
  return word;
}
}  // namespace

void Hasher::add_bytes(std::span<const std::uint8_t> bytes) {
  // The length goes first so that "ab"+"c" and "a"+"bc" hash differently.
  add(bytes.size());
  std::size_t offset = 0;
  for (; offset + 8 <= bytes.size(); offset += 8) add(load_word(bytes.data() + offset, 8));
  if (offset < bytes.size()) add(load_word(bytes.data() + offset, bytes.size() - offset));
}

void Hasher::add_string(std::string_view text) {
  add_bytes({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

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
