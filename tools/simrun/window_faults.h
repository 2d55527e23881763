#pragma once
// Issue 11: faults that change one setting of chosen disks or links for a
// window (from `at` for `duration`) and heal at its end, acting through the
// disk's and the network's own mechanisms:
//
//  - disk_corrupt    bit_flip_probability of the targets' disks;
//  - disk_torn_writes torn_write_probability of the targets' disks;
//  - disk_slow       fsync_latency (the device's service time) of the
//                    targets' disks: every fsync issued in the window, and
//                    those queued behind it, really take that long, so the
//                    fiber waiting for it (a driver loop) is delayed;
//  - net_loss, net_duplicate, net_reorder: drop, duplicate, reorder on the
//    chosen links. On a connection (all broker traffic) loss, duplication
//    and reordering become retransmission delay (sim/connection.h), never
//    loss or duplicates seen by the application; only datagrams are lost.
//  - link_latency    (latency_spike) the latency of the chosen links.
//
// Windows may overlap. Each (disk or link, setting) remembers the value it
// had before its first active window; while windows are active the value of
// the latest begun holds; when the last ends the value from before comes
// back. A window on one setting never undoes another setting (a net_loss
// ending inside a latency_spike keeps the spike).

#include <compare>
#include <cstdint>
#include <map>
#include <vector>

#include "sim/network.h"
#include "sim/random.h"
#include "sim/time.h"
#include "sim/world.h"

namespace simrun::cli {

enum class WindowedSetting : std::uint8_t {
  disk_bit_flip,
  disk_torn_write,
  disk_fsync_latency,
  link_drop,
  link_duplicate,
  link_reorder,
  link_latency,
};

// The value a window imposes; only the fields of its setting are used.
struct SettingValue {
  double probability = 0.0;  // bit flip, torn write, drop, duplicate, reorder
  sim::DurationDistribution latency = sim::DurationDistribution::fixed(0);  // fsync, link
  sim::duration_ns reorder_delay_max_ns = 0;                                // reorder
};

bool is_disk_setting(WindowedSetting setting);

class WindowedSettings {
 public:
  explicit WindowedSettings(sim::World& world) : world_(world) {}

  // One window on one disk (to == from is unused for disks) or one link
  // from -> to. Returns its id for end().
  std::uint64_t begin(WindowedSetting setting, sim::ProcessId from, sim::ProcessId to,
                      const SettingValue& value);
  void end(std::uint64_t window);
  std::size_t active_windows() const { return window_slot_.size(); }

  // The links a link window covers: targets -> peers one way when `one_way`,
  // otherwise every link to and from each target. Sorted, no self-links.
  static std::vector<std::pair<sim::ProcessId, sim::ProcessId>> links(
      const std::vector<sim::ProcessId>& targets, const std::vector<sim::ProcessId>& peers,
      bool one_way, sim::ProcessId process_count);

 private:
  struct Key {
    WindowedSetting setting = WindowedSetting::disk_bit_flip;
    sim::ProcessId from = 0;
    sim::ProcessId to = 0;
    auto operator<=>(const Key&) const = default;
  };
  struct Slot {
    SettingValue before;  // the value before its first active window
    std::vector<std::pair<std::uint64_t, SettingValue>> windows;  // in begin order
  };
  SettingValue read(const Key& key) const;
  void write(const Key& key, const SettingValue& value);

  sim::World& world_;
  std::map<Key, Slot> slots_;
  std::map<std::uint64_t, Key> window_slot_;
  std::uint64_t next_window_ = 1;
};

}  // namespace simrun::cli
