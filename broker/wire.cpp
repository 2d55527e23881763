#include "broker/wire.h"

#include <fmt/format.h>

#include "raft/little_endian.h"
#include "sim/assert.h"

namespace simrun::broker::wire {

void Writer::string(std::string_view text) {
  SIMRUN_ASSERT(text.size() <= kMaxStringBytes, "string longer than the protocol allows");
  u16(static_cast<std::uint16_t>(text.size()));
  out_.insert(out_.end(), text.begin(), text.end());
}

void Writer::bytes(std::span<const std::uint8_t> data) {
  SIMRUN_ASSERT(data.size() <= UINT32_MAX, "byte string longer than a u32 length");
  u32(static_cast<std::uint32_t>(data.size()));
  raw(data);
}

void Writer::patch_u32(std::size_t at, std::uint32_t v) {
  SIMRUN_ASSERT(at + 4 <= out_.size(), "patch outside the written bytes");
  raft::store_le<4>(out_.data() + at, v);
}

bool Reader::take(std::string_view field, std::size_t width) {
  if (!ok()) return false;
  if (remaining() < width) {
    fail(fmt::format("unexpected end of file reading {} at byte {} (need {}, have {})", field,
                     position_, width, remaining()));
    return false;
  }
  return true;
}

std::string Reader::string(std::string_view field) {
  const std::uint16_t length = u16(field);
  if (!ok()) return {};
  if (length > kMaxStringBytes) {
    fail(fmt::format("{} length {} exceeds {} at byte {}", field, length, kMaxStringBytes,
                     position_));
    return {};
  }
  auto data = raw(field, length);
  return std::string(data.begin(), data.end());
}

Bytes Reader::bytes(std::string_view field, std::size_t max_bytes) {
  auto data = bytes_view(field, max_bytes);
  return Bytes(data.begin(), data.end());
}

std::span<const std::uint8_t> Reader::bytes_view(std::string_view field, std::size_t max_bytes) {
  const std::uint32_t length = u32(field);
  if (!ok()) return {};
  if (length > max_bytes) {
    fail(fmt::format("{} length {} exceeds {} at byte {}", field, length, max_bytes, position_));
    return {};
  }
  return raw(field, length);
}

std::span<const std::uint8_t> Reader::raw(std::string_view field, std::size_t length) {
  if (!take(field, length)) return {};
  auto data = in_.subspan(position_, length);
  position_ += length;
  return data;
}

std::uint32_t Reader::count(std::string_view field, std::uint32_t max_count,
                            std::size_t min_element_bytes) {
  const std::uint32_t n = u32(field);
  if (!ok()) return 0;
  if (n > max_count) {
    fail(fmt::format("{} {} exceeds {} at byte {}", field, n, max_count, position_));
    return 0;
  }
  if (min_element_bytes > 0 && n > remaining() / min_element_bytes) {
    fail(fmt::format("unexpected end of file: {} {} needs at least {} bytes, have {}", field, n,
                     static_cast<std::size_t>(n) * min_element_bytes, remaining()));
    return 0;
  }
  return n;
}

void Reader::fail(std::string message) {
  if (ok()) error_ = std::move(message);
}

void Reader::expect_end(std::string_view what) {
  if (ok() && remaining() != 0) {
    fail(fmt::format("{} trailing bytes after {} at byte {}", remaining(), what, position_));
  }
}

}  // namespace simrun::broker::wire
