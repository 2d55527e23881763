#include "tools/simrun/record_kind.h"

#include <array>
#include <bit>
#include <cstring>
#include <type_traits>

namespace simrun::cli {

namespace {

using record_kind_detail::kCount;
using record_kind_detail::name_at;

// Bytes [offset, offset + count) of `name` (count <= 8) as a little-endian
// word, the same at compile time (the table) and at run time.
constexpr std::uint64_t word_at(std::string_view name, std::size_t offset, std::size_t count) {
  if (!std::is_constant_evaluated() && count == 8 && std::endian::native == std::endian::little) {
    std::uint64_t word;
    std::memcpy(&word, name.data() + offset, 8);
    return word;
  }
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < count; ++i) {
    word |= std::uint64_t{static_cast<unsigned char>(name[offset + i])} << (8 * i);
  }
  return word;
}

// The first and the last eight bytes (or all of a shorter name).
constexpr std::uint64_t first_word(std::string_view name) {
  return word_at(name, 0, name.size() < 8 ? name.size() : 8);
}
constexpr std::uint64_t last_word(std::string_view name) {
  return name.size() < 8 ? 0 : word_at(name, name.size() - 8, 8);
}

// An open-addressed table from a cheap key of the name (its length, its
// first and its last eight bytes) to the id; the name itself is compared on
// a hit, so a collision costs a probe, never a wrong id. Four times as many
// slots as kinds keeps probes short.
constexpr std::size_t kSlotBits = 8;
constexpr std::size_t kSlots = std::size_t{1} << kSlotBits;
static_assert(kSlots >= 2 * kCount, "the kind table stays at most half full");
constexpr std::uint8_t kEmptySlot = 0xff;

constexpr std::size_t slot_of(std::string_view name) {
  const std::uint64_t key =
      (first_word(name) ^ (last_word(name) * 0x9e3779b97f4a7c15ULL) ^ name.size()) *
      0xbf58476d1ce4e5b9ULL;
  return static_cast<std::size_t>(key >> (64 - kSlotBits));
}

// Word by word: kind names are a few dozen bytes, and a memcmp call (or a
// byte loop) cost more than the rest of the lookup. The same storage (an
// emitter passing the constant itself) needs no comparison at all.
bool same_name(std::string_view known, std::string_view name) {
  const std::size_t size = name.size();
  if (known.size() != size) return false;
  if (known.data() == name.data()) return true;
  if (size < 8) return first_word(known) == first_word(name);
  for (std::size_t offset = 0; offset + 8 < size; offset += 8) {
    if (word_at(known, offset, 8) != word_at(name, offset, 8)) return false;
  }
  return last_word(known) == last_word(name);
}

struct KindTable {
  std::array<std::uint8_t, kSlots> ids{};
  std::array<bool, kCount> kernel_io{};
};

constexpr KindTable kTable = [] {
  KindTable table;
  table.ids.fill(kEmptySlot);
  for (std::size_t id = 0; id < kCount; ++id) {
    const std::string_view name = name_at(id);
    std::size_t slot = slot_of(name);
    while (table.ids[slot] != kEmptySlot) {
      // A kind listed twice would leave the second unreachable.
      if (name_at(table.ids[slot]) == name) throw "a record kind is listed twice";
      slot = (slot + 1) % kSlots;
    }
    table.ids[slot] = static_cast<std::uint8_t>(id);
    table.kernel_io[id] = name.starts_with("net.") || name.starts_with("disk.");
  }
  return table;
}();

}  // namespace

RecordKind record_kind(std::string_view kind) {
  // Ends: the table is at most half full, so an empty slot follows.
  for (std::size_t slot = slot_of(kind);; slot = (slot + 1) % kSlots) {
    const std::uint8_t id = kTable.ids[slot];
    if (id == kEmptySlot) return kUnknownRecordKind;
    if (same_name(name_at(id), kind)) return static_cast<RecordKind>(id);
  }
}

std::string_view record_kind_name(RecordKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kCount ? name_at(index) : std::string_view{};
}

bool is_kernel_io(RecordKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kCount && kTable.kernel_io[index];
}

}  // namespace simrun::cli
