#pragma once
// Coverage probes of one run (FoundationDB's CODE_PROBE): code at a rare
// path calls hit("raft.split_vote"); the run reports which probes it reached
// and how often, and a sweep reports the probes no seed reached. Probes only
// count: they never change behaviour, randomness or the trace, so adding one
// leaves every trace hash as it was. The names are tables in the code
// (raft/probe.h, broker/probe.h); tools/simrun checks hits against them.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace simrun::sim {

class Coverage {
 public:
  void hit(std::string_view probe);
  std::uint64_t count(std::string_view probe) const;
  // Every probe hit at least once, with its hit count, by name.
  const std::map<std::string, std::uint64_t, std::less<>>& hits() const { return hits_; }

 private:
  std::map<std::string, std::uint64_t, std::less<>> hits_;
};

}  // namespace simrun::sim
