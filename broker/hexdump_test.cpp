#include "broker/hexdump.h"

#include <doctest/doctest.h>

#include <vector>

namespace simrun::broker {
namespace {

TEST_CASE("hexdump of an empty entry says so") { CHECK(hexdump({}) == "(empty)"); }

TEST_CASE("hexdump shows hex and printable ASCII, 16 bytes a line") {
  std::vector<std::uint8_t> bytes{0x01, 0x41, 0x42, 0x7f, 0x20};
  CHECK(hexdump(bytes) == "00000000  01 41 42 7f 20                                    |.AB. |");
  std::vector<std::uint8_t> eighteen(18, 0x61);
  const std::string dump = hexdump(eighteen);
  CHECK(dump ==
        "00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|\n"
        "00000010  61 61                                             |aa|");
}

TEST_CASE("hexdump is bounded and reports what it left out") {
  std::vector<std::uint8_t> big(1000, 0);
  const std::string dump = hexdump(big, 32);
  CHECK(dump.find("00000010") != std::string::npos);
  CHECK(dump.find("00000020") == std::string::npos);
  CHECK(dump.find("... 1000 bytes total, 968 not shown") != std::string::npos);
}

}  // namespace
}  // namespace simrun::broker
