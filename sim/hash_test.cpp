// The hash is part of the trace's definition and of the broker's on-disk
// checksums: its values must not depend on the host or on how bytes are
// loaded. The word-at-a-time loader is checked against the byte-at-a-time
// definition for every length around the word boundaries.
#include "sim/hash.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

namespace simrun::sim {

namespace {
// The definition, spelled out one byte at a time.
std::uint64_t reference_hash(const std::vector<std::uint8_t>& bytes, std::uint64_t seed) {
  Hasher hasher(seed);
  hasher.add(bytes.size());
  for (std::size_t offset = 0; offset < bytes.size(); offset += 8) {
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < 8 && offset + i < bytes.size(); ++i) {
      word |= std::uint64_t{bytes[offset + i]} << (8 * i);
    }
    hasher.add(word);
  }
  return hasher.value();
}
}  // namespace

TEST_CASE("hash_bytes equals the byte-at-a-time definition for lengths 0..67") {
  std::vector<std::uint8_t> bytes;
  for (std::size_t length = 0; length < 68; ++length) {
    CAPTURE(length);
    CHECK(hash_bytes(bytes) == reference_hash(bytes, 0));
    CHECK(hash_bytes(bytes, 77) == reference_hash(bytes, 77));
    bytes.push_back(static_cast<std::uint8_t>(length * 37 + 11));
  }
}

TEST_CASE("unaligned input hashes like aligned input") {
  std::vector<std::uint8_t> buffer(64);
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<std::uint8_t>(i * 13);
  for (std::size_t shift = 1; shift < 8; ++shift) {
    const std::vector<std::uint8_t> copy(buffer.begin() + static_cast<std::ptrdiff_t>(shift),
                                         buffer.begin() + static_cast<std::ptrdiff_t>(shift) + 40);
    CHECK(hash_bytes(std::span<const std::uint8_t>(buffer.data() + shift, 40)) == hash_bytes(copy));
  }
}

TEST_CASE("every byte and the length matter") {
  std::vector<std::uint8_t> bytes(20, 0);
  const std::uint64_t zeros = hash_bytes(bytes);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = 1;
    CHECK(hash_bytes(bytes) != zeros);
    bytes[i] = 0;
  }
  bytes.push_back(0);
  CHECK(hash_bytes(bytes) != zeros);
  CHECK(hash_string("simrun") == 0xd3ebef7fb7440240ULL);  // pinned across versions
}

}  // namespace simrun::sim
