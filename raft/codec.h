#pragma once
// Byte encodings of Raft data, so the broker can put messages on the
// simulated network and entries on the simulated disk as real bytes (a
// corruption fault then hits real bytes). Little-endian, versioned, bounded:
// decode never trusts a length it has not checked against the input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "raft/types.h"

namespace simrun::raft {

Bytes encode_message(const Message& message);
// Appends encode_message's bytes to `out` (a frame being built around them).
void encode_message_into(const Message& message, Bytes& out);
// The size encode_message gives, to reserve a buffer.
std::size_t encoded_message_bytes(const Message& message);
std::optional<Message> decode_message(std::span<const std::uint8_t> bytes);
// The same decoding into a caller's message (the receive path decodes each
// frame in place instead of moving a Message through an optional). Returns
// false for bytes decode_message rejects; `message` is then unspecified.
bool decode_message_into(std::span<const std::uint8_t> bytes, Message& message);

Bytes encode_entry(const Entry& entry);
// Appends encode_entry's bytes to `out` (a storage record being built around
// them), and the size it appends, to size a buffer once.
void encode_entry_into(const Entry& entry, Bytes& out);
std::size_t encoded_entry_bytes(const Entry& entry);
std::optional<Entry> decode_entry(std::span<const std::uint8_t> bytes);

Bytes encode_hard_state(const HardState& state);
std::optional<HardState> decode_hard_state(std::span<const std::uint8_t> bytes);

Bytes encode_snapshot(const Snapshot& snapshot);
// Appends the encoding of a snapshot with `meta` and `image` to `out`
// (encode_snapshot's bytes, without the image first being copied into a
// Snapshot), and its size.
void encode_snapshot_into(const SnapshotMeta& meta, std::span<const std::uint8_t> image,
                          Bytes& out);
std::size_t encoded_snapshot_bytes(const SnapshotMeta& meta, std::size_t image_bytes);
// The same encoding with the image written by the caller straight into
// `out` (an application's state machine writing its image where the
// snapshot file keeps it, without a copy): encode_snapshot_head_into
// appends everything before the image and returns where the image starts;
// the caller appends the image; finish_snapshot_encoding writes its length.
std::size_t encode_snapshot_head_into(const SnapshotMeta& meta, Bytes& out);
void finish_snapshot_encoding(Bytes& out, std::size_t image_start);
std::optional<Snapshot> decode_snapshot(std::span<const std::uint8_t> bytes);

}  // namespace simrun::raft
