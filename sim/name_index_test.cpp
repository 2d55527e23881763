#include "sim/name_index.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace simrun::sim {

TEST_CASE("NameIndex gives dense ids in order of first use and finds them again") {
  NameIndex index;
  CHECK(index.find("__meta") == NameIndex::kAbsent);
  CHECK(index.intern("__meta") == 0);
  CHECK(index.intern("events/0") == 1);
  CHECK(index.intern("__meta") == 0);
  // Another copy of the bytes (another address) is the same name.
  const std::string copy = "events/0";
  CHECK(index.find(copy) == 1);
  CHECK(index.intern("") == 2);
  CHECK(index.find("") == 2);
  CHECK(index.find("events/") == NameIndex::kAbsent);
  CHECK(index.find("events/00") == NameIndex::kAbsent);
  CHECK(index.find("Events/0") == NameIndex::kAbsent);
  CHECK(index.name(1) == "events/0");
  CHECK(index.size() == 3);
}

TEST_CASE("NameIndex keeps every id through growth, names differing in one middle byte apart") {
  NameIndex index;
  std::vector<std::string> names;
  // Same length, same first and last eight bytes: only the middle differs,
  // so they share a hash and every lookup must compare the bytes.
  for (int i = 0; i < 300; ++i) {
    names.push_back("topic-abc/" + std::to_string(1000 + i) + "/partition-xyz");
    names.push_back("t" + std::to_string(i));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(index.intern(names[i]) == static_cast<NameIndex::Id>(i));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(index.find(names[i]) == static_cast<NameIndex::Id>(i));
    CHECK(index.name(static_cast<NameIndex::Id>(i)) == names[i]);
  }
  CHECK(index.find("topic-abc/0999/partition-xyz") == NameIndex::kAbsent);
}

TEST_CASE("NameIndex::sorted_ids orders by name, as a map keyed by the name would") {
  NameIndex index;
  index.intern("events/1");
  index.intern("__meta");
  index.intern("events/0");
  index.intern("events/10");
  const std::vector<NameIndex::Id> sorted = index.sorted_ids();
  REQUIRE(sorted.size() == 4);
  CHECK(index.name(sorted[0]) == "__meta");
  CHECK(index.name(sorted[1]) == "events/0");
  CHECK(index.name(sorted[2]) == "events/1");
  CHECK(index.name(sorted[3]) == "events/10");
}

}  // namespace simrun::sim
