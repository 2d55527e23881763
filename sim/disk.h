#pragma once
// A process's durable storage. Files are byte strings addressed by name.
// write/append/truncate/remove take effect at once in a volatile buffer
// (the page cache, which reads see); fsync makes everything buffered durable
// after a latency drawn from the world's "disk" stream, blocking only the
// calling fiber for that long. A crash loses whatever was not fsynced.
//
// The device queue (issue 8): the disk services fsyncs through
// `queue_depth` channels. Each fsync is assigned, when issued, to the
// channel that frees first and starts when that channel is free, so with the
// default depth 1 the fsyncs of every fiber of a process (the per-entry
// fsyncs of many Raft groups on one node) run one after another and a burst
// of them waits in line: latency compounds under load as on a real device,
// where a cache flush (FLUSH/FUA) drains the whole device and ext4's journal
// commits one transaction at a time. The drawn latency is the service time;
// the time spent waiting for a channel is counted in fsync_queue_ns_*.
//
// Faults through the mechanism:
//  - stall(window): an fsync in progress or issued in the window completes
//    no earlier than the window's end, and the fsyncs queued behind it start
//    only then (a stalled disk really delays every fiber that waits for it);
//  - torn write: at a crash, with torn_write_probability the last buffered
//    append survives as a random prefix;
//  - bit flip: each fsynced write flips one random bit on the medium with
//    bit_flip_probability.
// Both are counted in DiskStats and traced.

#include <cstdint>
#include <deque>
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
  // Fsyncs the device services at once (>= 1); the rest wait in FIFO order.
  std::uint32_t queue_depth = 1;
};

struct DiskStats {
  std::uint64_t writes = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t fsyncs = 0;
  duration_ns fsync_wait_ns_total = 0;
  duration_ns fsync_wait_ns_max = 0;
  // Part of the wait spent queued behind other fsyncs before service began.
  duration_ns fsync_queue_ns_total = 0;
  duration_ns fsync_queue_ns_max = 0;
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
  // Replaces the file by its bytes from `offset` on: for crashes, fsyncs and
  // bit flips exactly write(file, those bytes) (a log rewritten without its
  // compacted head), but done in place, without the file being read out
  // and the kept bytes copied into a new one. A missing file needs offset 0
  // and becomes empty, as write(file, {}) would make it.
  void keep_from(std::string_view file, std::size_t offset);
  void remove(std::string_view file);
  std::optional<Bytes> read(std::string_view file) const;
  // The file's bytes without a copy; valid until the next change to any
  // file of this disk (or a crash).
  std::optional<std::span<const std::uint8_t>> view(std::string_view file) const;
  std::vector<std::string> list() const;  // sorted names

  // Blocks the calling fiber (of the owning process) until every buffered
  // change is durable. Called from the scheduler context instead (set-up
  // code, tests), it makes everything durable at once.
  void fsync();
  void stall(duration_ns window);
  time_ns stalled_until() const { return stall_until_; }

  std::size_t unsynced_bytes() const;
  // Whether `file` has a change not yet fsynced (a crash would undo it), so
  // its durable content may differ from what read() returns. For observers
  // outside the process (the safety checker's restart floor, issue 12).
  bool has_unsynced_change(std::string_view file) const;
  void set_config(const DiskConfig& config);
  const DiskConfig& config() const { return config_; }
  // Fsyncs issued by fibers and not yet complete (in service or queued).
  std::size_t fsyncs_in_flight() const { return in_flight_.size(); }
  const DiskStats& stats() const { return stats_; }

  // Called by World on a crash of the owner: drop or tear unsynced changes.
  void on_crash();

 private:
  // A buffered change, kept until an fsync makes it durable. The disk holds
  // one copy of each file (the page cache, `files_`); the medium is that
  // copy with the buffered changes undone, newest first, and the latent bit
  // flips applied. So a buffered change keeps what undoing it needs instead
  // of a second copy of every file: an append the size before it, a write,
  // truncate or remove the bytes it replaced or cut off. (Two full maps, the
  // medium and the cache, held every synced byte twice: issue 12.)
  struct Op {
    enum class Kind : std::uint8_t { write, append, truncate, keep_from, remove };
    Kind kind = Kind::write;
    std::string file;
    std::size_t bytes = 0;  // bytes the change carries (write, append)
    std::size_t size = 0;   // truncate: the new size; keep_from: the offset
    std::uint64_t sequence = 0;
    // Undo: whether the file existed, its size, and for write/remove the
    // whole content, for truncate the tail it cut off, for keep_from the
    // head.
    bool existed_before = false;
    std::size_t size_before = 0;
    Bytes replaced;
  };
  // A bit flipped on the medium after the cache was filled: readers see it
  // only once the cache is lost (a crash).
  struct LatentFlip {
    std::string file;
    std::size_t offset = 0;
    std::uint8_t mask = 0;
  };
  // Bookkeeping of a change `carried_bytes` long (what a write or an append
  // carries) before the caller applies it to the page cache: the file's
  // entry, or files_.end() when it does not exist.
  std::map<std::string, Bytes, std::less<>>::iterator prepare(Op& op, std::size_t carried_bytes);
  void buffer(Op op);
  void make_durable(std::uint64_t before_sequence);
  void on_durable(const Op& op);
  void undo(Op& op);
  Rng& rng();
  // An fsync issued by a fiber: its channel, when its service starts and
  // ends. A stall moves `done` (and the start of those queued behind it).
  struct InFlightFsync {
    std::uint32_t channel = 0;
    time_ns start = 0;
    duration_ns service_ns = 0;
    time_ns done = 0;
  };
  void enqueue_fsync(std::uint64_t ticket, time_ns now);

  World& world_;
  ProcessId owner_;
  DiskConfig config_;
  std::map<std::string, Bytes, std::less<>> files_;  // the page cache: medium + buffered
  std::deque<Op> buffered_;
  std::vector<LatentFlip> latent_flips_;  // in the order they happened
  std::uint64_t next_op_sequence_ = 0;
  time_ns stall_until_ = 0;
  std::vector<time_ns> channel_free_at_;              // per channel; sized queue_depth
  std::map<std::uint64_t, InFlightFsync> in_flight_;  // by ticket = issue order
  std::uint64_t next_fsync_ticket_ = 0;
  Rng* rng_ = nullptr;  // world.stream("disk"), looked up on first use
  DiskStats stats_;
};

}  // namespace simrun::sim
