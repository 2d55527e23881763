// Writes wire_fuzz's seed corpus: for every decoder, valid encodings of
// representative values (each file is the selector byte, then the bytes),
// so the fuzzer starts from inputs that pass every check and mutates from
// there instead of rediscovering each format's framing byte by byte.
//
//   wire_seeds DIR
//
// tools/fuzz.sh runs it before wire_fuzz; CTest replays its output too
// (fuzz_wire_seeds), so every seed is known to decode.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
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
#include "tools/fuzz/wire_decoders.h"

namespace {

namespace broker = simrun::broker;
namespace protocol = simrun::broker::protocol;
namespace raft = simrun::raft;
using simrun::fuzz::WireDecoder;
using Bytes = std::vector<std::uint8_t>;

Bytes text(std::string_view value) { return Bytes(value.begin(), value.end()); }

struct SeedWriter {
  std::filesystem::path dir;
  std::size_t written = 0;

  void add(WireDecoder decoder, const std::string& name, const Bytes& bytes) {
    std::ofstream out(dir / (name + ".bin"), std::ios::binary);
    const char selector = static_cast<char>(decoder);
    out.write(&selector, 1);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    ++written;
  }
};

broker::RecordBatch sample_batch() {
  broker::RecordBatch batch;
  batch.base_offset = 41;
  batch.producer_id = 7;
  batch.producer_sequence = 3;
  batch.records.push_back(broker::Record{1000, text("key"), text("value")});
  batch.records.push_back(broker::Record{1001, {}, text("second")});
  return batch;
}

raft::Snapshot sample_snapshot() {
  return raft::Snapshot{raft::SnapshotMeta{12, 3, {1, 2, 3}}, text("image")};
}

std::vector<raft::Message> sample_messages() {
  std::vector<raft::Message> messages;
  raft::Message append;
  append.type = raft::MessageType::append;
  append.from = 1;
  append.to = 2;
  append.term = 3;
  append.index = 4;
  append.log_term = 2;
  append.commit = 4;
  append.entries = {raft::Entry{3, 5, text("a")}, raft::Entry{3, 6, {}}};
  messages.push_back(append);
  raft::Message rejected = append;
  rejected.type = raft::MessageType::append_response;
  rejected.entries.clear();
  rejected.reject = true;
  rejected.reject_hint = 2;
  rejected.hint_term = 1;
  rejected.repairing = true;
  messages.push_back(rejected);
  raft::Message vote;
  vote.type = raft::MessageType::vote_request;
  vote.from = 3;
  vote.to = 1;
  vote.term = 9;
  vote.leader_transfer = true;
  messages.push_back(vote);
  raft::Message snapshot;
  snapshot.type = raft::MessageType::snapshot;
  snapshot.from = 1;
  snapshot.to = 3;
  snapshot.term = 4;
  snapshot.snapshot = sample_snapshot();
  messages.push_back(snapshot);
  return messages;
}

std::vector<protocol::Request> sample_requests() {
  const Bytes batch = broker::encode_record_batch(sample_batch());
  return {
      protocol::Request{1, protocol::CreateTopicRequest{"orders", 2, 3}},
      protocol::Request{2, protocol::MetadataRequest{{"orders", "__meta"}}},
      protocol::Request{3, protocol::ProduceRequest{"orders", 1, -1, batch, 5000}},
      protocol::Request{4, protocol::FetchRequest{"orders", 0, 41, 65536}},
      protocol::Request{5, protocol::OffsetCommitRequest{"g", "orders", 0, 42}},
      protocol::Request{6, protocol::OffsetFetchRequest{"g", "orders", 0}},
  };
}

std::vector<protocol::Response> sample_responses() {
  protocol::MetadataResponse metadata;
  metadata.controller_id = 1;
  metadata.brokers = {protocol::BrokerInfo{1, 0}, protocol::BrokerInfo{2, 1}};
  metadata.topics = {protocol::TopicMetadata{
      "orders",
      protocol::ErrorCode::none,
      {protocol::PartitionMetadata{0, protocol::ErrorCode::none, 1, 3, {1, 2, 3}}}}};
  return {
      protocol::Response{1, protocol::CreateTopicResponse{}},
      protocol::Response{2, metadata},
      protocol::Response{3, protocol::ProduceResponse{protocol::ErrorCode::none, 0, 41, 43}},
      protocol::Response{4, protocol::FetchResponse{protocol::ErrorCode::none, 0, 43,
                                                    broker::encode_record_batch(sample_batch())}},
      protocol::Response{5, protocol::OffsetCommitResponse{}},
      protocol::Response{6, protocol::OffsetFetchResponse{protocol::ErrorCode::none, 0, 42}},
  };
}

std::vector<broker::MetaCommand> sample_commands() {
  return {broker::MetaCommand::register_broker(1, 0),
          broker::MetaCommand::create_topic("orders", 2, 3, 3),
          broker::MetaCommand::set_assignment("orders", 1, 2, 5),
          broker::MetaCommand::high_watermark("orders", 0, 43),
          broker::MetaCommand::offset_commit("g", "orders", 0, 42)};
}

// Three u16 LE lengths, then hard state, snapshot, repair marker and log
// (wire_fuzz's split_group_files).
Bytes group_files(const Bytes& hard_state, const Bytes& snapshot, const Bytes& repair,
                  const Bytes& log) {
  Bytes out;
  for (const Bytes* part : {&hard_state, &snapshot, &repair}) {
    out.push_back(static_cast<std::uint8_t>(part->size()));
    out.push_back(static_cast<std::uint8_t>(part->size() >> 8));
  }
  for (const Bytes* part : {&hard_state, &snapshot, &repair, &log}) {
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

void write_all(SeedWriter& seeds) {
  int i = 0;
  for (const auto& request : sample_requests()) {
    seeds.add(WireDecoder::request, "request_" + std::to_string(i++),
              protocol::encode_request(request));
  }
  i = 0;
  for (const auto& response : sample_responses()) {
    seeds.add(WireDecoder::response, "response_" + std::to_string(i++),
              protocol::encode_response(response));
  }
  Bytes two_batches = broker::encode_record_batch(sample_batch());
  broker::RecordBatch next = sample_batch();
  next.base_offset = 43;
  const Bytes second = broker::encode_record_batch(next);
  seeds.add(WireDecoder::record_batch, "record_batch", two_batches);
  two_batches.insert(two_batches.end(), second.begin(), second.end());
  seeds.add(WireDecoder::record_batch, "record_batches", two_batches);
  i = 0;
  for (const auto& message : sample_messages()) {
    seeds.add(WireDecoder::raft_message, "raft_message_" + std::to_string(i),
              raft::encode_message(message));
    seeds.add(WireDecoder::message_frame, "message_frame_" + std::to_string(i++),
              broker::Transport::encode_message_frame("orders/0", 17, message));
  }
  const raft::Entry entry{3, 5, text("entry")};
  seeds.add(WireDecoder::raft_entry, "raft_entry", raft::encode_entry(entry));
  const raft::HardState hard_state{3, 2, 5};
  seeds.add(WireDecoder::hard_state, "hard_state", raft::encode_hard_state(hard_state));
  seeds.add(WireDecoder::snapshot, "snapshot", raft::encode_snapshot(sample_snapshot()));
  seeds.add(WireDecoder::ack_frame, "ack_frame", broker::Transport::encode_ack_frame(17));
  broker::MetadataState state;
  i = 0;
  for (const auto& command : sample_commands()) {
    (void)state.apply(command);
    const Bytes encoded = broker::encode_meta_command(command);
    seeds.add(WireDecoder::meta_command, "meta_command_" + std::to_string(i++), encoded);
    seeds.add(
        WireDecoder::meta_forward, "meta_forward_" + std::to_string(i),
        broker::MetaWriter::encode_forward(broker::MetaWriter::Forward{9, 5'000'000'000, encoded}));
  }
  seeds.add(WireDecoder::metadata_state, "metadata_state", state.encode());
  seeds.add(WireDecoder::meta_reply, "meta_reply",
            broker::MetaWriter::encode_reply(broker::MetaWriter::Reply{9, 1, 2, "not leader"}));
  seeds.add(WireDecoder::sealed, "sealed", broker::seal(raft::encode_hard_state(hard_state)));

  Bytes log;
  for (raft::Index index = 13; index <= 15; ++index) {
    const Bytes record = broker::GroupStorage::encode_record(raft::Entry{3, index, text("e")});
    log.insert(log.end(), record.begin(), record.end());
  }
  seeds.add(WireDecoder::group_files, "group_files",
            group_files(broker::seal(raft::encode_hard_state(raft::HardState{3, 2, 14})),
                        broker::seal(raft::encode_snapshot(sample_snapshot())), {}, log));
  // The sealed variant takes bodies; its log is u16-length-prefixed entries.
  Bytes entries;
  for (raft::Index index = 13; index <= 15; ++index) {
    const Bytes body = raft::encode_entry(raft::Entry{3, index, text("e")});
    entries.push_back(static_cast<std::uint8_t>(body.size()));
    entries.push_back(static_cast<std::uint8_t>(body.size() >> 8));
    entries.insert(entries.end(), body.begin(), body.end());
  }
  seeds.add(WireDecoder::group_files_sealed, "group_files_sealed",
            group_files(raft::encode_hard_state(raft::HardState{3, 2, 14}),
                        raft::encode_snapshot(sample_snapshot()), {}, entries));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: wire_seeds DIR\n");
    return 2;
  }
  SeedWriter seeds{argv[1]};
  std::filesystem::create_directories(seeds.dir);
  write_all(seeds);
  std::printf("wire_seeds: %zu seeds in %s\n", seeds.written, argv[1]);
  return 0;
}
