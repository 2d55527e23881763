#include "broker/sealed.h"

#include "broker/crc32c.h"
#include "raft/little_endian.h"
#include "sim/assert.h"

namespace simrun::broker {

namespace {
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
  raft::store_le<4>(sealed.data(), body.size());
  raft::store_le<8>(sealed.data() + 4, body_checksum(body));
}

sim::Bytes seal(std::span<const std::uint8_t> body) {
  sim::Bytes out = seal_begin(body.size());
  out.insert(out.end(), body.begin(), body.end());
  seal_finish(out);
  return out;
}

std::optional<std::span<const std::uint8_t>> unseal(std::span<const std::uint8_t> sealed) {
  if (sealed.size() < kSealHeaderBytes) return std::nullopt;
  const std::uint64_t length = raft::load_le<4>(sealed.data());
  if (length != sealed.size() - kSealHeaderBytes) return std::nullopt;
  const auto body = sealed.subspan(kSealHeaderBytes);
  if (body_checksum(body) != raft::load_le<8>(sealed.data() + 4)) return std::nullopt;
  return body;
}

}  // namespace simrun::broker
