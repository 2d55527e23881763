#include "broker/sim_presets.h"

namespace simrun::broker {

sim::WorldConfig lan_with_decent_ssd(std::uint64_t seed) {
  sim::WorldConfig config;
  config.seed = seed;
  config.default_link.latency =
      sim::DurationDistribution::uniform(sim::micros(500), sim::millis(2));
  config.default_disk.fsync_latency =
      sim::DurationDistribution::lognormal(sim::micros(500), sim::millis(1), 0.6, sim::millis(20));
  return config;
}

}  // namespace simrun::broker
