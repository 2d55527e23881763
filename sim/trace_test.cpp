#include "sim/trace.h"

#include <doctest/doctest.h>

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
