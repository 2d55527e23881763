#include "sim/trace.h"

#include <cstdio>
#include <ostream>

#include "sim/assert.h"
#include "sim/hash.h"

namespace simrun::sim {

namespace {
void write_json_string(std::ostream& out, std::string_view text) {
  out.put('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out << "\\\"";
        break;
      case '\\':
        out << "\\\\";
        break;
      case '\n':
        out << "\\n";
        break;
      case '\r':
        out << "\\r";
        break;
      case '\t':
        out << "\\t";
        break;
      case '\b':
        out << "\\b";
        break;
      case '\f':
        out << "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
          out << buffer;
        } else {
          out.put(c);
        }
    }
  }
  out.put('"');
}

// Domain tags keep a string field and a number field with equal bits apart,
// and a field's name apart from a string value.
constexpr std::uint64_t kTagRecord = 0x7265636f7264ULL;
constexpr std::uint64_t kTagNumber = 1;
constexpr std::uint64_t kTagString = 2;
constexpr std::uint64_t kTagText = 3;  // a string field's value

// The trace hash's absorber. A network message costs two records of half a
// dozen fields each, so a full mix64 per word (Hasher::add) dominated the
// delivery path. Here each word costs one multiply and one xor-shift: for a
// fixed state that is injective in the word, and for a fixed word a
// bijection of the state, so two records differing in one word never
// collide. A full mix64 closes every record. Every part of a record still
// feeds it: kind, time, field count, and each field's name, type and value.
//
// The words of a name or string value (issue 12; before, every name and
// value took a length word and then its bytes):
//  - up to 7 bytes: ONE word, the bytes little-endian in bits 0..55 and
//    0x80 | tag << 3 | length in the top byte (names are 4.4 bytes on
//    average, so most fields cost two words, name and value, not three);
//  - 8 bytes or more: (length << 2) | tag, then the bytes as little-endian
//    words (hash.h loaders), the last one zero-padded.
// A header word of the long form has a zero top byte (no string is 2^54
// bytes long) and a short word has its top bit set, so the two never meet.
class RecordHasher {
 public:
  explicit RecordHasher(std::uint64_t state) : state_(state) {}
  void add(std::uint64_t word) {
    state_ = (state_ ^ word) * 0x9fb21c651e98df25ULL;
    state_ ^= state_ >> 32;
  }
  // Length first, then the bytes as little-endian words (hash.h loaders).
  void add_string(std::string_view text) {
    add(text.size());
    add_words(text);
  }
  void add_tagged_string(std::string_view text, std::uint64_t tag) {
    const std::size_t size = text.size();
    if (size < 8) {
      const std::uint64_t top = (0x80 | (tag << 3) | size) << 56;
      const auto* const data = reinterpret_cast<const std::uint8_t*>(text.data());
      add(top | (size == 0 ? 0 : hash_detail::load_tail(data, size)));
      return;
    }
    add((std::uint64_t{size} << 2) | tag);
    add_words(text);
  }
  std::uint64_t finish() const { return mix64(state_); }

 private:
  void add_words(std::string_view text) {
    const auto* const data = reinterpret_cast<const std::uint8_t*>(text.data());
    const std::size_t size = text.size();
    std::size_t offset = 0;
    for (; offset + 8 <= size; offset += 8) add(hash_detail::load_full_word(data + offset));
    if (offset < size) add(hash_detail::load_tail(data + offset, size - offset));
  }
  std::uint64_t state_;
};

// Where add_tagged_string's short form puts the tag: bits 3..4 of the top
// byte. TraceField::pack_short_name builds the rest of that word.
constexpr unsigned kShortTagShift = 56 + 3;
static_assert((TraceField::pack_short_name("node") | (kTagNumber << kShortTagShift)) ==
                  ((std::uint64_t{0x80 | (kTagNumber << 3) | 4} << 56) | 0x65646f6eULL),
              "a packed name is add_tagged_string's short word");
static_assert(TraceField::pack_short_name("") == std::uint64_t{0x80} << 56,
              "an empty name still has a word (never 0, the long-name mark)");
static_assert(TraceField::pack_short_name("eightchr") == 0, "8 bytes take the long form");
}  // namespace

namespace {
// Field names are a few bytes: comparing them inline is cheaper than a
// memcmp call per field (the observers look up half a million fields in a
// one-minute run).
// An emitter and a reader spelling a field name with the same literal
// usually share its storage (the linker merges equal string literals), and
// then the bytes need no comparison; any other pair is compared byte by byte.
bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.data() == b.data()) return true;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}
}  // namespace

std::int64_t TraceRecord::number(std::string_view name, std::int64_t fallback) const {
  for (const TraceField& field : fields) {
    if (!field.is_string && same_name(field.name, name)) return field.number;
  }
  return fallback;
}

std::string_view TraceRecord::text(std::string_view name, std::string_view fallback) const {
  for (const TraceField& field : fields) {
    if (field.is_string && same_name(field.name, name)) return field.text;
  }
  return fallback;
}

bool TraceRecord::has(std::string_view name) const {
  for (const TraceField& field : fields) {
    if (same_name(field.name, name)) return true;
  }
  return false;
}

Trace::Trace(const time_ns* clock) : clock_(clock), hash_state_(0x243f6a8885a308d3ULL) {
  SIMRUN_ASSERT(clock != nullptr, "a trace needs a clock");
}

void Trace::record(std::string_view kind, std::initializer_list<TraceField> fields) {
  record(kind, std::span<const TraceField>(fields.begin(), fields.size()));
}

void Trace::record(std::string_view kind, std::span<const TraceField> fields) {
  const time_ns time = *clock_;
  RecordHasher hasher(hash_state_ ^ kTagRecord);
  hasher.add_string(kind);
  hasher.add(static_cast<std::uint64_t>(time));
  hasher.add(fields.size());
  for (const TraceField& field : fields) {
    // A short name's word was packed by TraceField (add_tagged_string's
    // short form without the tag); a long one is packed here.
    const std::uint64_t tag = field.is_string ? kTagString : kTagNumber;
    if (field.short_name_word != 0) {
      hasher.add(field.short_name_word | (tag << kShortTagShift));
    } else {
      hasher.add_tagged_string(field.name, tag);
    }
    if (field.is_string) {
      hasher.add_tagged_string(field.text, kTagText);
    } else {
      hasher.add(static_cast<std::uint64_t>(field.number));
    }
  }
  hash_state_ = hasher.finish();
  ++records_;

  if (json_sink_ != nullptr) {
    std::ostream& out = *json_sink_;
    out << "{\"t\":" << time << ",\"kind\":";
    write_json_string(out, kind);
    for (const TraceField& field : fields) {
      out.put(',');
      write_json_string(out, field.name);
      out.put(':');
      if (field.is_string) {
        write_json_string(out, field.text);
      } else {
        out << field.number;
      }
    }
    out << "}\n";
  }
  if (!observers_.empty()) {
    const TraceRecord view{time, kind, fields};
    // Index loop: an observer may subscribe another observer.
    for (std::size_t i = 0; i < observers_.size(); ++i) observers_[i](view);
  }
}

std::uint64_t Trace::hash() const { return mix64(hash_state_ ^ records_); }

void Trace::set_json_sink(std::ostream* sink) { json_sink_ = sink; }

void Trace::add_observer(Observer observer) {
  SIMRUN_ASSERT(observer != nullptr, "null observer");
  observers_.push_back(std::move(observer));
}

}  // namespace simrun::sim
