#include "broker/record_batch.h"

#include <doctest/doctest.h>

#include <string_view>

#include "sim/digest.h"
#include "sim/random.h"

namespace simrun::broker {
namespace {

wire::Bytes bytes_of(std::string_view text) { return wire::Bytes(text.begin(), text.end()); }

RecordBatch sample_batch(std::uint64_t seed, int records) {
  sim::Rng rng(seed);
  RecordBatch batch;
  batch.base_offset = 0;
  batch.producer_id = rng.next_u64();
  batch.producer_sequence = rng.below(1000);
  for (int i = 0; i < records; ++i) {
    Record record;
    record.timestamp_ms = rng.uniform_int(0, 1'000'000);
    record.key = bytes_of("key-" + std::to_string(i));
    record.value.resize(rng.below(64));
    for (auto& b : record.value) b = static_cast<std::uint8_t>(rng.below(256));
    batch.records.push_back(std::move(record));
  }
  return batch;
}

TEST_CASE("crc32c matches the Castagnoli check value") {
  CHECK(crc32c(bytes_of("123456789")) == 0xE3069283U);
  CHECK(crc32c({}) == 0U);
  // Incremental use gives the same value as one pass.
  const auto all = bytes_of("123456789");
  const auto first = crc32c(std::span<const std::uint8_t>(all).first(4));
  CHECK(crc32c(std::span<const std::uint8_t>(all).subspan(4), first) == 0xE3069283U);
}

TEST_CASE("a record batch round-trips and its hash is the records payload hash") {
  for (int records : {1, 2, 17}) {
    const RecordBatch batch = sample_batch(static_cast<std::uint64_t>(records), records);
    const wire::Bytes encoded = encode_record_batch(batch);
    auto decoded = decode_record_batch(encoded);
    REQUIRE_MESSAGE(decoded, decoded.error);
    CHECK(*decoded == batch);

    auto summary = summarize_record_batch(encoded);
    REQUIRE(summary);
    CHECK(summary->record_count == static_cast<std::uint32_t>(records));
    CHECK(summary->producer_id == batch.producer_id);
    CHECK(summary->producer_sequence == batch.producer_sequence);
    CHECK(summary->content_hash == batch.content_hash());
    // The definition: digest_bytes (XXH3-64) over the bytes after records_length.
    const auto payload = std::span<const std::uint8_t>(encoded).subspan(kBatchHeaderBytes);
    CHECK(batch.content_hash() == sim::digest_bytes(payload));
    auto hash = batch_content_hash(encoded);
    REQUIRE(hash);
    CHECK(*hash == batch.content_hash());
  }
}

TEST_CASE("stamping the base offset keeps the CRC valid and the hash unchanged") {
  const RecordBatch batch = sample_batch(7, 3);
  wire::Bytes encoded = encode_record_batch(batch);
  const std::uint64_t hash_before = *batch_content_hash(encoded);
  stamp_base_offset(encoded, 4242);
  auto decoded = decode_record_batch(encoded);
  REQUIRE_MESSAGE(decoded, decoded.error);
  CHECK(decoded->base_offset == 4242);
  CHECK(decoded->last_offset() == 4244);
  CHECK(decoded->content_hash() == hash_before);
}

TEST_CASE("different content gives a different hash") {
  RecordBatch a = sample_batch(1, 2);
  RecordBatch b = a;
  b.records[1].value.push_back(0);
  CHECK(a.content_hash() != b.content_hash());
  RecordBatch c = a;
  c.producer_sequence += 1;  // not content
  CHECK(a.content_hash() == c.content_hash());
}

TEST_CASE("decoding the empty entry fails with unexpected end of file (mechanism 4)") {
  auto decoded = decode_record_batch({});
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error.find("unexpected end of file") == 0);
  CHECK_FALSE(batch_content_hash({}));
}

TEST_CASE("every truncation of a batch is rejected") {
  const wire::Bytes encoded = encode_record_batch(sample_batch(3, 4));
  for (std::size_t length = 0; length < encoded.size(); ++length) {
    auto decoded = decode_record_batch(std::span<const std::uint8_t>(encoded).first(length));
    CHECK_FALSE(decoded);
    CHECK(decoded.error.find("unexpected end of file") != std::string::npos);
  }
}

TEST_CASE("every single-byte corruption under the CRC is detected") {
  const wire::Bytes encoded = encode_record_batch(sample_batch(5, 3));
  for (std::size_t at = kBatchPrefixBytes - 4; at < encoded.size(); ++at) {
    wire::Bytes damaged = encoded;
    damaged[at] ^= 0x5a;
    auto decoded = decode_record_batch(damaged);
    CHECK_FALSE(decoded);
  }
  wire::Bytes damaged = encoded;
  damaged.back() ^= 1;
  auto decoded = decode_record_batch(damaged);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error.find("crc mismatch") == 0);
}

TEST_CASE("trailing bytes and concatenations") {
  const wire::Bytes one = encode_record_batch(sample_batch(8, 1));
  wire::Bytes two = one;
  wire::Bytes second = encode_record_batch(sample_batch(9, 5));
  two.insert(two.end(), second.begin(), second.end());
  CHECK_FALSE(decode_record_batch(two));  // one batch expected
  auto both = decode_record_batches(two);
  REQUIRE_MESSAGE(both, both.error);
  REQUIRE(both->size() == 2);
  CHECK((*both)[1].records.size() == 5);
  auto none = decode_record_batches({});
  REQUIRE(none);
  CHECK(none->empty());
  two.pop_back();
  CHECK_FALSE(decode_record_batches(two));
}

TEST_CASE("a record_count of zero or over the bound is rejected even with a valid CRC") {
  RecordBatch batch = sample_batch(11, 1);
  wire::Bytes encoded = encode_record_batch(batch);
  // Rewrite record_count to 0 and fix the CRC, as a buggy (not a damaged)
  // producer would.
  const std::size_t count_at = kBatchPrefixBytes + 16;
  encoded[count_at] = 0;
  wire::Writer patcher(encoded);
  patcher.patch_u32(12, crc32c(std::span<const std::uint8_t>(encoded).subspan(kBatchPrefixBytes)));
  auto decoded = decode_record_batch(encoded);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error.find("record_count 0") == 0);
}

TEST_CASE("random byte strings never crash the decoder") {
  sim::Rng rng(2024);
  const wire::Bytes valid = encode_record_batch(sample_batch(12, 6));
  int accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    wire::Bytes input;
    if (round % 2 == 0) {
      input.resize(rng.below(200));
      for (auto& b : input) b = static_cast<std::uint8_t>(rng.below(256));
    } else {
      input = valid;
      const auto flips = 1 + rng.below(4);
      for (std::uint64_t i = 0; i < flips; ++i) {
        input[rng.below(input.size())] = static_cast<std::uint8_t>(rng.below(256));
      }
    }
    auto decoded = decode_record_batch(input);
    if (decoded) {
      ++accepted;
      // Only changes outside the CRC (the base offset) can be accepted.
      CHECK(std::equal(input.begin() + 8, input.end(), valid.begin() + 8, valid.end()));
    } else {
      CHECK_FALSE(decoded.error.empty());
    }
    (void)decode_record_batches(input);
  }
  CHECK(accepted < 5000);
}

}  // namespace
}  // namespace simrun::broker

namespace simrun::broker {
namespace {

TEST_CASE("the builder gives encode_record_batch's bytes; the encoded hash is content_hash") {
  for (int records : {1, 3, 17}) {
    RecordBatch batch = sample_batch(static_cast<std::uint64_t>(40 + records), records);
    RecordBatchBuilder builder(batch.producer_id, batch.producer_sequence, 0);
    for (const Record& record : batch.records) builder.add(record);
    const wire::Bytes built = std::move(builder).finish();
    CHECK(built == encode_record_batch(batch));
    CHECK(built.size() == encoded_record_batch_bytes(batch.records));
    CHECK(encoded_batch_content_hash(built) == batch.content_hash());
  }
}

TEST_CASE("check_record_batch accepts what summarize accepts and rejects what it rejects") {
  const wire::Bytes encoded = encode_record_batch(sample_batch(11, 3));
  CHECK_FALSE(check_record_batch(encoded).has_value());
  for (std::size_t at = 0; at < encoded.size(); at += 7) {
    wire::Bytes damaged = encoded;
    damaged[at] ^= 0x21;
    const auto summary = summarize_record_batch(damaged);
    const auto error = check_record_batch(damaged);
    CHECK(error.has_value() == !summary.value.has_value());
    if (error) CHECK(*error == summary.error);
  }
  const auto empty = check_record_batch({});
  REQUIRE(empty.has_value());
  CHECK(empty->find("unexpected end of file") == 0);
}

TEST_CASE("summarize_record_batches agrees with decode_record_batches, errors included") {
  wire::Bytes fetched = encode_record_batch(sample_batch(21, 2));
  RecordBatch second = sample_batch(22, 4);
  second.base_offset = 2;
  const wire::Bytes tail = encode_record_batch(second);
  fetched.insert(fetched.end(), tail.begin(), tail.end());
  auto summaries = summarize_record_batches(fetched);
  auto decoded = decode_record_batches(fetched);
  REQUIRE(summaries);
  REQUIRE(decoded);
  REQUIRE(summaries->size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK((*summaries)[i].base_offset == (*decoded)[i].base_offset);
    CHECK((*summaries)[i].record_count == (*decoded)[i].records.size());
    CHECK((*summaries)[i].content_hash == (*decoded)[i].content_hash());
  }
  // Damage, truncation and a record whose framing lies under a valid CRC.
  for (std::size_t at = 0; at < fetched.size(); at += 5) {
    wire::Bytes damaged = fetched;
    damaged[at] ^= 0x44;
    const auto a = summarize_record_batches(damaged);
    const auto b = decode_record_batches(damaged);
    CHECK(a.value.has_value() == b.value.has_value());
    CHECK(a.error == b.error);
  }
  wire::Bytes lying = encode_record_batch(sample_batch(23, 2));
  lying[kBatchHeaderBytes + 8] ^= 0x01;  // first record's key length, CRC recomputed:
  const auto covered = std::span<const std::uint8_t>(lying).subspan(kBatchPrefixBytes);
  const std::uint32_t crc = crc32c(covered);
  for (std::size_t i = 0; i < 4; ++i) lying[12 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  const auto a = summarize_record_batches(lying);
  const auto b = decode_record_batches(lying);
  REQUIRE_FALSE(a);
  CHECK(a.error == b.error);
  CHECK(a.error.find("record ") != std::string::npos);
}

}  // namespace
}  // namespace simrun::broker
