#include "broker/log_trace.h"

#include "broker/events.h"

namespace simrun::broker {

namespace {

std::int64_t as_int(std::uint64_t value) { return static_cast<std::int64_t>(value); }

}  // namespace

void trace_ready_log(sim::Trace& trace, std::string_view group, raft::NodeId node,
                     const raft::Ready& ready, raft::Index& traced_commit) {
  if (ready.snapshot) {
    trace.record(events::kSnapshotInstalled, {{"group", group},
                                              {"node", as_int(node)},
                                              {"index", as_int(ready.snapshot->meta.index)},
                                              {"term", as_int(ready.snapshot->meta.term)}});
  }
  // One record per run of equal terms: a leader's entries share its term; a
  // follower catching up rarely crosses more than a few terms per Ready.
  const std::vector<raft::Entry>& entries = ready.entries;
  for (std::size_t begin = 0; begin < entries.size();) {
    std::size_t end = begin + 1;
    while (end < entries.size() && entries[end].term == entries[begin].term) ++end;
    trace.record(events::kEntries, {{"group", group},
                                    {"node", as_int(node)},
                                    {"index", as_int(entries[begin].index)},
                                    {"count", as_int(end - begin)},
                                    {"term", as_int(entries[begin].term)}});
    begin = end;
  }
  if (ready.hard_state.commit > traced_commit) {
    traced_commit = ready.hard_state.commit;
    trace.record(events::kCommitted, {{"group", group},
                                      {"node", as_int(node)},
                                      {"term", as_int(ready.hard_state.term)},
                                      {"commit", as_int(traced_commit)}});
  }
}

void trace_log_loaded(sim::Trace& trace, std::string_view group, raft::NodeId node,
                      const raft::Raft& raft) {
  trace.record(events::kLogLoaded, {{"group", group},
                                    {"node", as_int(node)},
                                    {"first_index", as_int(raft.first_index())},
                                    {"last_index", as_int(raft.last_index())},
                                    {"last_term", as_int(raft.last_term())},
                                    {"commit", as_int(raft.commit_index())}});
}

}  // namespace simrun::broker
