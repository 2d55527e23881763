#include "raft/codec.h"

#include <cstring>
#include <limits>

#include "raft/assert.h"
#include "raft/little_endian.h"

namespace simrun::raft {

namespace {

// Layout: [version u8][kind u8][body]. Integers are fixed-width
// little-endian; byte strings and lists carry a u32 count that decode checks
// against the bytes actually left before allocating anything.
constexpr std::uint8_t kFormatVersion = 1;
enum class Kind : std::uint8_t { message = 1, entry = 2, hard_state = 3, snapshot = 4 };

// Caps on what decode accepts, whatever a (corrupted) length field says.
constexpr std::uint32_t kMaxBytesLength = 64U << 20;  // one entry or image
constexpr std::uint32_t kMaxEntryCount = 1U << 20;
constexpr std::uint32_t kMaxVoterCount = 1U << 12;

constexpr std::uint8_t kFlagReject = 1U << 0;
constexpr std::uint8_t kFlagHasSnapshot = 1U << 1;
constexpr std::uint8_t kFlagLeaderTransfer = 1U << 2;
constexpr std::uint8_t kFlagRepairing = 1U << 3;
constexpr std::uint8_t kKnownFlags =
    kFlagReject | kFlagHasSnapshot | kFlagLeaderTransfer | kFlagRepairing;

// Minimum encoded sizes, used to reject counts that cannot fit.
constexpr std::size_t kMinEntrySize = 8 + 8 + 4;

// Writes into a region of a caller's buffer sized up front (the encoders
// know their exact size): one resize per encoding, then each field is a
// fixed-size copy at a cursor. Growing the vector per field (an insert or
// resize with its capacity check) was most of encode_message_into's
// instructions, paid for every heartbeat and its answer (issue 12).
class Writer {
 public:
  // Appends `size` bytes to `out` and writes them from the first.
  Writer(Bytes& out, std::size_t size) {
    const std::size_t start = out.size();
    out.resize(start + size);
    cursor_ = out.data() + start;
    end_ = cursor_ + size;
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  void u8(std::uint8_t value) { put(&value, 1); }
  void u32(std::uint32_t value) { little_endian<4>(value); }
  void u64(std::uint64_t value) { little_endian<8>(value); }
  void bytes(std::span<const std::uint8_t> data) {
    u32(static_cast<std::uint32_t>(data.size()));
    if (!data.empty()) put(data.data(), data.size());
  }
  void header(Kind kind) {
    u8(kFormatVersion);
    u8(static_cast<std::uint8_t>(kind));
  }
  // The next `size` bytes of the region, to be written by the caller at
  // fixed offsets (one bounds check for a run of fixed-size fields).
  std::uint8_t* claim(std::size_t size) {
    RAFT_ASSERT(size <= static_cast<std::size_t>(end_ - cursor_),
                "an encoder wrote past the size it computed");
    std::uint8_t* const at = cursor_;
    cursor_ += size;
    return at;
  }
  // Every byte of the region was written.
  bool full() const { return cursor_ == end_; }

 private:
  void put(const std::uint8_t* data, std::size_t size) {
    RAFT_ASSERT(size <= static_cast<std::size_t>(end_ - cursor_),
                "an encoder wrote past the size it computed");
    std::memcpy(cursor_, data, size);
    cursor_ += size;
  }
  template <int Width>
  void little_endian(std::uint64_t value) {
    std::uint8_t buffer[Width];
    store_le<Width>(buffer, value);
    put(buffer, Width);
  }
  std::uint8_t* cursor_ = nullptr;
  std::uint8_t* end_ = nullptr;
};

// Encoded sizes, for reserving.
constexpr std::size_t kHeaderBytes = 2;
constexpr std::size_t kMessageFixedBytes = kHeaderBytes + 1 + 1 + 4 + 4 + 6 * 8 + 4;
std::size_t entry_bytes(const Entry& entry) { return 8 + 8 + 4 + entry.data.size(); }
std::size_t snapshot_bytes(const SnapshotMeta& meta, std::size_t image_bytes) {
  return 8 + 8 + 4 + 4 * meta.voters.size() + 4 + image_bytes;
}
std::size_t snapshot_bytes(const Snapshot& snapshot) {
  return snapshot_bytes(snapshot.meta, snapshot.data.size());
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> input) : input_(input) {}

  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && position_ == input_.size(); }
  std::size_t remaining() const { return input_.size() - position_; }

  std::uint8_t u8() {
    if (!need(1)) return 0;
    return input_[position_++];
  }
  std::uint32_t u32() {
    if (!need(4)) return 0;
    return static_cast<std::uint32_t>(little_endian<4>());
  }
  std::uint64_t u64() {
    if (!need(8)) return 0;
    return little_endian<8>();
  }
  Bytes bytes() {
    const std::uint32_t length = u32();
    if (!ok_ || length > kMaxBytesLength || !need(length)) {
      ok_ = false;
      return {};
    }
    const auto first = input_.begin() + static_cast<std::ptrdiff_t>(position_);
    Bytes out(first, first + static_cast<std::ptrdiff_t>(length));
    position_ += length;
    return out;
  }
  // A list count that must fit in the remaining input at `min_item_size`.
  std::uint32_t count(std::uint32_t cap, std::size_t min_item_size) {
    const std::uint32_t value = u32();
    if (!ok_ || value > cap || value * min_item_size > remaining()) {
      ok_ = false;
      return 0;
    }
    return value;
  }
  bool header(Kind kind) {
    return u8() == kFormatVersion && u8() == static_cast<std::uint8_t>(kind) && ok_;
  }
  void fail() { ok_ = false; }

 private:
  // One load where the host is little-endian (a byte loop per field was
  // most of decode_message's instructions); `need` checked the length.
  template <int Width>
  std::uint64_t little_endian() {
    const std::uint64_t value = load_le<Width>(input_.data() + position_);
    position_ += Width;
    return value;
  }
  bool need(std::size_t length) {
    if (!ok_ || length > remaining()) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<const std::uint8_t> input_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

void write_entry(Writer& w, const Entry& entry) {
  w.u64(entry.term);
  w.u64(entry.index);
  w.bytes(entry.data);
}

Entry read_entry(Reader& r) {
  Entry entry;
  entry.term = r.u64();
  entry.index = r.u64();
  entry.data = r.bytes();
  return entry;
}

void write_snapshot(Writer& w, const SnapshotMeta& meta, std::span<const std::uint8_t> image) {
  w.u64(meta.index);
  w.u64(meta.term);
  w.u32(static_cast<std::uint32_t>(meta.voters.size()));
  for (const NodeId voter : meta.voters) w.u32(voter);
  w.bytes(image);
}

void write_snapshot(Writer& w, const Snapshot& snapshot) {
  write_snapshot(w, snapshot.meta, snapshot.data);
}

Snapshot read_snapshot(Reader& r) {
  Snapshot snapshot;
  snapshot.meta.index = r.u64();
  snapshot.meta.term = r.u64();
  const std::uint32_t voters = r.count(kMaxVoterCount, 4);
  snapshot.meta.voters.reserve(voters);
  for (std::uint32_t i = 0; i < voters && r.ok(); ++i) snapshot.meta.voters.push_back(r.u32());
  snapshot.data = r.bytes();
  return snapshot;
}

}  // namespace

std::size_t encoded_message_bytes(const Message& message) {
  std::size_t total = kMessageFixedBytes;
  for (const Entry& entry : message.entries) total += entry_bytes(entry);
  if (message.snapshot.has_value()) total += snapshot_bytes(*message.snapshot);
  return total;
}

Bytes encode_message(const Message& message) {
  Bytes out;
  encode_message_into(message, out);
  return out;
}

// Byte offsets of a message's fixed part (kMessageFixedBytes long):
// version, kind, type, flags, from, to, then six u64 and the entry count.
// Written and read in one piece, one bounds check for all of it: most
// messages (heartbeats, votes, every answer) are nothing else (issue 12).
namespace {
namespace message_layout {
constexpr std::size_t kType = 2;
constexpr std::size_t kFlags = 3;
constexpr std::size_t kFrom = 4;
constexpr std::size_t kTo = 8;
constexpr std::size_t kTerm = 12;
constexpr std::size_t kIndex = 20;
constexpr std::size_t kLogTerm = 28;
constexpr std::size_t kCommit = 36;
constexpr std::size_t kRejectHint = 44;
constexpr std::size_t kHintTerm = 52;
constexpr std::size_t kEntryCount = 60;
static_assert(kEntryCount + 4 == kMessageFixedBytes, "the fixed part ends at the entry count");
}  // namespace message_layout
}  // namespace

void encode_message_into(const Message& message, Bytes& out) {
  namespace at = message_layout;
  Writer w(out, encoded_message_bytes(message));
  std::uint8_t flags = 0;
  if (message.reject) flags |= kFlagReject;
  if (message.snapshot.has_value()) flags |= kFlagHasSnapshot;
  if (message.leader_transfer) flags |= kFlagLeaderTransfer;
  if (message.repairing) flags |= kFlagRepairing;
  std::uint8_t* const fixed = w.claim(kMessageFixedBytes);
  fixed[0] = kFormatVersion;
  fixed[1] = static_cast<std::uint8_t>(Kind::message);
  fixed[at::kType] = static_cast<std::uint8_t>(message.type);
  fixed[at::kFlags] = flags;
  store_le<4>(fixed + at::kFrom, message.from);
  store_le<4>(fixed + at::kTo, message.to);
  store_le<8>(fixed + at::kTerm, message.term);
  store_le<8>(fixed + at::kIndex, message.index);
  store_le<8>(fixed + at::kLogTerm, message.log_term);
  store_le<8>(fixed + at::kCommit, message.commit);
  store_le<8>(fixed + at::kRejectHint, message.reject_hint);
  store_le<8>(fixed + at::kHintTerm, message.hint_term);
  store_le<4>(fixed + at::kEntryCount, static_cast<std::uint32_t>(message.entries.size()));
  for (const Entry& entry : message.entries) write_entry(w, entry);
  if (message.snapshot.has_value()) write_snapshot(w, *message.snapshot);
  RAFT_ASSERT(w.full(), "encoded_message_bytes disagrees with the encoder");
}

std::optional<Message> decode_message(std::span<const std::uint8_t> bytes) {
  std::optional<Message> message(std::in_place);
  if (!decode_message_into(bytes, *message)) return std::nullopt;
  return message;
}

bool decode_message_into(std::span<const std::uint8_t> bytes, Message& message) {
  namespace at = message_layout;
  if (bytes.size() < kMessageFixedBytes) return false;
  const std::uint8_t* const fixed = bytes.data();
  if (fixed[0] != kFormatVersion || fixed[1] != static_cast<std::uint8_t>(Kind::message)) {
    return false;
  }
  const std::uint8_t type = fixed[at::kType];
  if (type > static_cast<std::uint8_t>(MessageType::timeout_now)) return false;
  const std::uint8_t flags = fixed[at::kFlags];
  if ((flags & ~kKnownFlags) != 0) return false;
  // Every field is assigned below, so no reset of the whole message first.
  message.type = static_cast<MessageType>(type);
  message.reject = (flags & kFlagReject) != 0;
  message.leader_transfer = (flags & kFlagLeaderTransfer) != 0;
  message.repairing = (flags & kFlagRepairing) != 0;
  message.from = static_cast<NodeId>(load_le<4>(fixed + at::kFrom));
  message.to = static_cast<NodeId>(load_le<4>(fixed + at::kTo));
  message.term = load_le<8>(fixed + at::kTerm);
  message.index = load_le<8>(fixed + at::kIndex);
  message.log_term = load_le<8>(fixed + at::kLogTerm);
  message.commit = load_le<8>(fixed + at::kCommit);
  message.reject_hint = load_le<8>(fixed + at::kRejectHint);
  message.hint_term = load_le<8>(fixed + at::kHintTerm);
  const auto entries = static_cast<std::uint32_t>(load_le<4>(fixed + at::kEntryCount));
  Reader r(bytes.subspan(kMessageFixedBytes));
  if (entries > kMaxEntryCount || entries * kMinEntrySize > r.remaining()) return false;
  message.entries.clear();
  message.entries.reserve(entries);
  for (std::uint32_t i = 0; i < entries && r.ok(); ++i) message.entries.push_back(read_entry(r));
  if ((flags & kFlagHasSnapshot) != 0) {
    message.snapshot = read_snapshot(r);
  } else {
    message.snapshot.reset();
  }
  return r.at_end();
}

Bytes encode_entry(const Entry& entry) {
  Bytes out;
  encode_entry_into(entry, out);
  return out;
}

std::size_t encoded_entry_bytes(const Entry& entry) { return kHeaderBytes + entry_bytes(entry); }

void encode_entry_into(const Entry& entry, Bytes& out) {
  Writer w(out, encoded_entry_bytes(entry));
  w.header(Kind::entry);
  write_entry(w, entry);
  RAFT_ASSERT(w.full(), "entry_bytes disagrees with the encoder");
}

std::optional<Entry> decode_entry(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  if (!r.header(Kind::entry)) return std::nullopt;
  Entry entry = read_entry(r);
  if (!r.at_end()) return std::nullopt;
  return entry;
}

Bytes encode_hard_state(const HardState& state) {
  Bytes out;
  Writer w(out, kHeaderBytes + 8 + 4 + 8);
  w.header(Kind::hard_state);
  w.u64(state.term);
  w.u32(state.vote);
  w.u64(state.commit);
  RAFT_ASSERT(w.full(), "hard state size disagrees with the encoder");
  return out;
}

std::optional<HardState> decode_hard_state(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  if (!r.header(Kind::hard_state)) return std::nullopt;
  HardState state;
  state.term = r.u64();
  state.vote = r.u32();
  state.commit = r.u64();
  if (!r.at_end()) return std::nullopt;
  return state;
}

Bytes encode_snapshot(const Snapshot& snapshot) {
  Bytes out;
  encode_snapshot_into(snapshot.meta, snapshot.data, out);
  return out;
}

std::size_t encoded_snapshot_bytes(const SnapshotMeta& meta, std::size_t image_bytes) {
  return kHeaderBytes + snapshot_bytes(meta, image_bytes);
}

void encode_snapshot_into(const SnapshotMeta& meta, std::span<const std::uint8_t> image,
                          Bytes& out) {
  Writer w(out, encoded_snapshot_bytes(meta, image.size()));
  w.header(Kind::snapshot);
  write_snapshot(w, meta, image);
  RAFT_ASSERT(w.full(), "snapshot_bytes disagrees with the encoder");
}

std::size_t encode_snapshot_head_into(const SnapshotMeta& meta, Bytes& out) {
  // The image's length is written as 0 here and patched by the finish.
  const std::size_t head_bytes = encoded_snapshot_bytes(meta, 0);
  Writer w(out, head_bytes);
  w.header(Kind::snapshot);
  write_snapshot(w, meta, {});
  RAFT_ASSERT(w.full(), "snapshot_bytes disagrees with the encoder");
  return out.size();
}

void finish_snapshot_encoding(Bytes& out, std::size_t image_start) {
  RAFT_ASSERT(image_start >= 4 && image_start <= out.size(), "not an encoded snapshot's image");
  const std::size_t image_bytes = out.size() - image_start;
  RAFT_ASSERT(image_bytes <= kMaxBytesLength, "snapshot image too large");
  store_le<4>(out.data() + image_start - 4, image_bytes);
}

std::optional<Snapshot> decode_snapshot(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  if (!r.header(Kind::snapshot)) return std::nullopt;
  Snapshot snapshot = read_snapshot(r);
  if (!r.at_end()) return std::nullopt;
  return snapshot;
}

}  // namespace simrun::raft
