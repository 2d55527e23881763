#include "tools/simrun/scenario_limits.h"

#include <doctest/doctest.h>

#include "tools/simrun/input_error_for_tests.h"
#include "tools/simrun/scenario_loader.h"

using namespace simrun::cli;
using simrun::cli::testing::contains;
using simrun::cli::testing::input_error_of;

namespace {

std::string load_error(const std::string& text, const LoadOptions& options = {}) {
  return input_error_of([&] { return load_scenario_text(text, "scenarios/big.json", options); });
}

std::string topics(int count, int partitions) {
  std::string list;
  for (int i = 0; i < count; ++i) {
    list += (i == 0 ? "" : ",") + std::string(R"({"name": "t)") + std::to_string(i) +
            R"(", "partitions": )" + std::to_string(partitions) + "}";
  }
  return R"({"name": "big", "duration": "10s", "cluster": {"nodes": 3}, "workload": {"topics": [)" +
         list + "]}}";
}

}  // namespace

TEST_CASE("partitions summed over topics are bounded") {
  CHECK(load_error(topics(8, 64)) == "no error");  // exactly kMaxPartitions
  const std::string error = load_error(topics(9, 64));
  CHECK(contains(error, "scenarios/big.json: /workload/topics: expected at most 512 partitions"));
  CHECK(contains(error, "got 576"));
}

TEST_CASE("produce batches over the run are bounded, counting only active time") {
  const std::string base =
      R"({"name": "big", "duration": "24h", "cluster": {"nodes": 3}, "workload": {"topics": [{"name": "t"}],
          "producers": [{"topic": "t", "rate_per_second": RATE, "stop_ms": STOP}]}})";
  auto with = [&](const std::string& rate, const std::string& stop) {
    std::string text = base;
    text.replace(text.find("RATE"), 4, rate);
    text.replace(text.find("STOP"), 4, stop);
    return text;
  };
  CHECK(load_error(with("200", "-1")) == "no error");       // 17.3 M in a day
  const std::string error = load_error(with("300", "-1"));  // 25.9 M
  CHECK(contains(error, "/workload/producers: expected at most 20000000 produce batches"));
  CHECK(load_error(with("100000", "60000")) == "no error");  // 6 M: stopped after a minute
}

TEST_CASE("nemesis faults drawn on average are bounded") {
  const std::string text =
      R"({"name": "big", "duration": "24h", "cluster": {"nodes": 3},
          "nemesis": {"kinds": [{"action": "pause", "mean_interval": "MEAN", "duration": "1ms"}]}})";
  std::string fine = text;
  fine.replace(fine.find("MEAN"), 4, "1s");  // 86,400 faults
  CHECK(load_error(fine) == "no error");
  std::string many = text;
  many.replace(many.find("MEAN"), 4, "100ms");  // 864,000
  CHECK(contains(load_error(many), "/nemesis/kinds: expected at most 100000 nemesis faults"));
}

TEST_CASE("--duration is held to the same day as the schema's duration") {
  const std::string text = R"({"name": "big", "duration": "10s", "cluster": {"nodes": 3}})";
  LoadOptions options;
  options.duration_ms = kMaxDurationMs;
  CHECK(load_error(text, options) == "no error");
  options.duration_ms = kMaxDurationMs + 1;
  const std::string error = load_error(text, options);
  CHECK(contains(error, "/duration: expected a duration of at most 86400000 ms"));
  CHECK(contains(error, "(from --duration)"));
}
