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

// Counts the change and records in `op` what undoing it needs that does not
// depend on its kind; the caller then changes the page cache and buffers op.
std::map<std::string, Bytes, std::less<>>::iterator Disk::prepare(Op& op,
                                                                  std::size_t carried_bytes) {
  SIMRUN_ASSERT(buffered_.size() < kMaxBufferedOps, "too many unsynced disk operations");
  op.sequence = next_op_sequence_++;
  op.bytes = carried_bytes;
  ++stats_.writes;
  stats_.bytes_written += op.bytes;
  const auto found = files_.find(op.file);
  op.existed_before = found != files_.end();
  op.size_before = op.existed_before ? found->second.size() : 0;
  return found;
}

void Disk::buffer(Op op) { buffered_.push_back(std::move(op)); }

// Undoes the newest buffered change (the caller goes newest first, so the
// file is as `op` left it).
void Disk::undo(Op& op) {
  const auto found = files_.find(op.file);
  if (!op.existed_before) {
    if (found != files_.end()) files_.erase(found);
    return;
  }
  switch (op.kind) {
    case Op::Kind::write:
    case Op::Kind::remove:
      files_.insert_or_assign(op.file, std::move(op.replaced));
      break;
    case Op::Kind::append:
      SIMRUN_ASSERT(found != files_.end(), "an appended file vanished before its undo");
      found->second.resize(op.size_before);
      break;
    case Op::Kind::keep_from: {
      SIMRUN_ASSERT(found != files_.end(), "a rewritten file vanished before its undo");
      Bytes& file = found->second;
      file.insert(file.begin(), op.replaced.begin(), op.replaced.end());
      SIMRUN_ASSERT(file.size() == op.size_before, "a keep_from's undo restores the size");
      break;
    }
    case Op::Kind::truncate: {
      SIMRUN_ASSERT(found != files_.end(), "a truncated file vanished before its undo");
      Bytes& file = found->second;
      SIMRUN_ASSERT(file.size() == op.size, "undo of a truncate out of order");
      file.resize(std::min(op.size, op.size_before));
      file.insert(file.end(), op.replaced.begin(), op.replaced.end());
      SIMRUN_ASSERT(file.size() == op.size_before, "a truncate's undo restores the size");
      break;
    }
  }
}

void Disk::write(std::string_view file, Bytes content) {
  Op op;
  op.kind = Op::Kind::write;
  op.file = std::string(file);
  const auto found = prepare(op, content.size());
  if (found != files_.end()) {
    op.replaced = std::move(found->second);
    found->second = std::move(content);
  } else {
    files_.emplace(op.file, std::move(content));
  }
  buffer(std::move(op));
}

// Straight from the caller's bytes into the page cache: the only copy.
void Disk::append(std::string_view file, std::span<const std::uint8_t> bytes) {
  Op op;
  op.kind = Op::Kind::append;
  op.file = std::string(file);
  auto found = prepare(op, bytes.size());
  if (found == files_.end()) found = files_.emplace(op.file, Bytes{}).first;
  found->second.insert(found->second.end(), bytes.begin(), bytes.end());
  buffer(std::move(op));
}

void Disk::truncate(std::string_view file, std::size_t size) {
  Op op;
  op.kind = Op::Kind::truncate;
  op.file = std::string(file);
  op.size = size;
  auto found = prepare(op, 0);
  if (found == files_.end()) found = files_.emplace(op.file, Bytes{}).first;
  Bytes& content = found->second;
  if (size < content.size()) {
    op.replaced.assign(content.begin() + static_cast<std::ptrdiff_t>(size), content.end());
  }
  content.resize(size);
  buffer(std::move(op));
}

void Disk::keep_from(std::string_view file, std::size_t offset) {
  Op op;
  op.kind = Op::Kind::keep_from;
  op.file = std::string(file);
  op.size = offset;
  const auto existing = files_.find(file);
  const std::size_t kept = existing == files_.end() ? 0 : existing->second.size() - offset;
  SIMRUN_ASSERT(existing == files_.end() ? offset == 0 : offset <= existing->second.size(),
                "keep_from beyond the end of the file");
  // Carries what a write of the kept bytes would: that is what reaches the
  // medium (and what a bit flip can hit).
  auto found = prepare(op, kept);
  if (found == files_.end()) {
    files_.emplace(op.file, Bytes{});
  } else {
    Bytes& content = found->second;
    const auto cut = content.begin() + static_cast<std::ptrdiff_t>(offset);
    op.replaced.assign(content.begin(), cut);
    content.erase(content.begin(), cut);
  }
  buffer(std::move(op));
}

void Disk::remove(std::string_view file) {
  Op op;
  op.kind = Op::Kind::remove;
  op.file = std::string(file);
  const auto found = prepare(op, 0);
  if (found != files_.end()) {
    op.replaced = std::move(found->second);
    files_.erase(found);
  }
  buffer(std::move(op));
}

std::optional<Bytes> Disk::read(std::string_view file) const {
  const auto found = files_.find(file);
  if (found == files_.end()) return std::nullopt;
  return found->second;
}

std::optional<std::span<const std::uint8_t>> Disk::view(std::string_view file) const {
  const auto found = files_.find(file);
  if (found == files_.end()) return std::nullopt;
  return std::span<const std::uint8_t>(found->second);
}

std::vector<std::string> Disk::list() const {
  std::vector<std::string> names;
  names.reserve(files_.size());
  for (const auto& [name, content] : files_) names.push_back(name);
  return names;
}

std::size_t Disk::unsynced_bytes() const {
  std::size_t total = 0;
  for (const Op& op : buffered_) total += op.bytes;
  return total;
}

bool Disk::has_unsynced_change(std::string_view file) const {
  for (const Op& op : buffered_) {
    if (op.file == file) return true;
  }
  return false;
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

// `op` reaches the medium: the bits flipped earlier in what it replaces or
// cuts off are gone, and with bit_flip_probability one bit of what it
// writes flips (on the medium only: the page cache keeps the good bytes).
void Disk::on_durable(const Op& op) {
  const auto overwritten = [&](const LatentFlip& flip) {
    if (flip.file != op.file) return false;
    switch (op.kind) {
      case Op::Kind::write:
      case Op::Kind::keep_from:
      case Op::Kind::remove:
        return true;
      case Op::Kind::truncate:
        return flip.offset >= op.size;
      case Op::Kind::append:
        return false;
    }
    return false;
  };
  std::erase_if(latent_flips_, overwritten);
  const bool carries_data =
      op.kind == Op::Kind::write || op.kind == Op::Kind::keep_from || op.kind == Op::Kind::append;
  // Draws only when bit flips are configured, so enabling them on one disk
  // is the only thing that shifts the "disk" stream.
  if (!carries_data || op.bytes == 0 || config_.bit_flip_probability <= 0.0) return;
  if (!rng().bernoulli(config_.bit_flip_probability)) return;
  const std::uint64_t bit = rng().below(op.bytes * 8);
  // An append lands after what the file held when it was issued (every
  // older change is on the medium by now); a write starts the file.
  const std::size_t at = op.kind == Op::Kind::append ? op.size_before : 0;
  const std::size_t offset = at + static_cast<std::size_t>(bit / 8);
  latent_flips_.push_back(LatentFlip{op.file, offset, static_cast<std::uint8_t>(1u << (bit % 8))});
  ++stats_.bit_flips;
  // A reader sees the flip only after the cache is lost (a crash), like a
  // real latent sector error.
  world_.trace_fault("bit_flip", {{"process", owner_},
                                  {"file", op.file},
                                  {"offset", as_number(offset)},
                                  {"bit", as_number(bit % 8)}});
}

void Disk::make_durable(std::uint64_t before_sequence) {
  while (!buffered_.empty() && buffered_.front().sequence < before_sequence) {
    on_durable(buffered_.front());
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
  for (const Op& op : buffered_) lost_bytes += op.bytes;
  const std::uint64_t lost_ops = buffered_.size();
  // The last append was partly on the medium when power went: a random
  // proper prefix (at least one byte, not all) survives. It is the newest
  // change, so its bytes are the end of the cached file.
  Bytes torn_prefix;
  std::string torn_file;
  if (!buffered_.empty() && buffered_.back().kind == Op::Kind::append &&
      buffered_.back().bytes > 1 && config_.torn_write_probability > 0.0 &&
      rng().bernoulli(config_.torn_write_probability)) {
    const Op& last = buffered_.back();
    const std::size_t kept = 1 + static_cast<std::size_t>(rng().below(last.bytes - 1));
    const Bytes& cached = files_.at(last.file);
    SIMRUN_ASSERT(cached.size() == last.size_before + last.bytes, "the last append ends the file");
    const auto from = cached.begin() + static_cast<std::ptrdiff_t>(last.size_before);
    torn_prefix.assign(from, from + static_cast<std::ptrdiff_t>(kept));
    torn_file = last.file;
    lost_bytes -= kept;
    ++stats_.torn_writes;
    world_.trace_fault("torn_write", {{"process", owner_},
                                      {"file", last.file},
                                      {"kept", as_number(kept)},
                                      {"of", as_number(last.bytes)}});
  }
  stats_.bytes_lost_at_crash += lost_bytes;
  world_.trace().record(
      trace_kinds::kDiskCrashLoss,
      {{"process", owner_}, {"ops", as_number(lost_ops)}, {"bytes", as_number(lost_bytes)}});
  // The cache is lost: what remains is the medium, the buffered changes
  // undone newest first, with its flipped bits (now what readers see) and
  // the torn prefix.
  while (!buffered_.empty()) {
    undo(buffered_.back());
    buffered_.pop_back();
  }
  for (const LatentFlip& flip : latent_flips_) {
    Bytes& medium = files_.at(flip.file);
    SIMRUN_ASSERT(flip.offset < medium.size(), "bit flip outside the file");
    medium[flip.offset] = static_cast<std::uint8_t>(medium[flip.offset] ^ flip.mask);
  }
  latent_flips_.clear();
  if (!torn_file.empty()) {
    Bytes& content = files_[torn_file];
    content.insert(content.end(), torn_prefix.begin(), torn_prefix.end());
  }
  // The crash unwinds every fiber waiting for an fsync; the restarted
  // process finds an idle device.
  in_flight_.clear();
  std::fill(channel_free_at_.begin(), channel_free_at_.end(), time_ns{0});
}

}  // namespace simrun::sim
