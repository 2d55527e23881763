#include "sim/trace.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace simrun::sim {

TEST_CASE("the hash depends on kind, time, field names and values, and order") {
  auto run = [](auto&& body) {
    time_ns now = 0;
    Trace trace(&now);
    body(trace, now);
    return trace.hash();
  };
  const auto base = run([](Trace& t, time_ns& now) {
    now = 5;
    t.record("send", {{"from", 1}, {"to", 2}});
  });
  CHECK(base == run([](Trace& t, time_ns& now) {
          now = 5;
          t.record("send", {{"from", 1}, {"to", 2}});
        }));
  CHECK(base != run([](Trace& t, time_ns& now) {
          now = 6;
          t.record("send", {{"from", 1}, {"to", 2}});
        }));
  CHECK(base != run([](Trace& t, time_ns& now) {
          now = 5;
          t.record("deliver", {{"from", 1}, {"to", 2}});
        }));
  CHECK(base != run([](Trace& t, time_ns& now) {
          now = 5;
          t.record("send", {{"from", 1}, {"to", 3}});
        }));
  CHECK(base != run([](Trace& t, time_ns& now) {
          now = 5;
          t.record("send", {{"to", 2}, {"from", 1}});
        }));
  CHECK(base != run([](Trace& t, time_ns& now) {
          now = 5;
          t.record("send", {{"from", "1"}, {"to", 2}});
        }));
}

TEST_CASE("every byte of kind, names and text values feeds the hash") {
  auto hash_of = [](std::string_view kind, std::string_view name, std::string_view text,
                    std::int64_t number) {
    time_ns now = 9;
    Trace trace(&now);
    trace.record(kind, {{name, text}, {"n", number}});
    return trace.hash();
  };
  const std::string kind = "net.something.long";
  const std::string name = "a_field_name_longer_than_a_word";
  const std::string text = "a text value of some 30 bytes.";
  const std::uint64_t base = hash_of(kind, name, text, 1);
  std::vector<std::uint64_t> seen{base};
  for (std::size_t i = 0; i < kind.size(); ++i) {
    std::string changed = kind;
    changed[i] = static_cast<char>(changed[i] ^ 1);
    seen.push_back(hash_of(changed, name, text, 1));
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    std::string changed = name;
    changed[i] = static_cast<char>(changed[i] ^ 0x20);
    seen.push_back(hash_of(kind, changed, text, 1));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string changed = text;
    changed[i] = static_cast<char>(changed[i] ^ 0x40);
    seen.push_back(hash_of(kind, name, changed, 1));
  }
  seen.push_back(hash_of(kind, name, text.substr(1), 1));            // shorter text
  seen.push_back(hash_of(kind, name, text, std::int64_t{1} << 40));  // high bits of a number
  seen.push_back(hash_of(kind, name, text, -1));
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // all distinct
}

TEST_CASE("a field name hashes the same whether literal, built at run time, short or long") {
  // TraceField packs a short name when it is constructed (folded for
  // literals); the hash must not depend on where the name came from.
  for (const std::string name : {"", "a", "seven_b", "eight_by", "a_longer_field_name"}) {
    const std::string value = "v";
    time_ns now = 5;
    Trace literal(&now);
    Trace built(&now);
    literal.record("k", {{std::string_view(name), 7}, {std::string_view(name), "v"}});
    const std::string copy = name;  // other storage, same bytes
    built.record("k", {{copy, std::int64_t{7}}, {copy, value}});
    CHECK(literal.hash() == built.hash());
  }
  time_ns now = 5;
  Trace a(&now);
  Trace b(&now);
  a.record("k", {{"seven_b", 1}});
  b.record("k", {{"seven_c", 1}});
  CHECK(a.hash() != b.hash());
}

TEST_CASE("record boundaries and field types matter") {
  auto hash_of = [](auto&& body) {
    time_ns now = 0;
    Trace trace(&now);
    body(trace);
    return trace.hash();
  };
  const auto one_record = hash_of([](Trace& t) { t.record("k", {{"a", 1}, {"b", 2}}); });
  const auto two_records = hash_of([](Trace& t) {
    t.record("k", {{"a", 1}});
    t.record("k", {{"b", 2}});
  });
  const auto empty_text = hash_of([](Trace& t) { t.record("k", {{"a", ""}, {"b", 2}}); });
  const auto zero_number = hash_of([](Trace& t) {
    t.record("k", {{"a", std::int64_t{0}}, {"b", 2}});
  });
  const auto no_fields = hash_of([](Trace& t) { t.record("k", {}); });
  const auto nothing = hash_of([](Trace&) {});
  std::vector<std::uint64_t> all{one_record,  two_records, empty_text,
                                 zero_number, no_fields,   nothing};
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
}

TEST_CASE("JSON lines are escaped and carry time, kind and fields") {
  time_ns now = 42;
  Trace trace(&now);
  std::ostringstream out;
  trace.set_json_sink(&out);
  trace.record("note", {{"text", "a \"quoted\"\\ line\nwith\ttab\x01"}, {"n", -3}});
  trace.set_json_sink(nullptr);
  trace.record("ignored", {});
  CHECK(out.str() ==
        "{\"t\":42,\"kind\":\"note\",\"text\":\"a \\\"quoted\\\"\\\\ line\\nwith\\ttab\\u0001\","
        "\"n\":-3}\n");
  CHECK(trace.records() == 2);
}

TEST_CASE("observers see every record with lookup helpers") {
  time_ns now = 7;
  Trace trace(&now);
  std::vector<std::string> seen;
  trace.add_observer([&](const TraceRecord& record) {
    seen.push_back(std::string(record.kind) + ":" + std::to_string(record.number("x", -1)) + ":" +
                   std::string(record.text("s", "none")) + ":" +
                   (record.has("x") ? "has" : "lacks"));
    CHECK(record.time == 7);
  });
  trace.record("a", {{"x", 1}, {"s", "hi"}});
  trace.record("b", {});
  CHECK(seen == std::vector<std::string>{"a:1:hi:has", "b:-1:none:lacks"});
}

}  // namespace simrun::sim
