#include "sim/digest.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace simrun::sim {
namespace {

// XXH3-64 with seed 0: the empty string's value is the one xxHash documents
// (XXH3_64bits of no input); the others pin the algorithm's output so that
// a different xxHash version or build cannot change trace digests silently.
TEST_CASE("digest_bytes is XXH3-64 with the reference values") {
  CHECK(digest_string("") == 0x2d06800538d394c2ULL);
  CHECK(digest_string("a") == 0xe6c632b61e964e1fULL);
  CHECK(digest_string("123456789") == 0x72dcb18b67a17dffULL);
  CHECK(digest_string("The quick brown fox jumps over the lazy dog") == 0xce7d19a5418fb365ULL);
  std::vector<std::uint8_t> kib(1024);
  for (std::size_t i = 0; i < kib.size(); ++i) kib[i] = static_cast<std::uint8_t>(i * 7 + 3);
  CHECK(digest_bytes(kib) == 0x9b81661c641c72b1ULL);
}

TEST_CASE("digest_bytes and digest_string agree and see every byte") {
  const std::string text = "payload bytes";
  const std::vector<std::uint8_t> bytes(text.begin(), text.end());
  CHECK(digest_bytes(bytes) == digest_string(text));
  std::vector<std::uint8_t> flipped = bytes;
  flipped.back() ^= 1;
  CHECK(digest_bytes(flipped) != digest_bytes(bytes));
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  CHECK(digest_bytes(longer) != digest_bytes(bytes));
}

}  // namespace
}  // namespace simrun::sim
