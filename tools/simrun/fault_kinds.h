#pragma once
// The fault kinds a scenario can name (`faults[].action`, `nemesis.kinds[].action`):
// one enum and one table. The loader checks a fault's shape against the
// table (targets, duration, which params it needs and which it accepts),
// FaultInjector::apply switches over the enum, and fault_kinds_test.cpp
// checks the schema's `action` enum, its `params` keys and scenarios/README.md
// against the table.
//
// Adding a kind: one enumerator in FaultKind, one row in kFaultKinds (same
// order), the name in the schema's definitions/action (and any new param in
// definitions/params), a case in FaultInjector::apply (the compiler names the
// missing case) and a line in scenarios/README.md ("Fault actions").

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace simrun::cli {

enum class FaultKind {
  crash,
  restart,
  pause,
  resume,
  clock_offset,
  clock_drift,
  clock_jump,
  partition,
  cut_one_way,
  isolate,
  bridge,
  clog,
  heal,
  disk_stall,
  latency_spike,
  // Issue 11: one disk or link setting changed for a window (window_faults.h).
  disk_corrupt,
  disk_torn_writes,
  disk_slow,
  net_loss,
  net_duplicate,
  net_reorder,
  // A graceful stop of broker nodes (broker/node.h, Kafka's controlled
  // shutdown): leadership handed over first, then a clean stop.
  controlled_shutdown,
};

// At most this many params per kind (unused slots are empty).
inline constexpr std::size_t kMaxFaultParams = 3;

struct FaultKindInfo {
  FaultKind kind;
  std::string_view name;
  bool needs_targets;   // `targets` required (else not accepted, except nemesis's default)
  bool needs_duration;  // `duration` required (else optional: the fault undoes itself after it)
  bool takes_duration;  // `duration` accepted at all
  // Keys of `params` this kind requires; every other key is rejected.
  std::array<std::string_view, kMaxFaultParams> params;
  std::string_view summary;  // one line, for messages and docs
};

inline constexpr std::array kFaultKinds = {
    FaultKindInfo{FaultKind::crash,
                  "crash",
                  true,
                  false,
                  true,
                  {},
                  "kill the targets' processes; with a duration, restart them after it"},
    FaultKindInfo{FaultKind::restart,
                  "restart",
                  true,
                  false,
                  false,
                  {},
                  "restart crashed targets (a running target is left alone)"},
    FaultKindInfo{FaultKind::pause,
                  "pause",
                  true,
                  false,
                  true,
                  {},
                  "freeze the targets' fibers and timers; with a duration, resume after it"},
    FaultKindInfo{FaultKind::resume, "resume", true, false, false, {}, "resume paused targets"},
    FaultKindInfo{FaultKind::clock_offset,
                  "clock_offset",
                  true,
                  false,
                  true,
                  {"offset_ms"},
                  "shift the targets' local clocks by offset_ms"},
    FaultKindInfo{FaultKind::clock_drift,
                  "clock_drift",
                  true,
                  false,
                  true,
                  {"drift_ppm"},
                  "make the targets' local clocks run drift_ppm fast (negative: slow)"},
    FaultKindInfo{FaultKind::clock_jump,
                  "clock_jump",
                  true,
                  false,
                  false,
                  {"delta_ms"},
                  "jump the targets' local clocks by delta_ms once"},
    FaultKindInfo{FaultKind::partition,
                  "partition",
                  false,
                  false,
                  true,
                  {"groups"},
                  "split the network into groups; with a duration, heal after it"},
    FaultKindInfo{FaultKind::cut_one_way,
                  "cut_one_way",
                  true,
                  false,
                  true,
                  {"to"},
                  "drop messages from the targets to params.to (not back)"},
    FaultKindInfo{
        FaultKind::isolate, "isolate", true, false, true, {}, "cut the targets off from everyone"},
    FaultKindInfo{FaultKind::bridge,
                  "bridge",
                  false,
                  false,
                  true,
                  {"left", "right", "bridge"},
                  "two sides that only the bridge node reaches both of"},
    FaultKindInfo{FaultKind::clog,
                  "clog",
                  true,
                  true,
                  true,
                  {"to"},
                  "hold messages from the targets to params.to for the duration"},
    FaultKindInfo{FaultKind::heal,
                  "heal",
                  false,
                  false,
                  false,
                  {},
                  "undo every partition, cut, isolation, bridge and clog"},
    FaultKindInfo{FaultKind::disk_stall,
                  "disk_stall",
                  true,
                  true,
                  true,
                  {},
                  "the targets' fsyncs wait until the duration is over"},
    FaultKindInfo{FaultKind::latency_spike,
                  "latency_spike",
                  true,
                  true,
                  true,
                  {"latency"},
                  "links to and from the targets use params.latency for the duration"},
    FaultKindInfo{FaultKind::disk_corrupt,
                  "disk_corrupt",
                  true,
                  true,
                  true,
                  {"bit_flip_probability"},
                  "each write fsynced on the targets' disks in the window flips a bit with "
                  "params.bit_flip_probability"},
    FaultKindInfo{FaultKind::disk_torn_writes,
                  "disk_torn_writes",
                  true,
                  true,
                  true,
                  {"torn_write_probability"},
                  "a crash of a target in the window tears its last unsynced append with "
                  "params.torn_write_probability"},
    FaultKindInfo{FaultKind::disk_slow,
                  "disk_slow",
                  true,
                  true,
                  true,
                  {"fsync_latency"},
                  "the targets' fsyncs take params.fsync_latency (service time, queued) in the "
                  "window"},
    FaultKindInfo{FaultKind::net_loss,
                  "net_loss",
                  true,
                  true,
                  true,
                  {"to", "drop_probability"},
                  "links targets -> params.to drop with params.drop_probability in the window"},
    FaultKindInfo{FaultKind::net_duplicate,
                  "net_duplicate",
                  true,
                  true,
                  true,
                  {"to", "duplicate_probability"},
                  "links targets -> params.to duplicate with params.duplicate_probability"},
    FaultKindInfo{FaultKind::net_reorder,
                  "net_reorder",
                  true,
                  true,
                  true,
                  {"to", "reorder_probability", "reorder_delay_max_ms"},
                  "links targets -> params.to delay a message by up to params.reorder_delay_max_ms "
                  "with params.reorder_probability"},
    FaultKindInfo{FaultKind::controlled_shutdown,
                  "controlled_shutdown",
                  true,
                  false,
                  true,
                  {},
                  "stop the target brokers gracefully: each hands the Raft groups it leads to its "
                  "most caught-up follower (at most broker.controlled_shutdown_timeout_ms), syncs "
                  "and stops; with a duration, restart them that long after they stopped"},
};

// The row of `kind` (the table is in enum order; fault_kinds_test checks it).
const FaultKindInfo& fault_kind_info(FaultKind kind);
std::string_view fault_kind_name(FaultKind kind);
std::optional<FaultKind> fault_kind_from_name(std::string_view name);
// "crash, restart, ..." for messages.
std::string fault_kind_names();

}  // namespace simrun::cli
