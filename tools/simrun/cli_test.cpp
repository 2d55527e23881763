#include "tools/simrun/cli.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using simrun::cli::run_cli;

namespace {

// A small real scenario (5 simulated seconds), written to a temp directory.
const char* kScenario = R"({
  "name": "cli_unit",
  "duration": "5s",
  "cluster": {"nodes": 3, "profile": "recommended"},
  "workload": {"topics": [{"name": "orders", "partitions": 1}],
               "producers": [{"topic": "orders", "rate_per_second": 20}]},
  "assertions": [{"name": "some produce", "metric": "produce.acked", "op": ">=", "bound": 1}]
})";

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

Run cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  Run run;
  run.exit_code = run_cli(args, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

struct TempScenario {
  std::filesystem::path dir;
  std::string file;
  TempScenario() {
    dir = std::filesystem::temp_directory_path() /
          ("simrun_cli_test_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir);
    file = (dir / "cli_unit.json").string();
    std::ofstream(file) << kScenario;
  }
  ~TempScenario() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  nlohmann::json summary() const {
    std::ifstream in(dir / "report" / "summary.json");
    return nlohmann::json::parse(in);
  }
};

}  // namespace

TEST_CASE("usage errors exit 2 and print the usage") {
  const Run none = cli({});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("missing scenario file") != std::string::npos);
  CHECK(none.err.find("usage") != std::string::npos);
  const Run unknown = cli({"x.json", "--frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("usage") != std::string::npos);
  CHECK(cli({"x.json", "--seed", "abc"}).exit_code == 2);
  CHECK(cli({"x.json", "--set", "no_equals_sign"}).exit_code == 2);
  CHECK(cli({"x.json", "--duration", "0ms"}).exit_code == 2);
  CHECK(cli({"replay"}).exit_code == 2);
  CHECK(cli({"table"}).exit_code == 2);
  CHECK(cli({"no_such_file.json"}).exit_code == 2);
}

TEST_CASE("an option another command reads is an error, never ignored") {
  const std::string churn = "scenarios/three_node_churn.json";
  const Run seeds = cli({churn, "--seeds", "5"});
  CHECK(seeds.exit_code == 2);
  CHECK(seeds.err.find("--seeds does not apply to simrun SCENARIO.json (it is an option of: "
                       "simrun table, simrun sweep)") != std::string::npos);
  CHECK(seeds.out.empty());  // nothing ran
  // Boost completes --out to --output (shrink's): still not the run's.
  const Run output = cli({churn, "--out", "x.json"});
  CHECK(output.exit_code == 2);
  CHECK(output.err.find("--output does not apply to simrun SCENARIO.json (it is an option of: "
                        "simrun shrink)") != std::string::npos);
  CHECK(cli({"sweep", churn, "--seed", "3"}).err.find("--seed does not apply to simrun sweep") !=
        std::string::npos);
  CHECK(cli({"sweep", churn, "--quiet"}).exit_code == 2);
  CHECK(cli({"merge", "a", "--jobs", "2", "--report", "b"}).exit_code == 2);
  CHECK(cli({"gate", "--baseline", "a", "--candidate", "b", "--trace", "t"}).exit_code == 2);
  CHECK(cli({"replay", "x/summary.json", "--set", "a=1"}).exit_code == 2);
  CHECK(cli({"leader_hunt.py", "--trace", "t"}).err.find("does not apply to simrun SCENARIO.py") !=
        std::string::npos);
  // The options a command reads still reach it (the file is what is missing).
  const Run sweep = cli({"sweep", "no_such.json", "--seeds", "2", "--jobs", "1", "--until-fail"});
  CHECK(sweep.exit_code == 2);
  CHECK(sweep.err.find("does not apply") == std::string::npos);
}

TEST_CASE("--help and --version exit 0") {
  const Run help = cli({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--set") != std::string::npos);
  const Run version = cli({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.find("simrun ") == 0);
}

TEST_CASE("a passing run exits 0; a failed assertion exits 1 with the repro line") {
  TempScenario scenario;
  const Run pass = cli({scenario.file, "--quiet"});
  CHECK(pass.exit_code == 0);
  CHECK(pass.out.find("PASS") != std::string::npos);
  const Run fail = cli({scenario.file, "--quiet", "--set", "assertions.0.bound=1000000"});
  CHECK(fail.exit_code == 1);
  CHECK(fail.out.find("FAIL") != std::string::npos);
  CHECK(fail.out.find("repro: simrun " + scenario.file + " --seed 1") != std::string::npos);
  // Bad input found after parsing (a --set the schema rejects) is still 2.
  CHECK(cli({scenario.file, "--set", "cluster.nodes=0"}).exit_code == 2);
}

TEST_CASE("--set overrides apply in command-line order; the repro line carries every one") {
  TempScenario scenario;
  const std::string report = (scenario.dir / "report").string();
  // The same path twice: the later one wins (bound 1 passes, 1e6 would fail).
  const Run run = cli({scenario.file, "--quiet", "--seed", "5", "--duration", "4s", "--set",
                       "assertions.0.bound=1000000", "--set", "assertions.0.bound=1", "--set",
                       "cluster.raft.election_timeout_ms=1200", "--report", report});
  CHECK(run.exit_code == 0);
  const nlohmann::json summary = scenario.summary();
  CHECK(summary.at("seed") == 5);
  CHECK(summary.at("duration_ms") == 4000);
  CHECK(summary.at("failed").empty());
  const std::vector<std::string> args = summary.at("override_args");
  REQUIRE(args.size() == 3);
  CHECK(args[0] == "assertions.0.bound=1000000");
  CHECK(args[2] == "cluster.raft.election_timeout_ms=1200");
  const std::string repro = summary.at("repro");
  CHECK(repro.find("--seed 5") != std::string::npos);
  CHECK(repro.find("--duration") != std::string::npos);
  const auto first = repro.find("--set 'assertions.0.bound=1000000'");
  const auto second = repro.find("--set 'assertions.0.bound=1'");
  const auto third = repro.find("--set 'cluster.raft.election_timeout_ms=1200'");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(third != std::string::npos);
  CHECK(first < second);
  CHECK(second < third);
  // The report replays to the same trace hash.
  const Run replay = cli({"replay", report + "/summary.json", "--quiet"});
  CHECK(replay.exit_code == 0);
  CHECK(replay.out.find("trace hash matches") != std::string::npos);
}

TEST_CASE("a failed run lists its failed checks by name in summary.json") {
  TempScenario scenario;
  const std::string report = (scenario.dir / "report").string();
  const Run run =
      cli({scenario.file, "--quiet", "--set", "assertions.0.bound=1000000", "--report", report});
  CHECK(run.exit_code == 1);
  const nlohmann::json summary = scenario.summary();
  CHECK(summary.at("passed") == false);
  REQUIRE(summary.at("failed").size() == 1);
  CHECK(summary.at("failed")[0] == "some produce");
}
