// The harnesses' toy state machine image: "index:data" lines.

#include "raft/applied_image.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace simrun::raft {
namespace {

Bytes bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

}  // namespace

TEST_CASE("an image lists the applied entries up to the snapshot index") {
  const AppliedList applied{{2, "a"}, {3, ""}, {5, "x:y"}, {9, "late"}};
  CHECK(encode_applied_image(applied, 5) == bytes("2:a\n3:\n5:x:y\n"));
  CHECK(encode_applied_image(applied, 1).empty());
  CHECK(encode_applied_image({}, 100).empty());
}

TEST_CASE("decoding inverts encoding") {
  const AppliedList applied{{2, "a"}, {3, ""}, {5, "x:y"}, {12345678901, "big"}};
  CHECK(decode_applied_image(encode_applied_image(applied, 12345678901)) == applied);
  CHECK(decode_applied_image(Bytes{}).empty());
}

TEST_CASE("a corrupt image is rejected, not guessed at") {
  CHECK_THROWS_AS(decode_applied_image(bytes("2:a")), std::runtime_error);   // no newline
  CHECK_THROWS_AS(decode_applied_image(bytes("2a\n")), std::runtime_error);  // no colon
  CHECK_THROWS_AS(decode_applied_image(bytes("\n3:b\n")),
                  std::runtime_error);  // colon on a later line
  CHECK_THROWS_AS(decode_applied_image(bytes(":a\n")), std::runtime_error);    // no index
  CHECK_THROWS_AS(decode_applied_image(bytes("+2:a\n")), std::runtime_error);  // not digits
  CHECK_THROWS_AS(decode_applied_image(bytes(" 2:a\n")), std::runtime_error);
}

}  // namespace simrun::raft
