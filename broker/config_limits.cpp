#include "broker/config_limits.h"

#include "sim/assert.h"

namespace simrun::broker {

const KnobLimit& knob_limit(std::string_view path) {
  for (const KnobLimit& limit : kKnobLimits) {
    if (limit.path == path) {
      SIMRUN_ASSERT(limit.min <= limit.max, "a knob limit with min > max");
      return limit;
    }
  }
  SIMRUN_ASSERT(false, "config_json reads a knob without a row in kKnobLimits");
  return kKnobLimits.front();
}

}  // namespace simrun::broker
