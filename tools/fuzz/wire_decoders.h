#pragma once
// The decoders wire_fuzz drives, one per first input byte (modulo the count),
// shared by the target and the seed writer (wire_seeds.cpp) so a seed always
// reaches the decoder it was written for.

#include <cstddef>
#include <cstdint>

namespace simrun::fuzz {

enum class WireDecoder : std::uint8_t {
  request,
  response,
  record_batch,
  raft_message,
  raft_entry,
  hard_state,
  snapshot,
  message_frame,
  ack_frame,
  meta_command,
  metadata_state,
  meta_forward,
  meta_reply,
  sealed,
  group_files,
  group_files_sealed,
};
inline constexpr std::uint8_t kWireDecoderCount =
    static_cast<std::uint8_t>(WireDecoder::group_files_sealed) + 1;

inline WireDecoder wire_decoder_of(std::uint8_t selector) {
  return static_cast<WireDecoder>(selector % kWireDecoderCount);
}

// One input's bound, so a slow case is about the code, not the size (every
// decoder bounds its counts and lengths far below this).
inline constexpr std::size_t kMaxWireInputBytes = 64 * 1024;

}  // namespace simrun::fuzz
