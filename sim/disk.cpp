#include "sim/disk.h"

#include <algorithm>
#include <utility>

#include "sim/assert.h"
#include "sim/scheduler.h"
#include "sim/trace_kinds.h"
#include "sim/world.h"

namespace simrun::sim {

namespace {
std::int64_t as_number(std::uint64_t value) { return static_cast<std::int64_t>(value); }
constexpr std::size_t kMaxBufferedOps = 1'000'000;  // an fsync-less writer is a bug
// Fsyncs waiting at once: one per fiber of the process at most, and a node
// runs a few fibers per group; more means fibers are being leaked.
constexpr std::size_t kMaxFsyncsInFlight = 100'000;
constexpr std::uint32_t kMaxQueueDepth = 1024;

void check_config(const DiskConfig& config) {
  SIMRUN_ASSERT(config.queue_depth >= 1 && config.queue_depth <= kMaxQueueDepth,
                "disk queue_depth must be in [1, 1024]");
}
}  // namespace

Disk::Disk(World& world, ProcessId owner, DiskConfig config)
    : world_(world), owner_(owner), config_(std::move(config)) {
  check_config(config_);
  channel_free_at_.assign(config_.queue_depth, 0);
}

Rng& Disk::rng() {
  if (rng_ == nullptr) rng_ = &world_.stream("disk");
  return *rng_;
}

void Disk::apply(std::map<std::string, Bytes, std::less<>>& files, const Op& op) {
  switch (op.kind) {
    case Op::Kind::write:
      files.insert_or_assign(op.file, op.bytes);
      break;
    case Op::Kind::append: {
      Bytes& content = files[op.file];
      content.insert(content.end(), op.bytes.begin(), op.bytes.end());
      break;
    }
    case Op::Kind::truncate:
      files[op.file].resize(op.size);
      break;
    case Op::Kind::remove:
      files.erase(op.file);
      break;
  }
}

void Disk::buffer(Op op) {
  SIMRUN_ASSERT(buffered_.size() < kMaxBufferedOps, "too many unsynced disk operations");
  op.sequence = next_op_sequence_++;
  ++stats_.writes;
  stats_.bytes_written += op.bytes.size();
  apply(cached_, op);
  buffered_.push_back(std::move(op));
}

void Disk::write(std::string_view file, Bytes content) {
  Op op;
  op.kind = Op::Kind::write;
  op.file = std::string(file);
  op.bytes = std::move(content);
  buffer(std::move(op));
}

void Disk::append(std::string_view file, std::span<const std::uint8_t> bytes) {
  Op op;
  op.kind = Op::Kind::append;
  op.file = std::string(file);
  op.bytes.assign(bytes.begin(), bytes.end());
  buffer(std::move(op));
}

void Disk::truncate(std::string_view file, std::size_t size) {
  Op op;
  op.kind = Op::Kind::truncate;
  op.file = std::string(file);
  op.size = size;
  buffer(std::move(op));
}

void Disk::remove(std::string_view file) {
  Op op;
  op.kind = Op::Kind::remove;
  op.file = std::string(file);
  buffer(std::move(op));
}

std::optional<Bytes> Disk::read(std::string_view file) const {
  const auto found = cached_.find(file);
  if (found == cached_.end()) return std::nullopt;
  return found->second;
}

std::vector<std::string> Disk::list() const {
  std::vector<std::string> names;
  names.reserve(cached_.size());
  for (const auto& [name, content] : cached_) names.push_back(name);
  return names;
}

std::size_t Disk::unsynced_bytes() const {
  std::size_t total = 0;
  for (const Op& op : buffered_) total += op.bytes.size();
  return total;
}

// A new depth applies to fsyncs issued from now on; those in flight keep
// their channel (a removed channel just drains).
void Disk::set_config(const DiskConfig& config) {
  check_config(config);
  config_ = config;
  channel_free_at_.resize(config_.queue_depth, 0);
}

void Disk::stall(duration_ns window) {
  SIMRUN_ASSERT(window >= 0, "negative stall window");
  const time_ns now = world_.now();
  const time_ns until = now + window;
  if (until > stall_until_) stall_until_ = until;
  // The fsync in service on each channel completes no earlier than the
  // stall's end, and those queued behind it start only when it is done.
  std::map<std::uint32_t, time_ns> channel_end;
  for (auto& [ticket, fsync] : in_flight_) {
    time_ns& end = channel_end[fsync.channel];
    if (fsync.start > now) fsync.start = std::max(fsync.start, end);
    fsync.done = std::max({fsync.done, fsync.start + fsync.service_ns, stall_until_});
    end = fsync.done;
  }
  for (const auto& [channel, end] : channel_end) {
    if (channel < channel_free_at_.size()) {
      channel_free_at_[channel] = std::max(channel_free_at_[channel], end);
    }
  }
  world_.trace_fault("disk_stall", {{"process", owner_}, {"until", stall_until_}});
}

void Disk::apply_durable(const Op& op) {
  const std::size_t offset_before = op.kind == Op::Kind::append && durable_.count(op.file)
                                        ? durable_.find(op.file)->second.size()
                                        : 0;
  apply(durable_, op);
  const bool carries_data = op.kind == Op::Kind::write || op.kind == Op::Kind::append;
  // Draws only when bit flips are configured, so enabling them on one disk
  // is the only thing that shifts the "disk" stream.
  if (!carries_data || op.bytes.empty() || config_.bit_flip_probability <= 0.0) return;
  if (!rng().bernoulli(config_.bit_flip_probability)) return;
  const std::uint64_t bit = rng().below(op.bytes.size() * 8);
  const std::size_t offset = offset_before + static_cast<std::size_t>(bit / 8);
  Bytes& medium = durable_.find(op.file)->second;
  SIMRUN_ASSERT(offset < medium.size(), "bit flip outside the written range");
  medium[offset] = static_cast<std::uint8_t>(medium[offset] ^ (1u << (bit % 8)));
  ++stats_.bit_flips;
  // The page cache still holds the good bytes; a reader sees the flip only
  // after the cache is lost (a crash), like a real latent sector error.
  world_.trace_fault("bit_flip", {{"process", owner_},
                                  {"file", op.file},
                                  {"offset", as_number(offset)},
                                  {"bit", as_number(bit % 8)}});
}

void Disk::make_durable(std::uint64_t before_sequence) {
  while (!buffered_.empty() && buffered_.front().sequence < before_sequence) {
    apply_durable(buffered_.front());
    buffered_.pop_front();
  }
}

void Disk::fsync() {
  Scheduler& scheduler = world_.scheduler();
  const std::uint64_t target = next_op_sequence_;  // everything issued before this call
  ++stats_.fsyncs;
  const time_ns started = world_.now();
  if (!scheduler.in_fiber()) {
    make_durable(target);
    world_.trace().record(trace_kinds::kDiskFsync,
                          {{"process", owner_}, {"wait_ns", std::int64_t{0}}});
    return;
  }
  SIMRUN_ASSERT(scheduler.current_process() == owner_,
                "fsync must be called from a fiber of the disk's process");
  // Before the wait: a fault triggered by this record (simrun's
  // disk.fsync_started) lands while the writes are in the page cache only.
  world_.trace().record(trace_kinds::kDiskFsyncStarted, {{"process", owner_}});
  const std::uint64_t ticket = next_fsync_ticket_++;
  enqueue_fsync(ticket, started);
  // Sleep until the device says this fsync is done; a stall that begins
  // meanwhile moves `done` later, so look again after each wake-up.
  time_ns service_started = started;
  for (int round = 0;; ++round) {
    SIMRUN_ASSERT(round < 1'000'000, "disk stall extended forever");
    const auto found = in_flight_.find(ticket);
    SIMRUN_ASSERT(found != in_flight_.end(), "an fsync left the device queue while awaited");
    if (world_.now() >= found->second.done) {
      service_started = found->second.start;
      in_flight_.erase(found);
      break;
    }
    scheduler.sleep_until(found->second.done);
  }
  make_durable(target);
  const duration_ns waited = world_.now() - started;
  const duration_ns queued = service_started - started;
  SIMRUN_ASSERT(queued >= 0 && queued <= waited, "fsync queued longer than it waited");
  stats_.fsync_wait_ns_total += waited;
  stats_.fsync_wait_ns_max = std::max(stats_.fsync_wait_ns_max, waited);
  stats_.fsync_queue_ns_total += queued;
  stats_.fsync_queue_ns_max = std::max(stats_.fsync_queue_ns_max, queued);
  world_.trace().record(trace_kinds::kDiskFsync,
                        {{"process", owner_}, {"wait_ns", waited}, {"queue_ns", queued}});
}

// FIFO by issue: the channel that frees first (lowest index on a tie) takes
// the fsync; its service time is drawn now, so the "disk" stream is drawn
// once per fsync in issue order whatever the depth.
void Disk::enqueue_fsync(std::uint64_t ticket, time_ns now) {
  SIMRUN_ASSERT(in_flight_.size() < kMaxFsyncsInFlight, "too many fsyncs in flight");
  SIMRUN_ASSERT(!channel_free_at_.empty(), "a disk without a channel");
  std::uint32_t channel = 0;
  for (std::uint32_t c = 1; c < channel_free_at_.size(); ++c) {
    if (channel_free_at_[c] < channel_free_at_[channel]) channel = c;
  }
  InFlightFsync fsync;
  fsync.channel = channel;
  fsync.start = std::max(now, channel_free_at_[channel]);
  fsync.service_ns = config_.fsync_latency.sample(rng());
  SIMRUN_ASSERT(fsync.service_ns >= 0, "negative fsync latency");
  fsync.done = std::max(fsync.start + fsync.service_ns, stall_until_);
  channel_free_at_[channel] = fsync.done;
  const bool fresh = in_flight_.emplace(ticket, fsync).second;
  SIMRUN_ASSERT(fresh, "fsync ticket reused");
}

void Disk::on_crash() {
  std::uint64_t lost_bytes = 0;
  for (const Op& op : buffered_) lost_bytes += op.bytes.size();
  const std::uint64_t lost_ops = buffered_.size();
  if (!buffered_.empty() && buffered_.back().kind == Op::Kind::append &&
      buffered_.back().bytes.size() > 1 && config_.torn_write_probability > 0.0 &&
      rng().bernoulli(config_.torn_write_probability)) {
    // The last append was partly on the medium when power went: a random
    // proper prefix (at least one byte, not all) survives.
    const Op& last = buffered_.back();
    const std::size_t kept = 1 + static_cast<std::size_t>(rng().below(last.bytes.size() - 1));
    Bytes& content = durable_[last.file];
    content.insert(content.end(), last.bytes.begin(),
                   last.bytes.begin() + static_cast<std::ptrdiff_t>(kept));
    lost_bytes -= kept;
    ++stats_.torn_writes;
    world_.trace_fault("torn_write", {{"process", owner_},
                                      {"file", last.file},
                                      {"kept", as_number(kept)},
                                      {"of", as_number(last.bytes.size())}});
  }
  stats_.bytes_lost_at_crash += lost_bytes;
  world_.trace().record(
      trace_kinds::kDiskCrashLoss,
      {{"process", owner_}, {"ops", as_number(lost_ops)}, {"bytes", as_number(lost_bytes)}});
  buffered_.clear();
  cached_ = durable_;
  // The crash unwinds every fiber waiting for an fsync; the restarted
  // process finds an idle device.
  in_flight_.clear();
  std::fill(channel_free_at_.begin(), channel_free_at_.end(), time_ns{0});
}

}  // namespace simrun::sim
