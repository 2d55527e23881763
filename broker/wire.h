#pragma once
// Little-endian byte writer and bounds-checked reader for the client
// protocol and record batches. The reader never trusts a length it has not
// checked against the remaining input: every read either succeeds or puts
// the reader into a failed state with a message naming what was being read
// and where, so garbage input yields an error string, never a crash.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raft/little_endian.h"

namespace simrun::broker::wire {

using Bytes = std::vector<std::uint8_t>;

// The result of a decode: a value, or an error that says why not
// ("unexpected end of file reading record_count at byte 12", "crc mismatch").
template <typename T>
struct Decoded {
  std::optional<T> value;
  std::string error;

  static Decoded ok(T v) { return Decoded{std::move(v), {}}; }
  static Decoded fail(std::string why) { return Decoded{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  T& operator*() { return *value; }
  const T* operator->() const { return &*value; }
  T* operator->() { return &*value; }
};

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put<2>(v); }
  void u32(std::uint32_t v) { put<4>(v); }
  void u64(std::uint64_t v) { put<8>(v); }
  void i32(std::int32_t v) { put<4>(static_cast<std::uint32_t>(v)); }
  void i64(std::int64_t v) { put<8>(static_cast<std::uint64_t>(v)); }
  // Length-prefixed (u16) string; callers keep strings under kMaxStringBytes.
  void string(std::string_view text);
  // Length-prefixed (u32) byte string.
  void bytes(std::span<const std::uint8_t> data);
  // Raw bytes, no prefix.
  void raw(std::span<const std::uint8_t> data) {
    out_.insert(out_.end(), data.begin(), data.end());
  }
  std::size_t size() const { return out_.size(); }
  // Overwrites 4 bytes at `at` (for lengths and CRCs known only later).
  void patch_u32(std::size_t at, std::uint32_t v);

 private:
  // Inline, one resize and one store per integer: every client request,
  // response and record batch field goes through here (issue 12).
  template <int Width>
  void put(std::uint64_t v) {
    const std::size_t at = out_.size();
    out_.resize(at + Width);
    raft::store_le<Width>(out_.data() + at, v);
  }
  Bytes& out_;
};

inline constexpr std::size_t kMaxStringBytes = 1024;

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}

  // Each read names the field it reads, for the error message. After a
  // failure every further read fails too and returns zero/empty.
  std::uint8_t u8(std::string_view field) { return static_cast<std::uint8_t>(get<1>(field)); }
  std::uint16_t u16(std::string_view field) { return static_cast<std::uint16_t>(get<2>(field)); }
  std::uint32_t u32(std::string_view field) { return static_cast<std::uint32_t>(get<4>(field)); }
  std::uint64_t u64(std::string_view field) { return get<8>(field); }
  std::int32_t i32(std::string_view field) { return static_cast<std::int32_t>(u32(field)); }
  std::int64_t i64(std::string_view field) { return static_cast<std::int64_t>(u64(field)); }
  std::string string(std::string_view field);
  Bytes bytes(std::string_view field, std::size_t max_bytes);
  // The same checks as bytes(), returning the bytes in place (no copy; valid
  // while the input is).
  std::span<const std::uint8_t> bytes_view(std::string_view field, std::size_t max_bytes);
  std::span<const std::uint8_t> raw(std::string_view field, std::size_t length);
  // A u32 element count, checked against `max_count` and against the bytes
  // left (each element needs at least `min_element_bytes`).
  std::uint32_t count(std::string_view field, std::uint32_t max_count,
                      std::size_t min_element_bytes);

  // Records a semantic failure (bad enum value, ...) at the current position.
  void fail(std::string message);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t position() const { return position_; }
  std::size_t remaining() const { return in_.size() - position_; }
  // Fails unless every byte was consumed.
  void expect_end(std::string_view what);

 private:
  bool take(std::string_view field, std::size_t width);
  // Inline, the common case (no failure yet, enough bytes) one check and one
  // load: every field of every client message and record batch is read here
  // (issue 12). take() fails the reader with the message otherwise.
  template <int Width>
  std::uint64_t get(std::string_view field) {
    if (!(ok() && remaining() >= Width) && !take(field, Width)) return 0;
    const std::uint64_t v = raft::load_le<Width>(in_.data() + position_);
    position_ += Width;
    return v;
  }
  std::span<const std::uint8_t> in_;
  std::size_t position_ = 0;
  std::string error_;
};

}  // namespace simrun::broker::wire
