#pragma once
// A process's durable storage. Files are byte strings addressed by name.
// write/append/truncate/remove take effect at once in a volatile buffer
// (the page cache, which reads see); fsync makes everything buffered durable
// after a latency drawn from the world's "disk" stream, blocking only the
// calling fiber for that long. A crash loses whatever was not fsynced.
//
// Faults through the mechanism:
//  - stall(window): an fsync in progress or issued in the window completes
//    no earlier than the window's end (a slow disk really delays the fiber
//    that waits for it);
//  - torn write: at a crash, with torn_write_probability the last buffered
//    append survives as a random prefix;
//  - bit flip: each fsynced write flips one random bit on the medium with
//    bit_flip_probability.
// Both are counted in DiskStats and traced.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/random.h"
#include "sim/time.h"

namespace simrun::sim {

using Bytes = std::vector<std::uint8_t>;
using ProcessId = std::uint32_t;

struct DiskConfig {
  DurationDistribution fsync_latency = DurationDistribution::fixed(micros(500));
  double torn_write_probability = 0.0;
  double bit_flip_probability = 0.0;
};

struct DiskStats {
  std::uint64_t writes = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t fsyncs = 0;
  duration_ns fsync_wait_ns_total = 0;
  duration_ns fsync_wait_ns_max = 0;
  std::uint64_t torn_writes = 0;
  std::uint64_t bit_flips = 0;
  std::uint64_t bytes_lost_at_crash = 0;
};

class World;

class Disk {
 public:
  Disk(World& world, ProcessId owner, DiskConfig config);

  void write(std::string_view file, Bytes content);  // replaces the file
  void append(std::string_view file, std::span<const std::uint8_t> bytes);
  void truncate(std::string_view file, std::size_t size);
  void remove(std::string_view file);
  std::optional<Bytes> read(std::string_view file) const;
  std::vector<std::string> list() const;  // sorted names

  // Blocks the calling fiber (of the owning process) until every buffered
  // change is durable.
  void fsync();
  void stall(duration_ns window);

  std::size_t unsynced_bytes() const;
  void set_config(const DiskConfig& config);
  const DiskStats& stats() const { return stats_; }

  // Called by World on a crash of the owner: drop or tear unsynced changes.
  void on_crash();

 private:
  struct Op;
  World& world_;
  ProcessId owner_;
  DiskConfig config_;
  std::map<std::string, Bytes, std::less<>> durable_;
  std::map<std::string, Bytes, std::less<>> cached_;  // durable + buffered
  std::vector<Op> buffered_;
  time_ns stall_until_ = 0;
  DiskStats stats_;
};

}  // namespace simrun::sim
