#include "sim/committed_table.h"

#include "sim/assert.h"

namespace simrun::sim {

namespace {
// Empty slots are only the indexes between two reported ones, so a gap this
// wide means the reports are not of one Raft log.
constexpr std::uint64_t kMaxGapSlots = std::uint64_t{1} << 26;
}  // namespace

CommittedEntry* CommittedTable::find(std::uint64_t index) {
  if (index < first_index_ || index >= end_index()) return nullptr;
  Slot& slot = slots_[static_cast<std::size_t>(index - first_index_)];
  return slot.present ? &slot.value : nullptr;
}

const CommittedEntry* CommittedTable::find(std::uint64_t index) const {
  if (index < first_index_ || index >= end_index()) return nullptr;
  const Slot& slot = slots_[static_cast<std::size_t>(index - first_index_)];
  return slot.present ? &slot.value : nullptr;
}

std::pair<CommittedEntry*, bool> CommittedTable::emplace(std::uint64_t index,
                                                         const CommittedEntry& entry) {
  if (slots_.empty()) {
    first_index_ = index;
    slots_.emplace_back();
  } else if (index < first_index_) {
    SIMRUN_ASSERT(first_index_ - index <= kMaxGapSlots, "committed indexes too far apart");
    slots_.insert(slots_.begin(), static_cast<std::size_t>(first_index_ - index), Slot{});
    first_index_ = index;
  } else if (index >= end_index()) {
    SIMRUN_ASSERT(index - end_index() <= kMaxGapSlots, "committed indexes too far apart");
    slots_.resize(static_cast<std::size_t>(index - first_index_ + 1));
  }
  Slot& slot = slots_[static_cast<std::size_t>(index - first_index_)];
  if (slot.present) return {&slot.value, false};
  slot.value = entry;
  slot.present = true;
  ++size_;
  return {&slot.value, true};
}

void CommittedTable::erase_below(std::uint64_t index) {
  while (!slots_.empty() && first_index_ < index) {
    if (slots_.front().present) --size_;
    slots_.pop_front();
    ++first_index_;
  }
  drop_leading_empty();
}

void CommittedTable::drop_leading_empty() {
  while (!slots_.empty() && !slots_.front().present) {
    slots_.pop_front();
    ++first_index_;
  }
  if (slots_.empty()) first_index_ = 0;
  SIMRUN_ASSERT(slots_.empty() == (size_ == 0), "an empty table holds no entries");
}

}  // namespace simrun::sim
