#include "sim/digest.h"

// Header-only use: the calls inline here, and no shared library is needed
// at run time.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace simrun::sim {

std::uint64_t digest_bytes(std::span<const std::uint8_t> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::uint64_t digest_string(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

}  // namespace simrun::sim
