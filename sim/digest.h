#pragma once
// A fast 64-bit digest of a byte string: XXH3-64 (xxHash 0.8, Debian's
// libxxhash-dev), for payload fingerprints where the value need not be the
// trace's own running hash (sim/hash.h): network payload digests, applied
// entry digests, record batch content hashes (storage checksums are CRC32C,
// broker/crc32c.h).
// XXH3's output is specified bit for bit (little-endian canonical form,
// stable since xxHash 0.8.0), whatever the compiler, the SIMD path it picks
// or the host, so digests that reach the trace keep the run deterministic.
// It reads 16-32 bytes per cycle where sim::hash_bytes reads about one.

#include <cstdint>
#include <span>
#include <string_view>

namespace simrun::sim {

std::uint64_t digest_bytes(std::span<const std::uint8_t> bytes);
std::uint64_t digest_string(std::string_view text);

}  // namespace simrun::sim
