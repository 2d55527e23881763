#pragma once
// Feeds one synthetic trace record to an observer (a checker or metrics
// observer with `observe(const sim::TraceRecord&)`), as the run's trace
// would: the tests of the checkers build their inputs with it.

#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/time.h"
#include "sim/trace.h"

namespace simrun::cli::testing {

template <typename Observer>
void feed(Observer& observer, std::int64_t at_ms, std::string_view kind,
          std::vector<sim::TraceField> fields) {
  sim::TraceRecord record;
  record.time = sim::millis(at_ms);
  record.kind = kind;
  record.fields = fields;
  observer.observe(record);
}

}  // namespace simrun::cli::testing
