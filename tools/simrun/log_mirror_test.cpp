#include "tools/simrun/log_mirror.h"

#include <doctest/doctest.h>

using simrun::cli::LogMirror;
using simrun::cli::MirroredLog;

namespace {

std::vector<std::uint64_t> terms_of(const MirroredLog& log) {
  return {log.terms.begin(), log.terms.end()};
}

}  // namespace

TEST_CASE("appends mirror (index -> term); a write replaces the suffix (5.3)") {
  LogMirror mirror;
  mirror.append("g", 1, 1, 3, 1);  // 1..3 term 1
  mirror.append("g", 1, 4, 2, 2);  // 4..5 term 2
  const MirroredLog* log = mirror.find("g", 1);
  REQUIRE(log != nullptr);
  CHECK(log->first_index == 1);
  CHECK(log->last_index() == 5);
  CHECK(terms_of(*log) == std::vector<std::uint64_t>{1, 1, 1, 2, 2});
  mirror.append("g", 1, 3, 1, 3);  // a conflicting entry at 3 drops 4..5
  CHECK(terms_of(*log) == std::vector<std::uint64_t>{1, 1, 3});
  CHECK(log->term_at(3) == 3u);
  CHECK_FALSE(log->term_at(4).has_value());
  CHECK(mirror.find("g", 2) == nullptr);
  CHECK(mirror.nodes("g") == std::vector<std::uint32_t>{1});
}

TEST_CASE("the mirror keeps a bounded tail; a gap or a snapshot restarts it") {
  LogMirror mirror;
  mirror.append("g", 1, 1, LogMirror::kMaxEntriesPerLog + 10, 1);
  const MirroredLog* log = mirror.find("g", 1);
  CHECK(log->terms.size() == LogMirror::kMaxEntriesPerLog);
  CHECK(log->first_index == 11);
  CHECK(log->last_index() == LogMirror::kMaxEntriesPerLog + 10);
  mirror.append("g", 1, 5000, 2, 4);  // a gap: start over at 5000
  CHECK(log->first_index == 5000);
  CHECK(terms_of(*log) == std::vector<std::uint64_t>{4, 4});
  mirror.install_snapshot("g", 1, 6000);
  CHECK(log->first_index == 6001);
  CHECK(log->terms.empty());
  CHECK(log->commit_index == 6000);
  mirror.append("g", 1, 5990, 12, 5);  // only 6001.. lies inside the window
  CHECK(log->first_index == 6001);
  CHECK(terms_of(*log) == std::vector<std::uint64_t>{5});
}

TEST_CASE("a restart keeps the recovered prefix; a log that is no prefix replaces the mirror") {
  LogMirror mirror;
  mirror.append("g", 1, 1, 6, 2);
  CHECK(mirror.set_commit("g", 1, 4) == 0);
  CHECK(mirror.set_commit("g", 1, 3) == 4);  // never backwards
  mirror.loaded("g", 1, 1, 4, 2, 2);         // 5..6 were not synced
  const MirroredLog* log = mirror.find("g", 1);
  CHECK(log->last_index() == 4);
  CHECK(log->commit_index == 2);
  mirror.loaded("g", 1, 1, 4, 9, 2);  // disagrees: only the last entry is known
  CHECK(log->first_index == 4);
  CHECK(terms_of(*log) == std::vector<std::uint64_t>{9});
  mirror.loaded("g", 1, 1, 0, 0, 0);  // empty
  CHECK(log->terms.empty());
  CHECK(log->first_index == 1);
}

TEST_CASE("a view reads terms with unknown payload hashes") {
  LogMirror mirror;
  mirror.append("g", 2, 1, 2, 7);
  mirror.set_commit("g", 2, 1);
  const auto view = mirror.view("g", 2);
  CHECK(view.node == 2);
  CHECK(view.first_index == 1);
  CHECK(view.last_index == 2);
  CHECK(view.commit_index == 1);
  CHECK(view.entry(2) == simrun::sim::LogEntryId{7, simrun::sim::kUnknownHash});
  CHECK(mirror.groups() == std::vector<std::string>{"g"});
}
