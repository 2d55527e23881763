#pragma once
// The run's trace: every meaningful event (send, deliver, drop, timer, fault,
// disk op, node state change, and the broker's metric events) is recorded
// here. Each record feeds a running 64-bit hash (sim/hash.h, fixed across
// compilers); the final value is the run's trace_hash. Records can also be
// streamed as JSON lines, and observers (metrics, checkers) can subscribe.
//
// Records are stamped with the global simulated time, not a node's skewed
// local clock.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace simrun::sim {

struct TraceField {
  // Either an integer or a string value; `is_string` says which.
  std::string_view name;
  std::int64_t number = 0;
  std::string_view text;
  bool is_string = false;
  // The name as the trace hash absorbs it when it is shorter than 8 bytes
  // (sim/trace.cpp, RecordHasher: the bytes little-endian in bits 0..55,
  // 0x80 | length in the top byte, the type tag still to be or-ed in); 0
  // for a longer name. Computed here, inline, so that for the usual literal
  // name the compiler folds it to a constant at the emitting call site
  // instead of the hash packing the bytes of every name of every record
  // (issue 12). Set by the constructors: never reassign `name` alone.
  std::uint64_t short_name_word = 0;

  TraceField(std::string_view field_name, std::int64_t value)
      : name(field_name), number(value), short_name_word(pack_short_name(field_name)) {}
  TraceField(std::string_view field_name, std::string_view value)
      : name(field_name),
        text(value),
        is_string(true),
        short_name_word(pack_short_name(field_name)) {}
  TraceField(std::string_view field_name, const char* value)
      : name(field_name),
        text(value),
        is_string(true),
        short_name_word(pack_short_name(field_name)) {}
  TraceField(std::string_view field_name, const std::string& value)
      : name(field_name),
        text(value),
        is_string(true),
        short_name_word(pack_short_name(field_name)) {}

  static constexpr std::uint64_t pack_short_name(std::string_view field_name) {
    if (field_name.size() >= 8) return 0;
    std::uint64_t word = (std::uint64_t{0x80} | field_name.size()) << 56;
    for (std::size_t i = 0; i < field_name.size(); ++i) {
      word |= std::uint64_t{static_cast<unsigned char>(field_name[i])} << (8 * i);
    }
    return word;
  }
};

// A view valid only during the observer call.
struct TraceRecord {
  time_ns time = 0;
  std::string_view kind;
  std::span<const TraceField> fields;
  // Lookup helpers; return the fallback when the field is absent.
  std::int64_t number(std::string_view name, std::int64_t fallback = 0) const;
  std::string_view text(std::string_view name, std::string_view fallback = {}) const;
  bool has(std::string_view name) const;
};

class Trace {
 public:
  using Observer = std::function<void(const TraceRecord&)>;

  explicit Trace(const time_ns* clock);  // reads the loop's current time
  void record(std::string_view kind, std::initializer_list<TraceField> fields);
  void record(std::string_view kind, std::span<const TraceField> fields);

  std::uint64_t hash() const;
  std::uint64_t records() const { return records_; }
  // Stream every record as one JSON object per line; nullptr stops it.
  void set_json_sink(std::ostream* sink);
  void add_observer(Observer observer);

 private:
  const time_ns* clock_;
  std::uint64_t hash_state_;
  std::uint64_t records_ = 0;
  std::ostream* json_sink_ = nullptr;
  std::vector<Observer> observers_;
};

}  // namespace simrun::sim
