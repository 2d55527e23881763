#include "tools/simrun/sweep_report.h"

#include <doctest/doctest.h>

#include "tools/simrun/input_error.h"

using namespace simrun::cli;

namespace {

SeedResult result(std::uint64_t seed, SeedStatus status, double elections) {
  SeedResult r;
  r.seed = seed;
  r.status = status;
  r.trace_hash = "00000000000000ab";
  r.metrics = {{"elections_per_min", elections}, {"groups.__meta.max_term", 2}};
  r.repro = "simrun x.json --seed " + std::to_string(seed);
  r.wall_time_ms = 123;
  if (status != SeedStatus::pass) r.first_failure = "elections per minute: 12 < 10";
  return r;
}

}  // namespace

TEST_CASE("flatten_metrics: every numeric leaf by dotted name, whatever the metrics") {
  const auto flat =
      flatten_metrics(nlohmann::json{{"max_term", 3},
                                     {"produce", {{"latency_p99_ms", 1.5}, {"acked", 7}}},
                                     {"groups", {{"orders/0", {{"max_term", 2}}}}},
                                     {"label", "not a number"}});
  CHECK(flat.size() == 4);
  CHECK(flat.at("max_term") == 3);
  CHECK(flat.at("produce.latency_p99_ms") == 1.5);
  CHECK(flat.at("groups.orders/0.max_term") == 2);
}

TEST_CASE("a seed result survives its JSON line; sweep.json carries no wall time") {
  const SeedResult original = result(4, SeedStatus::crash, 3);
  SeedResult with_signal = original;
  with_signal.signal = "SIGABRT";
  const SeedResult back = seed_from_json(seed_json(with_signal, true), "test");
  CHECK(back.seed == 4);
  CHECK(back.status == SeedStatus::crash);
  CHECK(back.signal == "SIGABRT");
  CHECK(back.wall_time_ms == 123);
  CHECK(back.metrics == original.metrics);
  CHECK_FALSE(seed_json(original, false).contains("wall_time_ms"));
  CHECK_THROWS_AS(seed_from_json(nlohmann::json{{"seed", 1}}, "test"), InputError);
  for (SeedStatus status : {SeedStatus::pass, SeedStatus::fail, SeedStatus::crash,
                            SeedStatus::wall_budget, SeedStatus::event_budget, SeedStatus::error}) {
    CHECK(status_from_name(status_name(status)) == status);
  }
  CHECK_FALSE(status_from_name("bogus").has_value());
}

TEST_CASE("sweep.json: sorted by seed, quantiles over seeds, failures; order of input irrelevant") {
  SweepHeader header;
  header.scenario = "x.json";
  header.name = "x";
  header.profile = "recommended";
  header.first_seed = 1;
  header.seed_count = 3;
  const std::vector<SeedResult> in_order = {result(1, SeedStatus::pass, 1),
                                            result(2, SeedStatus::fail, 12),
                                            result(3, SeedStatus::pass, 5)};
  const std::vector<SeedResult> shuffled = {in_order[2], in_order[0], in_order[1]};
  const auto json = sweep_json(header, in_order);
  CHECK(json.dump() == sweep_json(header, shuffled).dump());
  CHECK(json["format"] == kSweepFormat);
  CHECK(json["run"] == 3);
  CHECK(json["passed"] == 2);
  CHECK(json["failed"] == 1);
  CHECK(json["metrics"]["elections_per_min"]["min"] == 1);
  CHECK(json["metrics"]["elections_per_min"]["p50"] == 5);
  CHECK(json["metrics"]["elections_per_min"]["max"] == 12);
  CHECK(json["metrics"]["elections_per_min"]["seeds"] == 3);
  REQUIRE(json["failures"].size() == 1);
  CHECK(json["failures"][0]["seed"] == 2);
  CHECK(json["failures"][0]["repro"] == "simrun x.json --seed 2");
  CHECK(json["results"][0]["seed"] == 1);
  CHECK_FALSE(json.contains("shard"));
  CHECK(results_of(json, "t").size() == 3);
  const SweepHeader back = header_from_json(json, "t");
  CHECK(back.seed_count == 3);
  CHECK_FALSE(back.shard.has_value());
  header.shard = std::pair{std::uint64_t{2}, std::uint64_t{4}};
  CHECK(header_from_json(header_json(header), "t").shard == header.shard);
  nlohmann::json wrong = json;
  wrong["format"] = "other/1";
  CHECK_THROWS_AS(header_from_json(wrong, "t"), InputError);
}

TEST_CASE("sweep.json probes_missed: the probes no completed seed reached") {
  SeedResult a = result(1, SeedStatus::pass, 1);
  a.probes_missed = {"raft.split_vote", "raft.leader_transfer", "broker.inbox_full_drop"};
  SeedResult b = result(2, SeedStatus::fail, 2);
  b.probes_missed = {"raft.leader_transfer", "raft.split_vote"};
  SeedResult crashed = result(3, SeedStatus::crash, 0);
  crashed.trace_hash.clear();  // did not complete: says nothing about probes
  SweepHeader header;
  header.name = "x";
  header.seed_count = 3;
  const nlohmann::json sweep = sweep_json(header, {a, b, crashed});
  CHECK(sweep["probes_missed"] ==
        nlohmann::json::array({"raft.leader_transfer", "raft.split_vote"}));
  CHECK(sweep["results"][0]["probes_missed"].size() == 3);
  CHECK_FALSE(sweep["results"][2].contains("probes_missed"));
  const SeedResult back = seed_from_json(sweep["results"][1], "test");
  CHECK(back.probes_missed == b.probes_missed);
}
