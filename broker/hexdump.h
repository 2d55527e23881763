#pragma once
// A bounded hex + ASCII dump of a byte string, for deserialization error
// traces (apply.deser_error's `dump` field): enough to see at a glance that
// an entry was empty, truncated or not a record batch at all.
//
//   00000000  01 02 03 41 42 43 00 00  00 00 00 00 00 00 00 00  |...ABC..........|
//   ... 4096 bytes total, 3840 not shown
//
// Deterministic (no pointers, no locale), so it can go into the trace.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace simrun::broker {

inline constexpr std::size_t kHexdumpDefaultMaxBytes = 64;

// Dumps at most `max_bytes` bytes, 16 per line, lines joined by '\n'; notes
// how many bytes were left out. An empty input gives "(empty)".
std::string hexdump(std::span<const std::uint8_t> bytes,
                    std::size_t max_bytes = kHexdumpDefaultMaxBytes);

}  // namespace simrun::broker
