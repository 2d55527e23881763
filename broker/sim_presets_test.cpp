// The shared simulated worlds: pinned, because results measured on them
// (the profiles table, broker_bench) are only comparable if they never drift.

#include "broker/sim_presets.h"

#include <doctest/doctest.h>

namespace simrun::broker {

TEST_CASE("lan_with_decent_ssd is the documented LAN and SSD") {
  const sim::WorldConfig config = lan_with_decent_ssd(42);
  CHECK(config.seed == 42);
  const sim::DurationDistribution& link = config.default_link.latency;
  CHECK(link.kind == sim::DurationDistribution::Kind::uniform);
  CHECK(link.base_ns == sim::micros(500));
  CHECK(link.jitter_ns == sim::millis(2) - sim::micros(500));
  CHECK(config.default_link.drop_probability == 0.0);
  const sim::DurationDistribution& fsync = config.default_disk.fsync_latency;
  CHECK(fsync.kind == sim::DurationDistribution::Kind::lognormal);
  CHECK(fsync.base_ns == sim::micros(500));
  CHECK(fsync.median_ns == sim::millis(1));
  CHECK(fsync.sigma == 0.6);
  CHECK(fsync.max_ns == sim::millis(20));
  CHECK(config.default_disk.torn_write_probability == 0.0);
  // Everything else is the simulator's default world.
  const sim::WorldConfig defaults;
  CHECK(config.inbox_capacity == defaults.inbox_capacity);
  CHECK(config.fiber_stack_bytes == defaults.fiber_stack_bytes);
  CHECK(config.max_fibers_per_process == defaults.max_fibers_per_process);
}

TEST_CASE("lan_with_decent_ssd fsyncs stay inside their bounds") {
  const sim::DurationDistribution fsync = lan_with_decent_ssd(1).default_disk.fsync_latency;
  sim::Rng rng(7);
  for (int i = 0; i < 1000; ++i) {
    const sim::duration_ns value = fsync.sample(rng);
    CHECK(value >= sim::micros(500));
    CHECK(value <= sim::millis(20));
  }
}

}  // namespace simrun::broker
