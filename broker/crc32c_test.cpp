#include "broker/crc32c.h"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "sim/random.h"

namespace simrun::broker {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// The published check values: "123456789" (the CRC catalogue's check) and
// the iSCSI test vectors of RFC 3720, appendix B.4.
struct CheckValue {
  std::vector<std::uint8_t> input;
  std::uint32_t crc;
};

std::vector<CheckValue> check_values() {
  std::vector<CheckValue> values;
  values.push_back({bytes_of("123456789"), 0xE3069283U});
  values.push_back({{}, 0U});
  values.push_back({std::vector<std::uint8_t>(32, 0x00), 0x8A9136AAU});
  values.push_back({std::vector<std::uint8_t>(32, 0xFF), 0x62A8AB43U});
  std::vector<std::uint8_t> ascending(32);
  std::vector<std::uint8_t> descending(32);
  for (std::uint8_t i = 0; i < 32; ++i) {
    ascending[i] = i;
    descending[i] = static_cast<std::uint8_t>(31 - i);
  }
  values.push_back({ascending, 0x46DD794EU});
  values.push_back({descending, 0x113FDB5CU});
  return values;
}

TEST_CASE("crc32c: every implementation gives the published check values") {
  for (const CheckValue& value : check_values()) {
    CHECK(crc32c_portable(value.input) == value.crc);
    CHECK(crc32c(value.input) == value.crc);
    if (crc32c_hardware_available()) CHECK(crc32c_hardware(value.input) == value.crc);
  }
}

TEST_CASE("crc32c: chaining two pieces equals one pass") {
  const auto all = bytes_of("123456789");
  const std::span<const std::uint8_t> view(all);
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    CHECK(crc32c_portable(view.subspan(cut), crc32c_portable(view.first(cut))) == 0xE3069283U);
    CHECK(crc32c(view.subspan(cut), crc32c(view.first(cut))) == 0xE3069283U);
  }
}

TEST_CASE("crc32c: hardware and portable agree on every length and alignment") {
  if (!crc32c_hardware_available()) return;  // nothing to compare on this CPU
  sim::Rng rng(12);
  std::vector<std::uint8_t> buffer(4096 + 16);
  for (auto& byte : buffer) byte = static_cast<std::uint8_t>(rng.below(256));
  const std::span<const std::uint8_t> view(buffer);
  int compared = 0;
  for (std::size_t start = 0; start < 16; ++start) {
    for (std::size_t length = 0; length <= 300; ++length) {
      const auto piece = view.subspan(start, length);
      const std::uint32_t seed = static_cast<std::uint32_t>(rng.next_u64());
      CHECK(crc32c_hardware(piece, seed) == crc32c_portable(piece, seed));
      ++compared;
    }
  }
  CHECK(crc32c_hardware(view) == crc32c_portable(view));
  CHECK(compared == 16 * 301);
}

TEST_CASE("crc32c: a flipped bit changes the value") {
  auto data = bytes_of("a record batch body");
  const std::uint32_t before = crc32c(data);
  data[5] ^= 0x10;
  CHECK(crc32c(data) != before);
  CHECK(crc32c_portable(data) == crc32c(data));
}

}  // namespace
}  // namespace simrun::broker
