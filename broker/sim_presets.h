#pragma once
// Named simulated worlds that broker tests and tools share, so that "the
// same hardware" means the same numbers everywhere a result is compared.

#include <cstdint>

#include "sim/world.h"

namespace simrun::broker {

// A LAN and a decent SSD: links of 0.5-2 ms (uniform); fsync of 0.5 ms +
// lognormal(median 1 ms, sigma 0.6), at most 20 ms. No loss, no faults: a
// scenario adds those. The profiles e2e test and broker_bench run on it.
sim::WorldConfig lan_with_decent_ssd(std::uint64_t seed);

}  // namespace simrun::broker
