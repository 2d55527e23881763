#include "broker/apply_dump.h"

#include <algorithm>

namespace simrun::broker {

std::string hex_ascii_dump(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return "(0 bytes)";
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t shown = std::min(bytes.size(), kDumpBytesMax);
  std::string out;
  for (std::size_t line = 0; line < shown; line += 16) {
    if (line > 0) out += '\n';
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(line >> shift) & 0xf];
    out += ' ';
    const std::size_t end = std::min(line + 16, shown);
    for (std::size_t i = line; i < line + 16; ++i) {
      if (i < end) {
        out += ' ';
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 0xf];
      } else {
        out += "   ";  // keep the ASCII column aligned on the last line
      }
    }
    out += "  |";
    for (std::size_t i = line; i < end; ++i) {
      const std::uint8_t byte = bytes[i];
      out += (byte >= 0x20 && byte < 0x7f) ? static_cast<char>(byte) : '.';
    }
    out += '|';
  }
  if (shown < bytes.size()) out += "\n... (" + std::to_string(bytes.size()) + " bytes total)";
  return out;
}

}  // namespace simrun::broker
