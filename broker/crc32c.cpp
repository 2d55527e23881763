#include "broker/crc32c.h"

#include <array>

#include "raft/little_endian.h"
#include "sim/assert.h"

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define SIMRUN_CRC32C_X86 1
#else
#define SIMRUN_CRC32C_X86 0
#endif

namespace simrun::broker {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78U;

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero
// bytes, so eight input bytes are folded with eight lookups.
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> tables{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1U) != 0 ? (c >> 1) ^ kPolynomial : c >> 1;
    tables[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::uint32_t i = 0; i < 256; ++i) {
      const std::uint32_t previous = tables[k - 1][i];
      tables[k][i] = (previous >> 8) ^ tables[0][previous & 0xFFU];
    }
  }
  return tables;
}
constexpr auto kTables = make_tables();

#if SIMRUN_CRC32C_X86
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const std::uint8_t* data,
                                                             std::size_t size,
                                                             std::uint32_t state) {
  std::uint64_t wide = state;
  for (; size >= 8; size -= 8, data += 8) {
    wide = _mm_crc32_u64(wide, raft::load_le<8>(data));
  }
  auto narrow = static_cast<std::uint32_t>(wide);
  for (; size > 0; --size, ++data) narrow = _mm_crc32_u8(narrow, *data);
  return narrow;
}

bool detect_sse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
}
#endif

}  // namespace

std::uint32_t crc32c_portable(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  std::uint32_t state = ~crc;
  const std::uint8_t* data = bytes.data();
  std::size_t size = bytes.size();
  for (; size >= 8; size -= 8, data += 8) {
    const std::uint64_t word = raft::load_le<8>(data) ^ state;
    state = kTables[7][word & 0xFFU] ^ kTables[6][(word >> 8) & 0xFFU] ^
            kTables[5][(word >> 16) & 0xFFU] ^ kTables[4][(word >> 24) & 0xFFU] ^
            kTables[3][(word >> 32) & 0xFFU] ^ kTables[2][(word >> 40) & 0xFFU] ^
            kTables[1][(word >> 48) & 0xFFU] ^ kTables[0][word >> 56];
  }
  for (; size > 0; --size, ++data) state = kTables[0][(state ^ *data) & 0xFFU] ^ (state >> 8);
  return ~state;
}

bool crc32c_hardware_available() {
#if SIMRUN_CRC32C_X86
  static const bool available = detect_sse42();
  return available;
#else
  return false;
#endif
}

std::uint32_t crc32c_hardware(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  SIMRUN_ASSERT(crc32c_hardware_available(), "crc32c_hardware needs SSE 4.2");
#if SIMRUN_CRC32C_X86
  return ~crc32c_sse42(bytes.data(), bytes.size(), ~crc);
#else
  return crc32c_portable(bytes, crc);
#endif
}

std::uint32_t crc32c(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  return crc32c_hardware_available() ? crc32c_hardware(bytes, crc) : crc32c_portable(bytes, crc);
}

}  // namespace simrun::broker
