#include "tools/simrun/window_faults.h"

#include <algorithm>
#include <set>

#include "sim/assert.h"

namespace simrun::cli {

namespace {
// Windows active at once on one setting of one disk or link: a scenario's
// faults and a nemesis schedule stay far below; more means windows that
// never end.
constexpr std::size_t kMaxWindowsPerSetting = 10'000;
}  // namespace

bool is_disk_setting(WindowedSetting setting) {
  switch (setting) {
    case WindowedSetting::disk_bit_flip:
    case WindowedSetting::disk_torn_write:
    case WindowedSetting::disk_fsync_latency:
      return true;
    case WindowedSetting::link_drop:
    case WindowedSetting::link_duplicate:
    case WindowedSetting::link_reorder:
    case WindowedSetting::link_latency:
      return false;
  }
  SIMRUN_ASSERT(false, "unknown windowed setting");
  return false;
}

SettingValue WindowedSettings::read(const Key& key) const {
  SettingValue value;
  switch (key.setting) {
    case WindowedSetting::disk_bit_flip:
      value.probability = world_.disk(key.from).config().bit_flip_probability;
      break;
    case WindowedSetting::disk_torn_write:
      value.probability = world_.disk(key.from).config().torn_write_probability;
      break;
    case WindowedSetting::disk_fsync_latency:
      value.latency = world_.disk(key.from).config().fsync_latency;
      break;
    case WindowedSetting::link_drop:
      value.probability = world_.network().link(key.from, key.to).drop_probability;
      break;
    case WindowedSetting::link_duplicate:
      value.probability = world_.network().link(key.from, key.to).duplicate_probability;
      break;
    case WindowedSetting::link_reorder: {
      const sim::LinkConfig& link = world_.network().link(key.from, key.to);
      value.probability = link.reorder_probability;
      value.reorder_delay_max_ns = link.reorder_delay_max_ns;
      break;
    }
    case WindowedSetting::link_latency:
      value.latency = world_.network().link(key.from, key.to).latency;
      break;
  }
  return value;
}

void WindowedSettings::write(const Key& key, const SettingValue& value) {
  if (is_disk_setting(key.setting)) {
    sim::DiskConfig disk = world_.disk(key.from).config();
    switch (key.setting) {
      case WindowedSetting::disk_bit_flip:
        disk.bit_flip_probability = value.probability;
        break;
      case WindowedSetting::disk_torn_write:
        disk.torn_write_probability = value.probability;
        break;
      case WindowedSetting::disk_fsync_latency:
        disk.fsync_latency = value.latency;
        break;
      case WindowedSetting::link_drop:
      case WindowedSetting::link_duplicate:
      case WindowedSetting::link_reorder:
      case WindowedSetting::link_latency:
        SIMRUN_ASSERT(false, "a link setting on a disk");
        break;
    }
    world_.disk(key.from).set_config(disk);
    return;
  }
  sim::LinkConfig link = world_.network().link(key.from, key.to);
  switch (key.setting) {
    case WindowedSetting::link_drop:
      link.drop_probability = value.probability;
      break;
    case WindowedSetting::link_duplicate:
      link.duplicate_probability = value.probability;
      break;
    case WindowedSetting::link_reorder:
      link.reorder_probability = value.probability;
      link.reorder_delay_max_ns = value.reorder_delay_max_ns;
      break;
    case WindowedSetting::link_latency:
      link.latency = value.latency;
      break;
    case WindowedSetting::disk_bit_flip:
    case WindowedSetting::disk_torn_write:
    case WindowedSetting::disk_fsync_latency:
      SIMRUN_ASSERT(false, "a disk setting on a link");
      break;
  }
  world_.network().set_link(key.from, key.to, link);
}

std::uint64_t WindowedSettings::begin(WindowedSetting setting, sim::ProcessId from,
                                      sim::ProcessId to, const SettingValue& value) {
  const Key key{setting, from, is_disk_setting(setting) ? from : to};
  SIMRUN_ASSERT(is_disk_setting(setting) || from != to, "a link window from a process to itself");
  auto [found, fresh] = slots_.try_emplace(key);
  Slot& slot = found->second;
  if (fresh) slot.before = read(key);
  SIMRUN_ASSERT(slot.windows.size() < kMaxWindowsPerSetting, "too many overlapping fault windows");
  const std::uint64_t window = next_window_++;
  slot.windows.emplace_back(window, value);
  window_slot_.emplace(window, key);
  write(key, value);
  return window;
}

void WindowedSettings::end(std::uint64_t window) {
  const auto owner = window_slot_.find(window);
  SIMRUN_ASSERT(owner != window_slot_.end(), "ending a fault window that is not active");
  const Key key = owner->second;
  window_slot_.erase(owner);
  const auto found = slots_.find(key);
  SIMRUN_ASSERT(found != slots_.end(), "a fault window without its setting");
  auto& windows = found->second.windows;
  const auto it = std::find_if(windows.begin(), windows.end(),
                               [window](const auto& entry) { return entry.first == window; });
  SIMRUN_ASSERT(it != windows.end(), "a fault window missing from its setting");
  windows.erase(it);
  if (windows.empty()) {
    write(key, found->second.before);  // healed: the value from before the first window
    slots_.erase(found);
    return;
  }
  write(key, windows.back().second);  // the latest window still active holds
}

std::vector<std::pair<sim::ProcessId, sim::ProcessId>> WindowedSettings::links(
    const std::vector<sim::ProcessId>& targets, const std::vector<sim::ProcessId>& peers,
    bool one_way, sim::ProcessId process_count) {
  std::set<std::pair<sim::ProcessId, sim::ProcessId>> links;
  for (sim::ProcessId target : targets) {
    if (one_way) {
      for (sim::ProcessId peer : peers) {
        if (peer != target) links.emplace(target, peer);
      }
      continue;
    }
    for (sim::ProcessId other = 0; other < process_count; ++other) {
      if (other == target) continue;
      links.emplace(target, other);
      links.emplace(other, target);
    }
  }
  return {links.begin(), links.end()};
}

}  // namespace simrun::cli
