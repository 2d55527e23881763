#include "broker/sealed.h"

#include "broker/crc32c.h"
#include "sim/assert.h"

namespace simrun::broker {

namespace {
std::uint64_t get_le(std::span<const std::uint8_t> in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(in[at + static_cast<std::size_t>(i)]) << (8 * i);
  }
  return value;
}
void put_le(std::uint8_t* out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
// The checksum field: CRC32C, zero-extended (see sealed.h).
std::uint64_t body_checksum(std::span<const std::uint8_t> body) { return crc32c(body); }
}  // namespace

sim::Bytes seal_begin(std::size_t body_bytes) {
  sim::Bytes out;
  out.reserve(kSealHeaderBytes + body_bytes);
  out.resize(kSealHeaderBytes);
  return out;
}

void seal_finish(sim::Bytes& sealed) {
  SIMRUN_ASSERT(sealed.size() >= kSealHeaderBytes, "seal_finish without seal_begin");
  const std::span<const std::uint8_t> body =
      std::span<const std::uint8_t>(sealed).subspan(kSealHeaderBytes);
  SIMRUN_ASSERT(body.size() <= UINT32_MAX, "sealed body too large");
  put_le(sealed.data(), body.size(), 4);
  put_le(sealed.data() + 4, body_checksum(body), 8);
}

sim::Bytes seal(std::span<const std::uint8_t> body) {
  sim::Bytes out = seal_begin(body.size());
  out.insert(out.end(), body.begin(), body.end());
  seal_finish(out);
  return out;
}

std::optional<std::span<const std::uint8_t>> unseal(std::span<const std::uint8_t> sealed) {
  if (sealed.size() < kSealHeaderBytes) return std::nullopt;
  const std::uint64_t length = get_le(sealed, 0, 4);
  if (length != sealed.size() - kSealHeaderBytes) return std::nullopt;
  const auto body = sealed.subspan(kSealHeaderBytes);
  if (body_checksum(body) != get_le(sealed, 4, 8)) return std::nullopt;
  return body;
}

}  // namespace simrun::broker
