#pragma once
// The client <-> broker protocol (Kafka-shaped, much smaller). Every payload
// on the simulated network starts with a FrameKind byte (broker/frame.h):
//
//   request:  u8 FrameKind::client_request,  u32 correlation_id, u8 ApiKey, body
//   response: u8 FrameKind::client_response, u32 correlation_id, u8 ApiKey, body
//
// The response to a request carries the request's correlation id and api
// key; the client matches responses to waiting requests by correlation id
// and drops a response whose api key does not match (a stale or corrupt
// reply). Integers are little-endian; strings are u16-length-prefixed;
// byte strings u32-length-prefixed; lists u32-count-prefixed. Decoding is
// bounds-checked and returns an error on garbage, never crashes.
//
// Routing (what a broker node must do):
//  - produce / fetch go to the partition's leader. Any other node answers
//    not_leader with leader_hint = the leader it knows (0 if none).
//  - create_topic, offset_commit, offset_fetch are __meta operations: they go
//    to the __meta leader (MetadataResponse::controller_id); a follower
//    answers not_leader with leader_hint = the __meta leader it knows.
//  - metadata can be answered by any node from its applied __meta state.
//
// Offsets: Kafka semantics, see broker/record_batch.h. The high watermark is
// the offset after the last committed record (0 for an empty partition).
// produce with acks=-1 answers after the batch is committed and applied,
// with base_offset = the offset the batch was stamped with. acks=1 answers
// once the leader has appended it (base_offset may be -1 if unknown); acks=0
// gets no response at all (the client does not wait).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/wire.h"

namespace simrun::broker::protocol {

using NodeId = std::uint32_t;  // Raft node id, 1-based; 0 = none / unknown

enum class ApiKey : std::uint8_t {
  create_topic = 1,
  metadata = 2,
  produce = 3,
  fetch = 4,
  offset_commit = 5,
  offset_fetch = 6,
};

enum class ErrorCode : std::uint8_t {
  none = 0,
  not_leader = 1,            // see leader_hint
  leader_not_available = 2,  // the group has no leader right now
  request_timed_out = 3,     // the broker gave up waiting for commit
  unknown_topic_or_partition = 4,
  topic_already_exists = 5,
  invalid_request = 6,
  corrupt_message = 7,  // record batch failed its CRC / framing check
};
inline constexpr std::uint8_t kMaxErrorCode = 7;

std::string_view error_name(ErrorCode code);  // "not_leader", ...
std::string_view api_name(ApiKey key);        // "produce", ...
// Errors after which the same request may succeed later (after a metadata
// refresh and back-off).
bool is_retriable(ErrorCode code);

// Bounds on what a decoder accepts.
inline constexpr std::uint32_t kMaxTopics = 1024;
inline constexpr std::uint32_t kMaxPartitions = 1024;
inline constexpr std::uint32_t kMaxBrokers = 64;
inline constexpr std::uint32_t kMaxReplicas = 16;
inline constexpr std::uint32_t kMaxRecordBytes =
    8 * 1024 * 1024;  // batch bytes in a request/response

// ---- requests ----
struct CreateTopicRequest {
  std::string name;
  std::int32_t partitions = 1;
  std::int32_t replication_factor = 3;
  bool operator==(const CreateTopicRequest&) const = default;
};
struct MetadataRequest {
  std::vector<std::string> topics;  // empty: all topics
  bool operator==(const MetadataRequest&) const = default;
};
struct ProduceRequest {
  std::string topic;
  std::int32_t partition = 0;
  std::int8_t acks = -1;     // 0, 1 or -1 (all)
  wire::Bytes record_batch;  // exactly one encoded RecordBatch
  std::int64_t timeout_ms = 30000;
  bool operator==(const ProduceRequest&) const = default;
};
struct FetchRequest {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;  // first offset wanted
  std::int32_t max_bytes = 1024 * 1024;
  bool operator==(const FetchRequest&) const = default;
};
struct OffsetCommitRequest {
  std::string group_id;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;  // the next offset the group will read
  bool operator==(const OffsetCommitRequest&) const = default;
};
struct OffsetFetchRequest {
  std::string group_id;
  std::string topic;
  std::int32_t partition = 0;
  bool operator==(const OffsetFetchRequest&) const = default;
};

// Variant order follows ApiKey (index + 1 == api key).
using RequestBody = std::variant<CreateTopicRequest, MetadataRequest, ProduceRequest, FetchRequest,
                                 OffsetCommitRequest, OffsetFetchRequest>;

inline ApiKey api_key_of(const RequestBody& body) { return static_cast<ApiKey>(body.index() + 1); }

struct Request {
  std::uint32_t correlation_id = 0;
  RequestBody body;
  ApiKey api_key() const { return api_key_of(body); }
  bool operator==(const Request&) const = default;
};

// ---- responses ----
// Every response body starts with u8 error and u32 leader_hint.
struct CreateTopicResponse {
  ErrorCode error = ErrorCode::none;
  NodeId leader_hint = 0;
  bool operator==(const CreateTopicResponse&) const = default;
};

struct BrokerInfo {
  NodeId node_id = 0;
  std::uint32_t process_id = 0;  // sim::ProcessId to send requests to
  bool operator==(const BrokerInfo&) const = default;
};
struct PartitionMetadata {
  std::int32_t partition = 0;
  ErrorCode error = ErrorCode::none;  // leader_not_available when leader == 0
  NodeId leader = 0;                  // 0: no leader known
  std::int64_t leader_epoch = 0;      // Raft term of that leadership
  std::vector<NodeId> replicas;
  bool operator==(const PartitionMetadata&) const = default;
};
struct TopicMetadata {
  std::string name;
  ErrorCode error = ErrorCode::none;  // unknown_topic_or_partition if asked and absent
  std::vector<PartitionMetadata> partitions;
  bool operator==(const TopicMetadata&) const = default;
};
struct MetadataResponse {
  ErrorCode error = ErrorCode::none;
  NodeId leader_hint = 0;    // unused (0)
  NodeId controller_id = 0;  // the __meta leader this node knows, 0 if none
  std::vector<BrokerInfo> brokers;
  std::vector<TopicMetadata> topics;
  bool operator==(const MetadataResponse&) const = default;
};
struct ProduceResponse {
  ErrorCode error = ErrorCode::none;
  NodeId leader_hint = 0;
  std::int64_t base_offset = -1;
  std::int64_t high_watermark = -1;
  bool operator==(const ProduceResponse&) const = default;
};
struct FetchResponse {
  ErrorCode error = ErrorCode::none;
  NodeId leader_hint = 0;
  std::int64_t high_watermark = 0;
  // Concatenated encoded RecordBatches, in offset order: the batch that
  // contains the requested offset first, then later ones, all with offsets
  // below high_watermark. At least one whole batch if any is available, then
  // more while the total stays within max_bytes.
  wire::Bytes records;
  bool operator==(const FetchResponse&) const = default;
};
struct OffsetCommitResponse {
  ErrorCode error = ErrorCode::none;
  NodeId leader_hint = 0;
  bool operator==(const OffsetCommitResponse&) const = default;
};
struct OffsetFetchResponse {
  ErrorCode error = ErrorCode::none;
  NodeId leader_hint = 0;
  std::int64_t offset = -1;  // -1: the group has no committed offset there
  bool operator==(const OffsetFetchResponse&) const = default;
};

using ResponseBody = std::variant<CreateTopicResponse, MetadataResponse, ProduceResponse,
                                  FetchResponse, OffsetCommitResponse, OffsetFetchResponse>;

struct Response {
  std::uint32_t correlation_id = 0;
  ResponseBody body;
  ApiKey api_key() const { return static_cast<ApiKey>(body.index() + 1); }
  ErrorCode error() const;
  NodeId leader_hint() const;
  bool operator==(const Response&) const = default;
};

// A response of the right type for `request` carrying only an error (for
// brokers answering not_leader / invalid_request without doing the work).
Response error_response(const Request& request, ErrorCode error, NodeId leader_hint = 0);

wire::Bytes encode_request(const Request& request);
// The same bytes from a body that stays where it is (the client encodes a
// produce's batch into the frame without a Request holding a copy).
wire::Bytes encode_request_with_id(std::uint32_t correlation_id, const RequestBody& body);
wire::Bytes encode_response(const Response& response);
// Both expect the whole payload, FrameKind byte included, and fail on a
// wrong frame kind, an unknown api key, a bad enum, an over-bound count or
// length, truncation, or trailing bytes.
wire::Decoded<Request> decode_request(std::span<const std::uint8_t> payload);
wire::Decoded<Response> decode_response(std::span<const std::uint8_t> payload);

// For a node's dispatcher: the header of a request payload whose body failed
// to decode, so it can still answer invalid_request / corrupt_message via
// error_response(). nullopt if the header itself is unreadable or invalid.
struct RequestHeader {
  std::uint32_t correlation_id = 0;
  ApiKey api_key = ApiKey::metadata;
};
std::optional<RequestHeader> peek_request_header(std::span<const std::uint8_t> payload);
// error_response() from a header alone.
Response error_response(const RequestHeader& header, ErrorCode error, NodeId leader_hint = 0);

}  // namespace simrun::broker::protocol
