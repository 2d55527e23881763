#include "broker/probe.h"

#include <doctest/doctest.h>

#include <set>

using namespace simrun;

TEST_CASE("one table of probe names: every raft and broker probe, named once") {
  const std::vector<std::string> names = broker::all_probe_names();
  CHECK(names.size() == raft::kAllProbes.size() + broker::kAllProbes.size());
  const std::set<std::string> unique(names.begin(), names.end());
  CHECK(unique.size() == names.size());
  for (const std::string& name : names) {
    CHECK(name != "raft.unknown");
    CHECK(name != "broker.unknown");
    CHECK((name.rfind("raft.", 0) == 0 || name.rfind("broker.", 0) == 0));
  }
  CHECK(broker::probe_name(raft::Probe::split_vote) == "raft.split_vote");
  CHECK(broker::probe_name(broker::Probe::metadata_retry_exhausted) ==
        "broker.metadata_retry_exhausted");
}
