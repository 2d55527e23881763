#include "raft/applied_image.h"

#include <stdexcept>

namespace simrun::raft {
namespace {

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }

// Digits only: an image is written by encode_applied_image, so anything else
// is corruption, not a format to be lenient about.
Index parse_index(const std::string& text) {
  if (text.empty() || text.size() > 18) fail("corrupt snapshot image: index '" + text + "'");
  Index value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') fail("corrupt snapshot image: index '" + text + "'");
    value = value * 10 + static_cast<Index>(c - '0');
  }
  return value;
}

}  // namespace

Bytes encode_applied_image(const AppliedList& applied, Index upto) {
  Bytes image;
  for (const auto& [index, data] : applied) {
    if (index > upto) break;
    std::string line = std::to_string(index) + ":" + data + "\n";
    image.insert(image.end(), line.begin(), line.end());
  }
  return image;
}

AppliedList decode_applied_image(const Bytes& image) {
  AppliedList applied;
  const std::string text(image.begin(), image.end());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::size_t colon = text.find(':', pos);
    if (end == std::string::npos || colon == std::string::npos || colon > end) {
      fail("corrupt snapshot image");
    }
    applied.emplace_back(parse_index(text.substr(pos, colon - pos)),
                         text.substr(colon + 1, end - colon - 1));
    pos = end + 1;
  }
  return applied;
}

}  // namespace simrun::raft
