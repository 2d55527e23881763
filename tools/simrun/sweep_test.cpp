#include "tools/simrun/sweep.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tools/simrun/input_error.h"

using namespace simrun::cli;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

SweepOptions short_churn(unsigned jobs, const std::string& dir) {
  SweepOptions options;
  options.scenario_file = "scenarios/three_node_churn.json";
  options.load.duration_ms = 10'000;
  options.seeds = "3..6";
  options.jobs = jobs;
  options.report_dir = dir;
  return options;
}

}  // namespace

TEST_CASE("first_failure: the earliest violation, else the first failed assertion") {
  RunOutcome outcome;
  outcome.assertions.push_back({"max term", "max_term", "<=", "", 14, 12, false, {}});
  outcome.assertions.push_back({"other", "max_term", "<=", "", 1, 2, true, {}});
  CHECK(first_failure(outcome) == "max term: 14 <= 12");
  outcome.violations.push_back({"acked_records", 1200, "orders/0", {1}, "record 5 lost"});
  CHECK(first_failure(outcome) == "checker:acked_records at 1200 ms in orders/0: record 5 lost");
  outcome.passed = true;
  outcome.assertions.clear();
  outcome.violations.clear();
  CHECK(first_failure(outcome).empty());
}

TEST_CASE("a sweep's stdout and sweep.json do not depend on --jobs") {
  const auto base = std::filesystem::temp_directory_path() / "simrun_sweep_test";
  std::filesystem::remove_all(base);
  std::ostringstream out1, out2, err;
  const int rc1 = run_sweep(short_churn(1, (base / "j1").string()), out1, err);
  const int rc2 = run_sweep(short_churn(2, (base / "j2").string()), out2, err);
  CHECK(rc1 == rc2);
  CHECK(out1.str() == out2.str());
  const std::string sweep1 = read_text((base / "j1" / "sweep.json").string());
  CHECK(sweep1 == read_text((base / "j2" / "sweep.json").string()));
  const auto json = nlohmann::json::parse(sweep1);
  CHECK(json["run"] == 4);
  CHECK(json["results"].size() == 4);
  CHECK(json["results"][0]["seed"] == 3);
  CHECK(json["metrics"].contains("elections_per_min"));
  CHECK(json["metrics"]["elections_per_min"]["seeds"] == 4);
  // seeds.jsonl: one line per seed.
  std::ifstream lines((base / "j2" / "seeds.jsonl").string());
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    CHECK(nlohmann::json::parse(line).contains("wall_time_ms"));
    ++count;
  }
  CHECK(count == 4);
  CHECK(out1.str().find("sweep: ") != std::string::npos);
}

TEST_CASE("a seed over its event budget is that seed's failure, with the repro line") {
  SweepOptions options = short_churn(2, "");
  options.report_dir.reset();
  options.seeds = "2";
  options.first_seed = 8;
  options.max_events = 1000;
  std::ostringstream out, err;
  CHECK(run_sweep(options, out, err) == 1);
  CHECK(out.str().find("FAIL seed 8 (event_budget): event budget of 1000 events exceeded") !=
        std::string::npos);
  CHECK(out.str().find("repro: simrun scenarios/three_node_churn.json --seed 9 --duration 10s") !=
        std::string::npos);
  CHECK(out.str().find("sweep: 0 passed, 2 failed") != std::string::npos);
}

TEST_CASE("--until-fail stops at the lowest failing seed whatever the jobs") {
  for (unsigned jobs : {1u, 2u}) {
    SweepOptions options = short_churn(jobs, "");
    options.report_dir.reset();
    options.seeds = "1..40";
    // A bound every seed crosses (max term of __meta <= 0): seed 2 fails too,
    // and may finish first with 2 jobs, but seed 1 is the one reported.
    options.load.overrides.push_back(parse_override("assertions.0.bound=0"));
    options.until_fail = true;
    std::ostringstream out, err;
    const int rc = run_sweep(options, out, err);
    CHECK(rc == 1);
    CHECK(out.str().find("FAIL seed 1 ") != std::string::npos);
    CHECK(out.str().find(": 1 run") != std::string::npos);
  }
}

TEST_CASE("a seed past its wall-time budget is killed and reported, the sweep goes on") {
  SweepOptions options = short_churn(2, "");
  options.report_dir.reset();
  options.seeds = "2";
  options.wall_budget_ms = 1;  // no run finishes in 1 ms
  std::ostringstream out, err;
  CHECK(run_sweep(options, out, err) == 1);
  CHECK(out.str().find("(wall_budget): wall-time budget of 1ms exceeded (killed)") !=
        std::string::npos);
  CHECK(out.str().find("sweep: 0 passed, 2 failed") != std::string::npos);
}
