#pragma once
// Test support: every trace record of a World copied out of the observer
// call (the TraceRecord view is only valid during it), for tests that check
// what the broker emitted. Shared by the client and group test fixtures.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/world.h"

namespace simrun::broker::testing {

// Every trace record, copied out of the observer call.
struct CapturedRecord {
  sim::time_ns time = 0;
  std::string kind;
  std::map<std::string, std::int64_t> numbers;
  std::map<std::string, std::string> texts;
  std::int64_t number(const std::string& name) const { return numbers.at(name); }
  const std::string& text(const std::string& name) const { return texts.at(name); }
  // The number, or -1 when the record has no such field.
  std::int64_t n(const std::string& name) const {
    auto it = numbers.find(name);
    return it == numbers.end() ? -1 : it->second;
  }
};

inline void capture_trace(sim::World& world, std::vector<CapturedRecord>& out) {
  world.trace().add_observer([&out](const sim::TraceRecord& record) {
    CapturedRecord copy;
    copy.time = record.time;
    copy.kind = std::string(record.kind);
    for (const sim::TraceField& field : record.fields) {
      if (field.is_string) {
        copy.texts[std::string(field.name)] = std::string(field.text);
      } else {
        copy.numbers[std::string(field.name)] = field.number;
      }
    }
    out.push_back(std::move(copy));
  });
}

}  // namespace simrun::broker::testing
