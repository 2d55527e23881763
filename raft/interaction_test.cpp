// Golden transcript tests: replays every raft/testdata/*.txt through an
// InteractionEnv and compares each command's output with the recorded one.
// SIMRUN_REWRITE=1 regenerates the outputs in place (read the diff before
// committing it: a golden that records a bug is worse than none).

#include "raft/interaction.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/random.h"

namespace simrun::raft {
namespace {

std::filesystem::path testdata_dir() {
  // __FILE__ is this source's path as the build saw it, so the transcripts
  // are found whatever the working directory. A compiler cache with a
  // base_dir (ccache) makes it relative to the build directory instead;
  // CTest runs the test from the source root, where raft/testdata is.
  const std::filesystem::path beside = std::filesystem::path(__FILE__).parent_path() / "testdata";
  if (beside.is_absolute() || std::filesystem::is_directory(beside)) return beside;
  return std::filesystem::path("raft") / "testdata";
}

bool rewrite_requested() {
  const char* value = std::getenv("SIMRUN_REWRITE");
  return value != nullptr && std::string(value) == "1";
}

InteractionEnv::RandomFactory sim_random_factory() {
  return [](std::uint64_t seed, NodeId node) -> InteractionEnv::RandomSource {
    auto rng = std::make_shared<sim::Rng>(sim::Rng::stream(seed, "node/" + std::to_string(node)));
    return [rng](std::uint64_t bound) { return rng->below(bound); };
  };
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs one transcript; returns the cases with the outputs actually produced.
std::vector<TranscriptCase> replay(const std::vector<TranscriptCase>& cases) {
  InteractionEnv env(sim_random_factory());
  std::vector<TranscriptCase> produced = cases;
  for (TranscriptCase& c : produced) {
    if (c.command.empty()) continue;
    try {
      c.output = env.run(c.command);
    } catch (const std::exception& error) {
      c.output = std::string("error: ") + error.what() + "\n";
    }
  }
  return produced;
}

}  // namespace

TEST_CASE("transcript format round-trips") {
  const std::string text =
      "# a comment\n"
      "add-nodes 3\n"
      "----\n"
      "ok\n"
      "\n"
      "campaign 1\n"
      "----\n"
      "line one\n"
      "  line two\n";
  std::vector<TranscriptCase> cases = parse_transcript(text);
  REQUIRE(cases.size() == 2);
  CHECK(cases[0].comments == std::vector<std::string>{"# a comment"});
  CHECK(cases[0].command == "add-nodes 3");
  CHECK(cases[0].line == 2);
  CHECK(cases[1].output == "line one\n  line two\n");
  CHECK(render_transcript(cases) == text);
}

TEST_CASE("interaction env rejects bad commands instead of guessing") {
  InteractionEnv env(sim_random_factory());
  CHECK_THROWS(env.run("no-such-command"));
  CHECK_THROWS(env.run("campaign 1"));  // no nodes yet
  CHECK(env.run("add-nodes 3 prevote=false") != "");
  CHECK_THROWS(env.run("add-nodes 3"));
  CHECK_THROWS(env.run("tick 4"));
  CHECK_THROWS(env.run("partition 1 / 2"));  // node 3 not placed
}

TEST_CASE("golden transcripts in raft/testdata") {
  std::vector<std::filesystem::path> files;
  for (const auto& item : std::filesystem::directory_iterator(testdata_dir())) {
    if (item.path().extension() == ".txt") files.push_back(item.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE_MESSAGE(!files.empty(), "no transcripts in " << testdata_dir().string());
  const bool rewrite = rewrite_requested();
  for (const auto& file : files) {
    CAPTURE(file.string());
    std::vector<TranscriptCase> expected = parse_transcript(read_file(file));
    std::vector<TranscriptCase> actual = replay(expected);
    if (rewrite) {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << render_transcript(actual);
      REQUIRE_MESSAGE(out.good(), "cannot write " << file.string());
      MESSAGE("rewrote " << file.string());
      continue;
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (expected[i].command.empty()) continue;
      INFO(file.filename().string() << ":" << expected[i].line << ": " << expected[i].command);
      CHECK(actual[i].output == expected[i].output);
      if (actual[i].output != expected[i].output) break;  // later output follows from this one
    }
  }
}

}  // namespace simrun::raft
