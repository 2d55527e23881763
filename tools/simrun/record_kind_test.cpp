#include "tools/simrun/record_kind.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace simrun::cli {
namespace {

namespace events = broker::events;
namespace kinds = sim::trace_kinds;

TEST_CASE("every listed kind resolves to its own id and back to its name") {
  std::set<RecordKind> seen;
  for (const std::string_view name : kinds::kAll) {
    const RecordKind kind = record_kind(name);
    CHECK(kind != kUnknownRecordKind);
    CHECK(record_kind_name(kind) == name);
    CHECK(seen.insert(kind).second);
  }
  for (const std::string_view name : events::kAll) {
    const RecordKind kind = record_kind(name);
    CHECK(kind != kUnknownRecordKind);
    CHECK(record_kind_name(kind) == name);
    CHECK(seen.insert(kind).second);
  }
  CHECK(seen.size() == kinds::kAll.size() + events::kAll.size());
}

TEST_CASE("the compile-time id of a constant is the run-time id of its text") {
  static_assert(kind_of(events::kApplied) != kind_of(events::kEntries));
  // A copy of the text, not the constant: resolution reads the bytes.
  const std::string applied(events::kApplied);
  CHECK(record_kind(applied) == kind_of(events::kApplied));
  const std::string segment(kinds::kNetSegment);
  CHECK(record_kind(segment) == kind_of(kinds::kNetSegment));
  CHECK(record_kind(std::string(kinds::kFault)) == kind_of(kinds::kFault));
}

TEST_CASE("names that are no kind are unknown, however close") {
  CHECK(record_kind("") == kUnknownRecordKind);
  CHECK(record_kind("raft.applie") == kUnknownRecordKind);
  CHECK(record_kind("raft.appliedX") == kUnknownRecordKind);
  CHECK(record_kind("Raft.applied") == kUnknownRecordKind);
  CHECK(record_kind("net.") == kUnknownRecordKind);
  CHECK(record_kind("x") == kUnknownRecordKind);
  // Same length, first and last eight bytes as a kind, another middle.
  std::string middle(events::kConsumeOffsetRegression);
  middle[10] = 'X';
  CHECK(record_kind(middle) == kUnknownRecordKind);
  std::string short_name(kinds::kFault);
  short_name[2] = 'X';
  CHECK(record_kind(short_name) == kUnknownRecordKind);
  CHECK(record_kind_name(kUnknownRecordKind).empty());
  CHECK_FALSE(is_kernel_io(kUnknownRecordKind));
}

TEST_CASE("kernel io is exactly the net.* and disk.* kinds") {
  for (const std::string_view name : kinds::kAll) {
    const bool io = name.starts_with("net.") || name.starts_with("disk.");
    CHECK_MESSAGE(is_kernel_io(record_kind(name)) == io, name);
  }
  for (const std::string_view name : events::kAll) CHECK_FALSE(is_kernel_io(record_kind(name)));
  CHECK(is_kernel_io(kind_of(kinds::kNetSegment)));
  CHECK(is_kernel_io(kind_of(kinds::kDiskFsyncStarted)));
  CHECK_FALSE(is_kernel_io(kind_of(kinds::kFault)));
  CHECK_FALSE(is_kernel_io(kind_of(kinds::kProcessStart)));
}

}  // namespace
}  // namespace simrun::cli
