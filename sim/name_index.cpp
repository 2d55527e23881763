#include "sim/name_index.h"

#include <algorithm>
#include <bit>

#include "sim/assert.h"
#include "sim/hash.h"

namespace simrun::sim {

namespace {

constexpr std::size_t kInitialSlots = 16;

// The first and the last eight bytes (or all of a shorter name), length
// folded in; the name itself is compared on a hit, so a collision costs a
// probe, never a wrong id.
std::uint64_t key_of(std::string_view name) {
  const auto* const bytes = reinterpret_cast<const std::uint8_t*>(name.data());
  const std::size_t size = name.size();
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (size >= 8) {
    first = hash_detail::load_full_word(bytes);
    last = hash_detail::load_full_word(bytes + size - 8);
  } else if (size > 0) {
    first = hash_detail::load_tail(bytes, size);
  }
  return (first ^ (last * 0x9e3779b97f4a7c15ULL) ^ size) * 0xbf58476d1ce4e5b9ULL;
}

// Names are a few dozen bytes: inline, without a memcmp call.
bool same_bytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.data() == b.data()) return true;
  const auto* const x = reinterpret_cast<const std::uint8_t*>(a.data());
  const auto* const y = reinterpret_cast<const std::uint8_t*>(b.data());
  const std::size_t size = a.size();
  if (size < 8)
    return size == 0 || hash_detail::load_tail(x, size) == hash_detail::load_tail(y, size);
  for (std::size_t offset = 0; offset + 8 < size; offset += 8) {
    if (hash_detail::load_full_word(x + offset) != hash_detail::load_full_word(y + offset)) {
      return false;
    }
  }
  return hash_detail::load_full_word(x + size - 8) == hash_detail::load_full_word(y + size - 8);
}

}  // namespace

NameIndex::NameIndex() : slots_(kInitialSlots, 0) {}

std::size_t NameIndex::slot_of(std::string_view name) const {
  // The top bits of the product are the best mixed.
  const unsigned bits = static_cast<unsigned>(std::countr_zero(slots_.size()));
  return static_cast<std::size_t>(key_of(name) >> (64 - bits));
}

NameIndex::Id NameIndex::find(std::string_view name) const {
  const std::size_t mask = slots_.size() - 1;
  // Ends: the table is at most half full, so an empty slot follows.
  for (std::size_t slot = slot_of(name);; slot = (slot + 1) & mask) {
    const Id entry = slots_[slot];
    if (entry == 0) return kAbsent;
    if (same_bytes(names_[entry - 1], name)) return entry - 1;
  }
}

NameIndex::Id NameIndex::intern(std::string_view name) {
  const Id found = find(name);
  if (found != kAbsent) return found;
  SIMRUN_ASSERT(names_.size() < kMaxNames, "too many distinct names");
  if (2 * (names_.size() + 1) > slots_.size()) grow();
  const auto id = static_cast<Id>(names_.size());
  names_.emplace_back(name);
  const std::size_t mask = slots_.size() - 1;
  std::size_t slot = slot_of(name);
  while (slots_[slot] != 0) slot = (slot + 1) & mask;
  slots_[slot] = id + 1;
  return id;
}

void NameIndex::grow() {
  slots_.assign(slots_.size() * 2, 0);
  const std::size_t mask = slots_.size() - 1;
  for (Id id = 0; id < names_.size(); ++id) {
    std::size_t slot = slot_of(names_[id]);
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = id + 1;
  }
}

const std::string& NameIndex::name(Id id) const {
  SIMRUN_ASSERT(id < names_.size(), "an id this index gave out");
  return names_[id];
}

std::vector<NameIndex::Id> NameIndex::sorted_ids() const {
  std::vector<Id> ids(names_.size());
  for (Id id = 0; id < ids.size(); ++id) ids[id] = id;
  std::sort(ids.begin(), ids.end(), [this](Id a, Id b) { return names_[a] < names_[b]; });
  return ids;
}

}  // namespace simrun::sim
