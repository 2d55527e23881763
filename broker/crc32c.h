#pragma once
// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
// Kafka's record batches. Two implementations that give identical results:
// the SSE 4.2 `crc32` instruction (8 bytes per instruction) when the CPU has
// it, and a portable slicing-by-8 table otherwise. The choice is made once
// per process from the CPU, never from the data, so it cannot change what a
// run does: both are tested against the published check values and against
// each other.
//
// Chaining: crc32c(b, crc32c(a)) == crc32c(a ++ b).

#include <cstdint>
#include <span>

namespace simrun::broker {

// crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);

// The two implementations, for tests and benchmarks. crc32c_hardware
// asserts that the CPU has SSE 4.2 (see crc32c_hardware_available).
std::uint32_t crc32c_portable(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);
std::uint32_t crc32c_hardware(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);
bool crc32c_hardware_available();

}  // namespace simrun::broker
