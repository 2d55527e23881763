#pragma once
// A bounded hex + ASCII dump of entry bytes for the apply.deser_error trace
// record (mechanism 4): enough to diagnose what failed to decode without
// copying a whole record batch into the trace.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace simrun::broker {

inline constexpr std::size_t kDumpBytesMax = 64;

// "0000  68 69 00 ff  |hi..|" lines of 16 bytes, at most kDumpBytesMax
// bytes, then "... (N bytes total)" when cut. Empty input: "(0 bytes)".
std::string hex_ascii_dump(std::span<const std::uint8_t> bytes);

}  // namespace simrun::broker
