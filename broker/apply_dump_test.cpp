#include "broker/apply_dump.h"

#include <doctest/doctest.h>

#include <vector>

namespace simrun::broker {

TEST_CASE("an empty entry dumps as zero bytes") { CHECK(hex_ascii_dump({}) == "(0 bytes)"); }

TEST_CASE("hex and printable ASCII side by side, dots for the rest") {
  const std::vector<std::uint8_t> bytes{'h', 'i', 0x00, 0xff};
  CHECK(hex_ascii_dump(bytes) == "0000  68 69 00 ff                                      |hi..|");
}

TEST_CASE("long entries are cut at the bound and say how long they were") {
  std::vector<std::uint8_t> bytes(200, 'a');
  const std::string dump = hex_ascii_dump(bytes);
  CHECK(dump.find("0030 ") != std::string::npos);  // fourth line of 16 bytes
  CHECK(dump.find("0040 ") == std::string::npos);  // nothing past 64 bytes
  CHECK(dump.find("(200 bytes total)") != std::string::npos);
}

}  // namespace simrun::broker
