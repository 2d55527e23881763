// The shared little-endian helpers: the byte order is the wire's, whatever
// the host's, for every width the encoders use.

#include "raft/little_endian.h"

#include <array>

#include <doctest/doctest.h>

namespace simrun::raft {
namespace {

TEST_CASE("store_le writes the low-order byte first and only Width bytes") {
  std::array<std::uint8_t, 9> bytes{};
  bytes.fill(0xEE);
  store_le<8>(bytes.data(), 0x0807060504030201ULL);
  for (std::size_t i = 0; i < 8; ++i) CHECK(bytes[i] == i + 1);
  CHECK(bytes[8] == 0xEE);  // nothing past the width

  bytes.fill(0xEE);
  store_le<2>(bytes.data(), 0xBBAA);
  CHECK(bytes[0] == 0xAA);
  CHECK(bytes[1] == 0xBB);
  CHECK(bytes[2] == 0xEE);

  bytes.fill(0xEE);
  store_le<4>(bytes.data(), 0x11223344AABBCCDDULL);  // the high bytes are dropped
  CHECK(bytes[0] == 0xDD);
  CHECK(bytes[3] == 0xAA);
  CHECK(bytes[4] == 0xEE);
}

TEST_CASE("load_le reads exactly Width bytes, low-order first") {
  const std::array<std::uint8_t, 8> bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  CHECK(load_le<1>(bytes.data()) == 0x01);
  CHECK(load_le<2>(bytes.data()) == 0x0201);
  CHECK(load_le<4>(bytes.data()) == 0x04030201);
  CHECK(load_le<8>(bytes.data()) == 0x0807060504030201ULL);
  CHECK(load_le<4>(bytes.data() + 3) == 0x07060504);  // unaligned
}

TEST_CASE("load_le inverts store_le for every width") {
  const std::uint64_t value = 0xF1E2D3C4B5A69788ULL;
  std::array<std::uint8_t, 8> bytes{};
  store_le<3>(bytes.data(), value);
  CHECK(load_le<3>(bytes.data()) == (value & 0xFFFFFFULL));
  store_le<8>(bytes.data(), value);
  CHECK(load_le<8>(bytes.data()) == value);
}

}  // namespace
}  // namespace simrun::raft
