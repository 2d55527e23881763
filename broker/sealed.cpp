#include "broker/sealed.h"

#include "sim/assert.h"
#include "sim/hash.h"

namespace simrun::broker {

namespace {
std::uint64_t get_le(std::span<const std::uint8_t> in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(in[at + static_cast<std::size_t>(i)]) << (8 * i);
  }
  return value;
}
void put_le(sim::Bytes& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}
}  // namespace

sim::Bytes seal(std::span<const std::uint8_t> body) {
  SIMRUN_ASSERT(body.size() <= UINT32_MAX, "sealed body too large");
  sim::Bytes out;
  out.reserve(kSealHeaderBytes + body.size());
  put_le(out, body.size(), 4);
  put_le(out, sim::hash_bytes(body), 8);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::optional<std::span<const std::uint8_t>> unseal(std::span<const std::uint8_t> sealed) {
  if (sealed.size() < kSealHeaderBytes) return std::nullopt;
  const std::uint64_t length = get_le(sealed, 0, 4);
  if (length != sealed.size() - kSealHeaderBytes) return std::nullopt;
  const auto body = sealed.subspan(kSealHeaderBytes);
  if (sim::hash_bytes(body) != get_le(sealed, 4, 8)) return std::nullopt;
  return body;
}

}  // namespace simrun::broker
