#include "broker/hexdump.h"

#include <algorithm>

#include <fmt/format.h>

namespace simrun::broker {

std::string hexdump(std::span<const std::uint8_t> bytes, std::size_t max_bytes) {
  if (bytes.empty()) return "(empty)";
  constexpr std::size_t kBytesPerLine = 16;
  const std::size_t shown = std::min(bytes.size(), max_bytes);
  std::string out;
  for (std::size_t line = 0; line < shown; line += kBytesPerLine) {
    if (line != 0) out += '\n';
    out += fmt::format("{:08x} ", line);
    std::string ascii;
    for (std::size_t i = 0; i < kBytesPerLine; ++i) {
      if (i == 8) out += ' ';
      const std::size_t at = line + i;
      if (at < shown) {
        const std::uint8_t byte = bytes[at];
        out += fmt::format(" {:02x}", byte);
        ascii += (byte >= 0x20 && byte < 0x7f) ? static_cast<char>(byte) : '.';
      } else {
        out += "   ";
      }
    }
    out += "  |" + ascii + "|";
  }
  if (shown < bytes.size()) {
    out += fmt::format("\n... {} bytes total, {} not shown", bytes.size(), bytes.size() - shown);
  }
  return out;
}

}  // namespace simrun::broker
