// Codec round trips, and decode against truncated, corrupted and random
// input: it must return nullopt (or a value) and never read out of bounds.

#include "raft/codec.h"

#include <doctest/doctest.h>

#include "raft/test_network.h"

namespace simrun::raft {
namespace {

Message full_message() {
  Message m;
  m.type = MessageType::snapshot;
  m.from = 3;
  m.to = 1;
  m.term = 0x0102030405060708ULL;
  m.index = 77;
  m.log_term = 5;
  m.commit = 70;
  m.reject = true;
  m.reject_hint = 12;
  m.hint_term = 4;
  m.leader_transfer = true;
  m.repairing = true;
  m.entries = {Entry{5, 78, {1, 2, 3}}, Entry{5, 79, {}}, Entry{6, 80, Bytes(300, 0xAB)}};
  m.snapshot = Snapshot{SnapshotMeta{60, 4, {1, 2, 3}}, Bytes{9, 8, 7}};
  return m;
}

}  // namespace

TEST_CASE("codec: every message type round-trips") {
  for (std::uint8_t type = 0; type <= static_cast<std::uint8_t>(MessageType::timeout_now); ++type) {
    Message m = full_message();
    m.type = static_cast<MessageType>(type);
    const Bytes bytes = encode_message(m);
    const std::optional<Message> decoded = decode_message(bytes);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == m);
  }
  Message empty;
  CHECK(decode_message(encode_message(empty)) == empty);
}

TEST_CASE("codec: decode_message_into overwrites every field of a used message") {
  const Message m = full_message();
  const Bytes bytes = encode_message(m);
  Message reused = full_message();
  reused.type = MessageType::heartbeat;
  reused.term = 99;
  reused.entries.push_back(Entry{7, 81, {4}});
  REQUIRE(decode_message_into(bytes, reused));
  CHECK(reused == m);
  // A message without entries or snapshot leaves none behind from before.
  const Message empty;
  REQUIRE(decode_message_into(encode_message(empty), reused));
  CHECK(reused == empty);
  // Rejected exactly where decode_message rejects.
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    CHECK_FALSE(decode_message_into(std::span<const std::uint8_t>(bytes.data(), length), reused));
  }
}

TEST_CASE("codec: encoding is little-endian and versioned") {
  HardState state{0x0102, 7, 0x0A0B};
  const Bytes bytes = encode_hard_state(state);
  REQUIRE(bytes.size() == 2 + 8 + 4 + 8);
  CHECK(bytes[0] == 1);     // format version
  CHECK(bytes[2] == 0x02);  // low byte of term first
  CHECK(bytes[3] == 0x01);
  CHECK(bytes[10] == 7);
  CHECK(decode_hard_state(bytes) == state);
  Bytes wrong_version = bytes;
  wrong_version[0] = 2;
  CHECK_FALSE(decode_hard_state(wrong_version).has_value());
  // A hard state is not an entry.
  CHECK_FALSE(decode_entry(bytes).has_value());
}

TEST_CASE("codec: entries, hard states and snapshots round-trip") {
  const Entry entry{9, 1234, Bytes{0, 1, 2, 255}};
  CHECK(decode_entry(encode_entry(entry)) == entry);
  const Entry noop{3, 1, {}};
  CHECK(decode_entry(encode_entry(noop)) == noop);
  const HardState state{42, 3, 40};
  CHECK(decode_hard_state(encode_hard_state(state)) == state);
  const Snapshot snapshot{SnapshotMeta{100, 7, {1, 2, 3, 4, 5}}, Bytes(1000, 0x5A)};
  CHECK(decode_snapshot(encode_snapshot(snapshot)) == snapshot);
}

TEST_CASE("codec: the _into encoders append exactly the plain encoders' bytes, sized ahead") {
  const Entry entry{9, 1234, Bytes{0, 1, 2, 255}};
  Bytes out{7, 7};  // something before: appended after it, not over it
  encode_entry_into(entry, out);
  CHECK(out.size() == 2 + encoded_entry_bytes(entry));
  CHECK(Bytes(out.begin() + 2, out.end()) == encode_entry(entry));
  const Snapshot snapshot{SnapshotMeta{100, 7, {1, 2, 3}}, Bytes(300, 0x5A)};
  Bytes image_out{7};
  encode_snapshot_into(snapshot.meta, snapshot.data, image_out);
  CHECK(image_out.size() == 1 + encoded_snapshot_bytes(snapshot.meta, snapshot.data.size()));
  CHECK(Bytes(image_out.begin() + 1, image_out.end()) == encode_snapshot(snapshot));
  Bytes in_place{7};
  const std::size_t image_start = encode_snapshot_head_into(snapshot.meta, in_place);
  in_place.insert(in_place.end(), snapshot.data.begin(), snapshot.data.end());
  finish_snapshot_encoding(in_place, image_start);
  CHECK(in_place == image_out);
}

TEST_CASE("codec: every truncation and any trailing byte is rejected") {
  const Bytes bytes = encode_message(full_message());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    CHECK_FALSE(decode_message(std::span<const std::uint8_t>(bytes.data(), length)).has_value());
  }
  Bytes longer = bytes;
  longer.push_back(0);
  CHECK_FALSE(decode_message(longer).has_value());
  const Bytes entry = encode_entry(Entry{1, 2, {3, 4}});
  for (std::size_t length = 0; length < entry.size(); ++length) {
    CHECK_FALSE(decode_entry(std::span<const std::uint8_t>(entry.data(), length)).has_value());
  }
}

TEST_CASE("codec: lying length fields are rejected without allocating") {
  Bytes bytes = encode_entry(Entry{1, 2, {3, 4}});
  // data length field sits after version, kind, term, index.
  bytes[2 + 16 + 3] = 0x7F;  // claims ~2 GiB of data
  CHECK_FALSE(decode_entry(bytes).has_value());
  Message m;
  m.entries = {Entry{1, 1, {}}};
  Bytes message = encode_message(m);
  // entry count field: version, kind, type, flags, from, to, 6 x u64.
  const std::size_t count_offset = 4 + 4 + 4 + 6 * 8;
  CHECK(message[count_offset] == 1);
  message[count_offset + 3] = 0xFF;  // 4 billion entries
  CHECK_FALSE(decode_message(message).has_value());
  Bytes bad_type = encode_message(Message{});
  bad_type[2] = 10;
  CHECK_FALSE(decode_message(bad_type).has_value());
  Bytes bad_flags = encode_message(Message{});
  bad_flags[3] = 0x80;
  CHECK_FALSE(decode_message(bad_flags).has_value());
}

TEST_CASE("codec: thousands of random and mutated inputs never crash") {
  std::uint64_t seed = 2024;
  const Bytes valid = encode_message(full_message());
  std::size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes input;
    if (i % 2 == 0) {
      // Pure garbage, sometimes with a valid header to get past the first check.
      const std::size_t length = testing::splitmix64(seed) % 200;
      for (std::size_t k = 0; k < length; ++k) {
        input.push_back(static_cast<std::uint8_t>(testing::splitmix64(seed)));
      }
      if (i % 4 == 0 && input.size() >= 2) {
        input[0] = 1;
        input[1] = static_cast<std::uint8_t>(1 + testing::splitmix64(seed) % 4);
      }
    } else {
      // A valid message with a few bytes flipped.
      input = valid;
      const std::size_t flips = 1 + testing::splitmix64(seed) % 4;
      for (std::size_t k = 0; k < flips; ++k) {
        input[testing::splitmix64(seed) % input.size()] ^=
            static_cast<std::uint8_t>(1 + testing::splitmix64(seed) % 255);
      }
    }
    if (decode_message(input).has_value()) ++decoded;
    (void)decode_entry(input);
    (void)decode_hard_state(input);
    (void)decode_snapshot(input);
  }
  // Flipping payload bytes keeps many mutated messages decodable; garbage
  // almost never is. Both paths were exercised.
  CHECK(decoded > 0);
  CHECK(decoded < 20000);
}

}  // namespace simrun::raft
