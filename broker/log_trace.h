#pragma once
// Traces what each Ready changes in a node's Raft log, without payloads:
// runs of (first index, count, term), snapshot installs, the commit index,
// and the log a node recovered at start. The cross-node checkers
// (tools/simrun, sim/safety_checker.h) mirror every node's log from these
// (index -> term) so that log matching, leader completeness and the
// committed prefix are checked in every run, at the cost of one record per
// Ready rather than one per entry.
//
//  raft.entries            {group, node, index, count, term}: entries
//                          [index, index + count) of `term` were written,
//                          replacing anything stored at index or above
//  raft.snapshot_installed {group, node, index, term}: the log now starts
//                          after a snapshot ending at (index, term)
//  raft.committed          {group, node, term, commit}: the node's commit
//                          index grew to `commit` (node's term `term`)
//  raft.commit_advanced    {group, node, term, index}: as leader of `term`,
//                          the node committed through `index` (5.3, 5.4.2)
//  raft.log_loaded         {group, node, first_index, last_index, last_term,
//                          commit}: the log recovered from disk at start

#include <string_view>

#include "raft/raft.h"
#include "sim/trace.h"

namespace simrun::broker {

// Records the log changes of `ready` (call right after Raft::ready()).
// `traced_commit` is the commit index last traced for this node and group.
void trace_ready_log(sim::Trace& trace, std::string_view group, raft::NodeId node,
                     const raft::Ready& ready, raft::Index& traced_commit);

// Records the log `raft` holds right after it was restored from disk.
void trace_log_loaded(sim::Trace& trace, std::string_view group, raft::NodeId node,
                      const raft::Raft& raft);

}  // namespace simrun::broker
