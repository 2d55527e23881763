// broker_bench: how fast a broker cluster simulates. Runs a 3-node cluster
// of one profile with an acks=all producer and a consumer for N simulated
// seconds and prints events/s, trace records/s and the simulated-to-wall
// ratio. The CI scenario needs >= 300x for "recommended".
//
//   broker_bench [--profile recommended] [--seconds 60] [--rate 100] [--seed 1]

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "broker/cluster.h"
#include "broker/sim_presets.h"
#include "sim/world.h"

namespace {

struct Options {
  std::string profile = "recommended";
  std::int64_t seconds = 60;
  double rate = 100.0;
  std::uint64_t seed = 1;
  int partitions = 2;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--profile") {
      options.profile = value;
    } else if (flag == "--seconds") {
      options.seconds = std::strtoll(value, nullptr, 10);
    } else if (flag == "--rate") {
      options.rate = std::strtod(value, nullptr);
    } else if (flag == "--seed") {
      options.seed = std::strtoull(value, nullptr, 10);
    } else if (flag == "--partitions") {
      options.partitions = static_cast<int>(std::strtol(value, nullptr, 10));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace simrun;
  const Options options = parse(argc, argv);
  sim::World world(broker::lan_with_decent_ssd(options.seed));

  broker::ClusterConfig config;
  config.nodes = 3;
  config.broker = broker::profile(options.profile);
  config.topics = {{"orders", options.partitions}};
  broker::Cluster cluster(world, config);
  broker::ProducerSpec producer;
  producer.topic = "orders";
  producer.rate_per_second = options.rate;
  producer.acks = -1;
  producer.start_ms = 1000;
  cluster.add_producer(producer);
  broker::ConsumerSpec consumer;
  consumer.topic = "orders";
  consumer.start_ms = 1000;
  cluster.add_consumer(consumer);
  cluster.start();

  const auto began = std::chrono::steady_clock::now();
  const sim::RunResult result = world.run_until(sim::seconds(options.seconds));
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  const double sim_s = static_cast<double>(options.seconds);
  std::printf(
      "profile %s, %lld simulated s, %.0f batches/s, %d partitions, seed %llu\n"
      "wall %.3f s, events %llu (%.0f/s), trace records %llu (%.0f/s), sim/wall %.0fx\n"
      "trace hash %016llx\n",
      options.profile.c_str(), static_cast<long long>(options.seconds), options.rate,
      options.partitions, static_cast<unsigned long long>(options.seed), wall_s,
      static_cast<unsigned long long>(result.events), static_cast<double>(result.events) / wall_s,
      static_cast<unsigned long long>(world.trace().records()),
      static_cast<double>(world.trace().records()) / wall_s, sim_s / wall_s,
      static_cast<unsigned long long>(world.trace().hash()));
  return 0;
}
