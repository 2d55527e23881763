#pragma once
// A trace record's kind as a small integer, resolved once per record.
//
// Every metric and checker used to compare the record's kind string with
// each kind it reads, a chain of up to twenty string comparisons per
// observer per record (in three_node_churn about 600,000 comparisons, 5 % of
// the run). Simulation::observe now resolves the kind once (record_kind) and
// the observers switch on the result; a case label names its kind by the
// same constant the emitter uses (`case kind_of(events::kApplied):`), so
// there is no second list of kinds to keep in step: the ids are positions in
// sim::trace_kinds::kAll followed by broker::events::kAll.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/events.h"
#include "sim/trace_kinds.h"

namespace simrun::cli {

// Opaque: values come only from kind_of and record_kind.
enum class RecordKind : std::uint8_t {};

namespace record_kind_detail {
inline constexpr std::size_t kKernelCount = sim::trace_kinds::kAll.size();
inline constexpr std::size_t kCount = kKernelCount + broker::events::kAll.size();
static_assert(kCount < 255, "record kinds fit in a byte, with one value left for unknown");

constexpr std::string_view name_at(std::size_t index) {
  return index < kKernelCount ? sim::trace_kinds::kAll[index]
                              : broker::events::kAll[index - kKernelCount];
}
}  // namespace record_kind_detail

// A kind no table lists (a test's own records, a future kind before its
// row): no observer reads it.
inline constexpr RecordKind kUnknownRecordKind =
    static_cast<RecordKind>(record_kind_detail::kCount);

// The id of a kind constant, at compile time: an unknown name does not
// compile.
consteval RecordKind kind_of(std::string_view kind) {
  for (std::size_t index = 0; index < record_kind_detail::kCount; ++index) {
    if (record_kind_detail::name_at(index) == kind) return static_cast<RecordKind>(index);
  }
  throw "not a record kind of sim/trace_kinds.h or broker/events.h";
}

// The id of a record's kind at run time (kUnknownRecordKind if none).
RecordKind record_kind(std::string_view kind);

// The kind's name (empty for kUnknownRecordKind).
std::string_view record_kind_name(RecordKind kind);

// The kernel's network and disk records (net.*, disk.*): metrics and
// checkers read none of them (Simulation::observe).
bool is_kernel_io(RecordKind kind);

}  // namespace simrun::cli
