#include "sim/coverage.h"

#include "sim/assert.h"

namespace simrun::sim {

void Coverage::hit(std::string_view probe) {
  SIMRUN_ASSERT(!probe.empty(), "a probe has a name");
  auto it = hits_.find(probe);
  if (it == hits_.end()) it = hits_.emplace(std::string(probe), 0).first;
  ++it->second;
}

std::uint64_t Coverage::count(std::string_view probe) const {
  auto it = hits_.find(probe);
  return it == hits_.end() ? 0 : it->second;
}

}  // namespace simrun::sim
