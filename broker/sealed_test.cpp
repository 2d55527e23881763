#include "broker/sealed.h"

#include <doctest/doctest.h>

namespace simrun::broker {

TEST_CASE("a sealed body comes back; every single flipped bit is detected") {
  const sim::Bytes body = {1, 2, 3, 250, 0, 7};
  const sim::Bytes sealed = seal(body);
  const auto opened = unseal(sealed);
  REQUIRE(opened.has_value());
  CHECK(sim::Bytes(opened->begin(), opened->end()) == body);
  for (std::size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    sim::Bytes damaged = sealed;
    damaged[bit / 8] = static_cast<std::uint8_t>(damaged[bit / 8] ^ (1u << (bit % 8)));
    CHECK_FALSE(unseal(damaged).has_value());
  }
}

TEST_CASE("sealing in place (seal_begin, body appended, seal_finish) gives seal's bytes") {
  const sim::Bytes body = {5, 4, 3, 2, 1, 0, 200};
  sim::Bytes in_place = seal_begin(body.size());
  CHECK(in_place.size() == kSealHeaderBytes);
  in_place.insert(in_place.end(), body.begin(), body.end());
  seal_finish(in_place);
  CHECK(in_place == seal(body));
}

TEST_CASE("a short, long or empty file does not unseal") {
  const sim::Bytes sealed = seal(sim::Bytes{9, 9, 9});
  CHECK_FALSE(unseal(sim::Bytes(sealed.begin(), sealed.end() - 1)).has_value());
  sim::Bytes longer = sealed;
  longer.push_back(0);
  CHECK_FALSE(unseal(longer).has_value());
  CHECK_FALSE(unseal(sim::Bytes{}).has_value());
  const auto empty = unseal(seal(sim::Bytes{}));
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

}  // namespace simrun::broker
