#include "broker/protocol.h"

#include <doctest/doctest.h>

#include "broker/frame.h"
#include "broker/record_batch.h"
#include "sim/random.h"

namespace simrun::broker::protocol {
namespace {

wire::Bytes some_batch() {
  RecordBatch batch;
  batch.producer_id = 3;
  batch.producer_sequence = 9;
  batch.records.push_back(Record{5, {1, 2}, {3, 4, 5}});
  return encode_record_batch(batch);
}

std::vector<Request> sample_requests() {
  std::vector<Request> requests;
  std::uint32_t id = 1;
  auto add = [&](RequestBody body) { requests.push_back(Request{id++, std::move(body)}); };
  add(CreateTopicRequest{"orders", 3, 3});
  add(MetadataRequest{});
  add(MetadataRequest{{"orders", "payments"}});
  add(ProduceRequest{"orders", 2, -1, some_batch(), 30000});
  add(ProduceRequest{"orders", 0, 0, some_batch(), 5});
  add(FetchRequest{"orders", 1, 1234567890123LL, 65536});
  add(OffsetCommitRequest{"group-a", "orders", 1, 77});
  add(OffsetFetchRequest{"group-a", "orders", 1});
  return requests;
}

std::vector<Response> sample_responses() {
  std::vector<Response> responses;
  std::uint32_t id = 100;
  auto add = [&](ResponseBody body) { responses.push_back(Response{id++, std::move(body)}); };
  add(CreateTopicResponse{ErrorCode::topic_already_exists, 0});
  add(CreateTopicResponse{ErrorCode::not_leader, 2});
  MetadataResponse metadata;
  metadata.controller_id = 2;
  metadata.brokers = {{1, 10}, {2, 11}, {3, 12}};
  metadata.topics.push_back(
      TopicMetadata{"orders",
                    ErrorCode::none,
                    {PartitionMetadata{0, ErrorCode::none, 1, 4, {1, 2, 3}},
                     PartitionMetadata{1, ErrorCode::leader_not_available, 0, 0, {2, 3, 1}}}});
  metadata.topics.push_back(TopicMetadata{"missing", ErrorCode::unknown_topic_or_partition, {}});
  add(metadata);
  add(ProduceResponse{ErrorCode::none, 0, 40, 41});
  add(ProduceResponse{ErrorCode::not_leader, 3, -1, -1});
  add(FetchResponse{ErrorCode::none, 0, 12, some_batch()});
  add(FetchResponse{ErrorCode::leader_not_available, 0, 0, {}});
  add(OffsetCommitResponse{ErrorCode::request_timed_out, 0});
  add(OffsetFetchResponse{ErrorCode::none, 0, 55});
  return responses;
}

TEST_CASE("every request kind round-trips") {
  for (const Request& request : sample_requests()) {
    const wire::Bytes bytes = encode_request(request);
    CHECK(bytes[0] == static_cast<std::uint8_t>(FrameKind::client_request));
    auto decoded = decode_request(bytes);
    REQUIRE_MESSAGE(decoded, decoded.error);
    CHECK(*decoded == request);
    auto header = peek_request_header(bytes);
    REQUIRE(header);
    CHECK(header->correlation_id == request.correlation_id);
    CHECK(header->api_key == request.api_key());
    // A request is not a response.
    CHECK_FALSE(decode_response(bytes));
  }
}

TEST_CASE("every response kind round-trips") {
  for (const Response& response : sample_responses()) {
    const wire::Bytes bytes = encode_response(response);
    CHECK(bytes[0] == static_cast<std::uint8_t>(FrameKind::client_response));
    auto decoded = decode_response(bytes);
    REQUIRE_MESSAGE(decoded, decoded.error);
    CHECK(*decoded == response);
    CHECK(decoded->error() == response.error());
    CHECK(decoded->leader_hint() == response.leader_hint());
    CHECK_FALSE(decode_request(bytes));
  }
}

TEST_CASE("error responses have the request's type and correlation id") {
  for (const Request& request : sample_requests()) {
    const Response response = error_response(request, ErrorCode::not_leader, 3);
    CHECK(response.api_key() == request.api_key());
    CHECK(response.correlation_id == request.correlation_id);
    CHECK(response.error() == ErrorCode::not_leader);
    CHECK(response.leader_hint() == 3);
    auto decoded = decode_response(encode_response(response));
    REQUIRE(decoded);
    CHECK(*decoded == response);
  }
}

TEST_CASE("every truncation and every trailing byte is rejected") {
  for (const Request& request : sample_requests()) {
    wire::Bytes bytes = encode_request(request);
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      auto decoded = decode_request(std::span<const std::uint8_t>(bytes).first(length));
      CHECK_FALSE(decoded);
      CHECK(decoded.error.find("unexpected end of file") != std::string::npos);
    }
    bytes.push_back(0);
    auto decoded = decode_request(bytes);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error.find("trailing") != std::string::npos);
  }
  for (const Response& response : sample_responses()) {
    const wire::Bytes bytes = encode_response(response);
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      CHECK_FALSE(decode_response(std::span<const std::uint8_t>(bytes).first(length)));
    }
  }
}

TEST_CASE("bad enums and bad headers are rejected with a reason") {
  wire::Bytes bytes = encode_request(sample_requests()[0]);
  bytes[5] = 42;  // api key
  auto decoded = decode_request(bytes);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error == "unknown api key 42");
  CHECK_FALSE(peek_request_header(bytes));

  bytes = encode_request(sample_requests()[0]);
  bytes[0] = static_cast<std::uint8_t>(FrameKind::raft_message);
  CHECK_FALSE(decode_request(bytes));

  Request produce{1, ProduceRequest{"t", 0, -1, {}, 1}};
  bytes = encode_request(produce);
  bytes[6 + 2 + 1 + 4] = 7;  // acks after header, topic "t", partition
  decoded = decode_request(bytes);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error == "acks 7 is not 0, 1 or -1");

  wire::Bytes response = encode_response(Response{1, OffsetCommitResponse{}});
  response[6] = kMaxErrorCode + 1;
  CHECK_FALSE(decode_response(response));
}

TEST_CASE("absurd counts are rejected before any allocation") {
  wire::Bytes bytes;
  wire::Writer out(bytes);
  out.u8(static_cast<std::uint8_t>(FrameKind::client_request));
  out.u32(1);
  out.u8(static_cast<std::uint8_t>(ApiKey::metadata));
  out.u32(1000);  // 1000 topics but no bytes for them
  auto decoded = decode_request(bytes);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error.find("unexpected end of file") == 0);
  bytes.resize(6);
  out.u32(0xFFFFFFFFU);
  CHECK_FALSE(decode_request(bytes));
}

TEST_CASE("thousands of random and mutated byte strings never crash the decoders") {
  sim::Rng rng(77);
  std::vector<wire::Bytes> valid;
  for (const auto& r : sample_requests()) valid.push_back(encode_request(r));
  for (const auto& r : sample_responses()) valid.push_back(encode_response(r));
  int decoded_ok = 0;
  for (int round = 0; round < 20000; ++round) {
    wire::Bytes input;
    if (round % 3 == 0) {
      input.resize(rng.below(64));
      for (auto& b : input) b = static_cast<std::uint8_t>(rng.below(256));
      if (!input.empty()) input[0] = static_cast<std::uint8_t>(3 + rng.below(2));
    } else {
      input = valid[rng.below(valid.size())];
      const auto flips = 1 + rng.below(3);
      for (std::uint64_t i = 0; i < flips; ++i) {
        input[rng.below(input.size())] = static_cast<std::uint8_t>(rng.below(256));
      }
      if (round % 3 == 2) input.resize(rng.below(input.size() + 1));
    }
    auto request = decode_request(input);
    auto response = decode_response(input);
    CHECK_FALSE((request && response));
    if (request) {
      ++decoded_ok;
      // Whatever decodes must re-encode to the same bytes.
      CHECK(encode_request(*request) == input);
    } else {
      CHECK_FALSE(request.error.empty());
    }
    if (response) {
      ++decoded_ok;
      CHECK(encode_response(*response) == input);
    }
  }
  CHECK(decoded_ok > 0);  // the mutations sometimes hit free-form fields
}

TEST_CASE("retriable errors") {
  CHECK(is_retriable(ErrorCode::not_leader));
  CHECK(is_retriable(ErrorCode::leader_not_available));
  CHECK(is_retriable(ErrorCode::request_timed_out));
  CHECK_FALSE(is_retriable(ErrorCode::none));
  CHECK_FALSE(is_retriable(ErrorCode::invalid_request));
  CHECK_FALSE(is_retriable(ErrorCode::topic_already_exists));
  CHECK(error_name(ErrorCode::corrupt_message) == "corrupt_message");
  CHECK(api_name(ApiKey::offset_fetch) == "offset_fetch");
}

}  // namespace
}  // namespace simrun::broker::protocol
