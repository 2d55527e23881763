#include "broker/protocol.h"

#include <fmt/format.h>

#include "broker/frame.h"
#include "sim/assert.h"

namespace simrun::broker::protocol {
namespace {

constexpr std::uint8_t kMaxApiKey = 6;
// Smallest encodings, for checking list counts against the bytes left.
constexpr std::size_t kMinStringBytes = 2;
constexpr std::size_t kMinBrokerBytes = 8;
constexpr std::size_t kMinTopicBytes = 2 + 1 + 4;
constexpr std::size_t kMinPartitionBytes = 4 + 1 + 4 + 8 + 4;
constexpr std::size_t kNodeIdBytes = 4;

void write_header(wire::Writer& out, FrameKind kind, std::uint32_t correlation_id, ApiKey key) {
  out.u8(static_cast<std::uint8_t>(kind));
  out.u32(correlation_id);
  out.u8(static_cast<std::uint8_t>(key));
}

ErrorCode read_error(wire::Reader& in) {
  const std::uint8_t raw = in.u8("error");
  if (in.ok() && raw > kMaxErrorCode) {
    in.fail(fmt::format("unknown error code {}", raw));
    return ErrorCode::invalid_request;
  }
  return static_cast<ErrorCode>(raw);
}

void write_error(wire::Writer& out, ErrorCode error, NodeId leader_hint) {
  out.u8(static_cast<std::uint8_t>(error));
  out.u32(leader_hint);
}

std::int8_t read_acks(wire::Reader& in) {
  const auto acks = static_cast<std::int8_t>(in.u8("acks"));
  if (in.ok() && acks != 0 && acks != 1 && acks != -1) {
    in.fail(fmt::format("acks {} is not 0, 1 or -1", acks));
  }
  return acks;
}

template <typename Body>
Body error_body(ErrorCode error, NodeId leader_hint) {
  Body body{};
  body.error = error;
  body.leader_hint = leader_hint;
  return body;
}

// ---- request bodies ----
void write_body(wire::Writer& out, const CreateTopicRequest& r) {
  out.string(r.name);
  out.i32(r.partitions);
  out.i32(r.replication_factor);
}
void write_body(wire::Writer& out, const MetadataRequest& r) {
  SIMRUN_ASSERT(r.topics.size() <= kMaxTopics, "too many topics in a metadata request");
  out.u32(static_cast<std::uint32_t>(r.topics.size()));
  for (const auto& topic : r.topics) out.string(topic);
}
void write_body(wire::Writer& out, const ProduceRequest& r) {
  SIMRUN_ASSERT(r.record_batch.size() <= kMaxRecordBytes, "record batch over the bound");
  out.string(r.topic);
  out.i32(r.partition);
  out.u8(static_cast<std::uint8_t>(r.acks));
  out.bytes(r.record_batch);
  out.i64(r.timeout_ms);
}
void write_body(wire::Writer& out, const FetchRequest& r) {
  out.string(r.topic);
  out.i32(r.partition);
  out.i64(r.offset);
  out.i32(r.max_bytes);
}
void write_body(wire::Writer& out, const OffsetCommitRequest& r) {
  out.string(r.group_id);
  out.string(r.topic);
  out.i32(r.partition);
  out.i64(r.offset);
}
void write_body(wire::Writer& out, const OffsetFetchRequest& r) {
  out.string(r.group_id);
  out.string(r.topic);
  out.i32(r.partition);
}

RequestBody read_request_body(wire::Reader& in, ApiKey key) {
  switch (key) {
    case ApiKey::create_topic: {
      CreateTopicRequest r;
      r.name = in.string("topic");
      r.partitions = in.i32("partitions");
      r.replication_factor = in.i32("replication_factor");
      return r;
    }
    case ApiKey::metadata: {
      MetadataRequest r;
      const std::uint32_t n = in.count("topic count", kMaxTopics, kMinStringBytes);
      for (std::uint32_t i = 0; i < n && in.ok(); ++i) r.topics.push_back(in.string("topic"));
      return r;
    }
    case ApiKey::produce: {
      ProduceRequest r;
      r.topic = in.string("topic");
      r.partition = in.i32("partition");
      r.acks = read_acks(in);
      r.record_batch = in.bytes("record_batch", kMaxRecordBytes);
      r.timeout_ms = in.i64("timeout_ms");
      return r;
    }
    case ApiKey::fetch: {
      FetchRequest r;
      r.topic = in.string("topic");
      r.partition = in.i32("partition");
      r.offset = in.i64("offset");
      r.max_bytes = in.i32("max_bytes");
      return r;
    }
    case ApiKey::offset_commit: {
      OffsetCommitRequest r;
      r.group_id = in.string("group_id");
      r.topic = in.string("topic");
      r.partition = in.i32("partition");
      r.offset = in.i64("offset");
      return r;
    }
    case ApiKey::offset_fetch: {
      OffsetFetchRequest r;
      r.group_id = in.string("group_id");
      r.topic = in.string("topic");
      r.partition = in.i32("partition");
      return r;
    }
  }
  SIMRUN_ASSERT(false, "api key validated before reading the body");
  return MetadataRequest{};
}

// ---- response bodies ----
void write_body(wire::Writer& out, const CreateTopicResponse& r) {
  write_error(out, r.error, r.leader_hint);
}
void write_body(wire::Writer& out, const MetadataResponse& r) {
  SIMRUN_ASSERT(r.brokers.size() <= kMaxBrokers, "too many brokers");
  SIMRUN_ASSERT(r.topics.size() <= kMaxTopics, "too many topics");
  write_error(out, r.error, r.leader_hint);
  out.u32(r.controller_id);
  out.u32(static_cast<std::uint32_t>(r.brokers.size()));
  for (const auto& broker : r.brokers) {
    out.u32(broker.node_id);
    out.u32(broker.process_id);
  }
  out.u32(static_cast<std::uint32_t>(r.topics.size()));
  for (const auto& topic : r.topics) {
    SIMRUN_ASSERT(topic.partitions.size() <= kMaxPartitions, "too many partitions");
    out.string(topic.name);
    out.u8(static_cast<std::uint8_t>(topic.error));
    out.u32(static_cast<std::uint32_t>(topic.partitions.size()));
    for (const auto& p : topic.partitions) {
      SIMRUN_ASSERT(p.replicas.size() <= kMaxReplicas, "too many replicas");
      out.i32(p.partition);
      out.u8(static_cast<std::uint8_t>(p.error));
      out.u32(p.leader);
      out.i64(p.leader_epoch);
      out.u32(static_cast<std::uint32_t>(p.replicas.size()));
      for (NodeId replica : p.replicas) out.u32(replica);
    }
  }
}
void write_body(wire::Writer& out, const ProduceResponse& r) {
  write_error(out, r.error, r.leader_hint);
  out.i64(r.base_offset);
  out.i64(r.high_watermark);
}
void write_body(wire::Writer& out, const FetchResponse& r) {
  SIMRUN_ASSERT(r.records.size() <= kMaxRecordBytes, "fetch records over the bound");
  write_error(out, r.error, r.leader_hint);
  out.i64(r.high_watermark);
  out.bytes(r.records);
}
void write_body(wire::Writer& out, const OffsetCommitResponse& r) {
  write_error(out, r.error, r.leader_hint);
}
void write_body(wire::Writer& out, const OffsetFetchResponse& r) {
  write_error(out, r.error, r.leader_hint);
  out.i64(r.offset);
}

ResponseBody read_response_body(wire::Reader& in, ApiKey key) {
  const ErrorCode error = read_error(in);
  const NodeId leader_hint = in.u32("leader_hint");
  switch (key) {
    case ApiKey::create_topic:
      return error_body<CreateTopicResponse>(error, leader_hint);
    case ApiKey::metadata: {
      MetadataResponse r;
      r.error = error;
      r.leader_hint = leader_hint;
      r.controller_id = in.u32("controller_id");
      const std::uint32_t brokers = in.count("broker count", kMaxBrokers, kMinBrokerBytes);
      for (std::uint32_t i = 0; i < brokers && in.ok(); ++i) {
        BrokerInfo b;
        b.node_id = in.u32("broker node_id");
        b.process_id = in.u32("broker process_id");
        r.brokers.push_back(b);
      }
      const std::uint32_t topics = in.count("topic count", kMaxTopics, kMinTopicBytes);
      for (std::uint32_t t = 0; t < topics && in.ok(); ++t) {
        TopicMetadata topic;
        topic.name = in.string("topic");
        topic.error = read_error(in);
        const std::uint32_t partitions =
            in.count("partition count", kMaxPartitions, kMinPartitionBytes);
        for (std::uint32_t i = 0; i < partitions && in.ok(); ++i) {
          PartitionMetadata p;
          p.partition = in.i32("partition");
          p.error = read_error(in);
          p.leader = in.u32("leader");
          p.leader_epoch = in.i64("leader_epoch");
          const std::uint32_t replicas = in.count("replica count", kMaxReplicas, kNodeIdBytes);
          for (std::uint32_t k = 0; k < replicas && in.ok(); ++k) {
            p.replicas.push_back(in.u32("replica"));
          }
          topic.partitions.push_back(std::move(p));
        }
        r.topics.push_back(std::move(topic));
      }
      return r;
    }
    case ApiKey::produce: {
      auto r = error_body<ProduceResponse>(error, leader_hint);
      r.base_offset = in.i64("base_offset");
      r.high_watermark = in.i64("high_watermark");
      return r;
    }
    case ApiKey::fetch: {
      auto r = error_body<FetchResponse>(error, leader_hint);
      r.high_watermark = in.i64("high_watermark");
      r.records = in.bytes("records", kMaxRecordBytes);
      return r;
    }
    case ApiKey::offset_commit:
      return error_body<OffsetCommitResponse>(error, leader_hint);
    case ApiKey::offset_fetch: {
      auto r = error_body<OffsetFetchResponse>(error, leader_hint);
      r.offset = in.i64("offset");
      return r;
    }
  }
  SIMRUN_ASSERT(false, "api key validated before reading the body");
  return CreateTopicResponse{};
}

// What to reserve for a frame, so that encoding it allocates once: the
// header and fixed fields fit in kSmallFrameBytes; the record bytes and
// names come on top (a metadata response may still grow its buffer).
constexpr std::size_t kSmallFrameBytes = 64;
template <typename Body>
std::size_t reserve_bytes(const Body&) {
  return kSmallFrameBytes;
}
std::size_t reserve_bytes(const ProduceRequest& r) {
  return kSmallFrameBytes + r.topic.size() + r.record_batch.size();
}
std::size_t reserve_bytes(const FetchResponse& r) { return kSmallFrameBytes + r.records.size(); }

// Reads frame kind, correlation id and api key; fails the reader on a wrong
// kind or unknown key.
std::optional<RequestHeader> read_header(wire::Reader& in, FrameKind expected) {
  const std::uint8_t kind = in.u8("frame kind");
  if (in.ok() && kind != static_cast<std::uint8_t>(expected)) {
    in.fail(fmt::format("frame kind {} is not {}", kind, static_cast<int>(expected)));
  }
  RequestHeader header;
  header.correlation_id = in.u32("correlation_id");
  const std::uint8_t key = in.u8("api key");
  if (in.ok() && (key == 0 || key > kMaxApiKey)) in.fail(fmt::format("unknown api key {}", key));
  if (!in.ok()) return std::nullopt;
  header.api_key = static_cast<ApiKey>(key);
  return header;
}

}  // namespace

std::string_view error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::none:
      return "none";
    case ErrorCode::not_leader:
      return "not_leader";
    case ErrorCode::leader_not_available:
      return "leader_not_available";
    case ErrorCode::request_timed_out:
      return "request_timed_out";
    case ErrorCode::unknown_topic_or_partition:
      return "unknown_topic_or_partition";
    case ErrorCode::topic_already_exists:
      return "topic_already_exists";
    case ErrorCode::invalid_request:
      return "invalid_request";
    case ErrorCode::corrupt_message:
      return "corrupt_message";
  }
  return "unknown_error";
}

std::string_view api_name(ApiKey key) {
  switch (key) {
    case ApiKey::create_topic:
      return "create_topic";
    case ApiKey::metadata:
      return "metadata";
    case ApiKey::produce:
      return "produce";
    case ApiKey::fetch:
      return "fetch";
    case ApiKey::offset_commit:
      return "offset_commit";
    case ApiKey::offset_fetch:
      return "offset_fetch";
  }
  return "unknown_api";
}

bool is_retriable(ErrorCode code) {
  switch (code) {
    case ErrorCode::not_leader:
    case ErrorCode::leader_not_available:
    case ErrorCode::request_timed_out:
    case ErrorCode::unknown_topic_or_partition:  // metadata may not have the topic yet
    case ErrorCode::corrupt_message:             // the bytes were damaged in flight
      return true;
    case ErrorCode::none:
    case ErrorCode::topic_already_exists:
    case ErrorCode::invalid_request:
      return false;
  }
  return false;
}

ErrorCode Response::error() const {
  return std::visit([](const auto& b) { return b.error; }, body);
}
NodeId Response::leader_hint() const {
  return std::visit([](const auto& b) { return b.leader_hint; }, body);
}

Response error_response(const RequestHeader& header, ErrorCode error, NodeId leader_hint) {
  Response response;
  response.correlation_id = header.correlation_id;
  switch (header.api_key) {
    case ApiKey::create_topic:
      response.body = error_body<CreateTopicResponse>(error, leader_hint);
      break;
    case ApiKey::metadata:
      response.body = error_body<MetadataResponse>(error, leader_hint);
      break;
    case ApiKey::produce:
      response.body = error_body<ProduceResponse>(error, leader_hint);
      break;
    case ApiKey::fetch:
      response.body = error_body<FetchResponse>(error, leader_hint);
      break;
    case ApiKey::offset_commit:
      response.body = error_body<OffsetCommitResponse>(error, leader_hint);
      break;
    case ApiKey::offset_fetch:
      response.body = error_body<OffsetFetchResponse>(error, leader_hint);
      break;
  }
  SIMRUN_ASSERT(response.api_key() == header.api_key, "error response of the wrong type");
  return response;
}

Response error_response(const Request& request, ErrorCode error, NodeId leader_hint) {
  return error_response(RequestHeader{request.correlation_id, request.api_key()}, error,
                        leader_hint);
}

wire::Bytes encode_request(const Request& request) {
  return encode_request_with_id(request.correlation_id, request.body);
}

wire::Bytes encode_request_with_id(std::uint32_t correlation_id, const RequestBody& body) {
  wire::Bytes bytes;
  bytes.reserve(std::visit([](const auto& typed) { return reserve_bytes(typed); }, body));
  wire::Writer out(bytes);
  write_header(out, FrameKind::client_request, correlation_id, api_key_of(body));
  std::visit([&](const auto& typed) { write_body(out, typed); }, body);
  return bytes;
}

wire::Bytes encode_response(const Response& response) {
  wire::Bytes bytes;
  bytes.reserve(std::visit([](const auto& typed) { return reserve_bytes(typed); }, response.body));
  wire::Writer out(bytes);
  write_header(out, FrameKind::client_response, response.correlation_id, response.api_key());
  std::visit([&](const auto& body) { write_body(out, body); }, response.body);
  return bytes;
}

wire::Decoded<Request> decode_request(std::span<const std::uint8_t> payload) {
  wire::Reader in(payload);
  auto header = read_header(in, FrameKind::client_request);
  if (!header) return wire::Decoded<Request>::fail(in.error());
  // Built in place: moving a Request out of a local trips gcc 12's
  // -Wmaybe-uninitialized false positive on std::variant at -O1/-O2.
  wire::Decoded<Request> result;
  result.value.emplace(Request{header->correlation_id, read_request_body(in, header->api_key)});
  in.expect_end(api_name(header->api_key));
  if (!in.ok()) return wire::Decoded<Request>::fail(in.error());
  return result;
}

wire::Decoded<Response> decode_response(std::span<const std::uint8_t> payload) {
  wire::Reader in(payload);
  auto header = read_header(in, FrameKind::client_response);
  if (!header) return wire::Decoded<Response>::fail(in.error());
  wire::Decoded<Response> result;
  result.value.emplace(Response{header->correlation_id, read_response_body(in, header->api_key)});
  in.expect_end(api_name(header->api_key));
  if (!in.ok()) return wire::Decoded<Response>::fail(in.error());
  return result;
}

std::optional<RequestHeader> peek_request_header(std::span<const std::uint8_t> payload) {
  wire::Reader in(payload);
  return read_header(in, FrameKind::client_request);
}

}  // namespace simrun::broker::protocol
