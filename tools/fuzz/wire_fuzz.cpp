// libFuzzer target: every decoder of bytes that arrive from the network or
// come back from the simulated disk, where disk faults flip bits and tear
// writes: broker requests and responses, record batches, Raft messages,
// entries, hard states and snapshots, the transport's frames, __meta
// commands, state images and forwarding frames, sealed files, and a Raft
// group's whole durable state at load. A decoder must reject bad bytes with
// an error value (never crash, assert, read out of bounds, leak or allocate
// without bound), and what it accepts must survive a round trip: encoding
// the decoded value and decoding that again gives the same encoding.
//
// The first input byte picks the decoder (kDecoders of them); the rest is
// its input. tools/fuzz/wire_seeds.cpp writes one valid encoding per decoder
// as the seed corpus.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "broker/metadata.h"
#include "broker/metadata_sync.h"
#include "broker/protocol.h"
#include "broker/record_batch.h"
#include "broker/sealed.h"
#include "broker/storage.h"
#include "broker/transport.h"
#include "raft/codec.h"
#include "sim/assert.h"
#include "sim/world.h"
#include "tools/fuzz/wire_decoders.h"

namespace {

using Span = std::span<const std::uint8_t>;
using simrun::fuzz::WireDecoder;
namespace broker = simrun::broker;
namespace protocol = simrun::broker::protocol;
namespace raft = simrun::raft;
namespace sim = simrun::sim;

// decode(encode(decode(bytes))) must succeed and encode to the same bytes.
template <typename Decode, typename Encode>
void round_trip(Span bytes, Decode decode, Encode encode) {
  const auto first = decode(bytes);
  if (!first) return;
  const auto encoded = encode(*first);
  const auto second = decode(Span(encoded.data(), encoded.size()));
  SIMRUN_ASSERT(static_cast<bool>(second),
                "a decoded value re-encodes to bytes that fail to decode");
  const auto again = encode(*second);
  SIMRUN_ASSERT(again == encoded, "decode(encode(x)) encodes differently from x");
}

// Splits `bytes` into a Raft group's four files: three u16 LE lengths
// (hard state, snapshot, repair marker; each clamped to what is left), then
// those parts, and the rest is the log.
struct GroupFiles {
  Span hard_state, snapshot, repair, log;
};
GroupFiles split_group_files(Span bytes) {
  std::size_t lengths[3] = {0, 0, 0};
  for (std::size_t& length : lengths) {
    if (bytes.size() < 2) break;
    length = std::size_t{bytes[0]} | (std::size_t{bytes[1]} << 8);
    bytes = bytes.subspan(2);
  }
  Span parts[3];
  for (int i = 0; i < 3; ++i) {
    const std::size_t take = std::min(lengths[i], bytes.size());
    parts[i] = bytes.first(take);
    bytes = bytes.subspan(take);
  }
  return GroupFiles{parts[0], parts[1], parts[2], bytes};
}

// A node restarting over these files: GroupStorage::load must classify
// every byte as good, torn or damaged, never trust it. `sealed`: the files
// carry valid checksums around the fuzzer's bodies (as if damage had slipped
// past them, or a bug had written garbage), so the decoders and the checks
// after them (index sequence, commit beyond the log, snapshot against log)
// see arbitrary content through the real load path.
void load_group(Span bytes, bool sealed) {
  const GroupFiles files = split_group_files(bytes);
  sim::World world{sim::WorldConfig{}};
  const sim::ProcessId process = world.add_process("n1", [](sim::Env&) {});
  sim::Disk& disk = world.disk(process);
  broker::GroupStorage storage(disk, "orders/0", true);
  const auto put = [&](const std::string& file, Span part) {
    if (part.empty()) return;
    disk.write(file, sealed ? broker::seal(part) : sim::Bytes(part.begin(), part.end()));
  };
  put(storage.hard_state_file(), files.hard_state);
  put(storage.snapshot_file(), files.snapshot);
  put(storage.repair_file(), files.repair);
  if (sealed) {
    // The log part as records: u16 LE length, then an encoded entry; what
    // decodes becomes a record with valid checksums.
    sim::Bytes log;
    Span rest = files.log;
    while (rest.size() >= 2) {
      const std::size_t length = std::size_t{rest[0]} | (std::size_t{rest[1]} << 8);
      rest = rest.subspan(2);
      const Span body = rest.first(std::min(length, rest.size()));
      rest = rest.subspan(body.size());
      if (const auto entry = raft::decode_entry(body)) {
        const sim::Bytes record = broker::GroupStorage::encode_record(*entry);
        log.insert(log.end(), record.begin(), record.end());
      }
    }
    if (!log.empty()) disk.write(storage.log_file(), std::move(log));
  } else {
    put(storage.log_file(), files.log);
  }
  disk.fsync();  // from outside any fiber: durable at once
  broker::LoadReport report;
  const raft::RestoredState restored = storage.load(&report);
  SIMRUN_ASSERT(report.entries_loaded == restored.entries.size(),
                "load() reports a different entry count than it returns");
  for (std::size_t i = 1; i < restored.entries.size(); ++i) {
    SIMRUN_ASSERT(restored.entries[i].index == restored.entries[i - 1].index + 1,
                  "load() returned a log with a gap");
  }
}

void decode_one(WireDecoder decoder, Span bytes) {
  switch (decoder) {
    case WireDecoder::request:
      round_trip(bytes, protocol::decode_request, protocol::encode_request);
      (void)protocol::peek_request_header(bytes);
      return;
    case WireDecoder::response:
      round_trip(bytes, protocol::decode_response, protocol::encode_response);
      return;
    case WireDecoder::record_batch:
      round_trip(bytes, broker::decode_record_batch, broker::encode_record_batch);
      (void)broker::decode_record_batches(bytes);
      return;
    case WireDecoder::raft_message:
      round_trip(bytes, raft::decode_message, raft::encode_message);
      return;
    case WireDecoder::raft_entry:
      round_trip(bytes, raft::decode_entry, raft::encode_entry);
      return;
    case WireDecoder::hard_state:
      round_trip(bytes, raft::decode_hard_state, raft::encode_hard_state);
      return;
    case WireDecoder::snapshot:
      round_trip(bytes, raft::decode_snapshot, raft::encode_snapshot);
      return;
    case WireDecoder::message_frame:
      round_trip(
          bytes,
          [](Span in) {
            return broker::Transport::decode_message_frame(sim::Bytes(in.begin(), in.end()));
          },
          [](const broker::Transport::DecodedMessageFrame& frame) {
            return broker::Transport::encode_message_frame(frame.group, frame.sequence,
                                                           frame.message);
          });
      return;
    case WireDecoder::ack_frame:
      round_trip(
          bytes,
          [](Span in) {
            return broker::Transport::decode_ack_frame(sim::Bytes(in.begin(), in.end()));
          },
          [](std::uint64_t sequence) { return broker::Transport::encode_ack_frame(sequence); });
      return;
    case WireDecoder::meta_command:
      round_trip(bytes, broker::decode_meta_command, broker::encode_meta_command);
      return;
    case WireDecoder::metadata_state:
      for (const bool epochs : {true, false}) {
        round_trip(
            bytes, [epochs](Span in) { return broker::MetadataState::decode(in, epochs); },
            [](const broker::MetadataState& state) { return state.encode(); });
      }
      return;
    case WireDecoder::meta_forward:
      round_trip(bytes, broker::MetaWriter::decode_forward, broker::MetaWriter::encode_forward);
      return;
    case WireDecoder::meta_reply:
      round_trip(bytes, broker::MetaWriter::decode_reply, broker::MetaWriter::encode_reply);
      return;
    case WireDecoder::sealed:
      if (const auto body = broker::unseal(bytes)) {
        const sim::Bytes resealed = broker::seal(*body);
        SIMRUN_ASSERT(std::equal(resealed.begin(), resealed.end(), bytes.begin(), bytes.end()),
                      "unseal accepted bytes that seal() would not write");
      }
      return;
    case WireDecoder::group_files:
      load_group(bytes, false);
      return;
    case WireDecoder::group_files_sealed:
      load_group(bytes, true);
      return;
  }
  SIMRUN_ASSERT(false, "unknown wire decoder");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > simrun::fuzz::kMaxWireInputBytes) return 0;
  decode_one(simrun::fuzz::wire_decoder_of(data[0]), Span(data + 1, size - 1));
  return 0;
}
