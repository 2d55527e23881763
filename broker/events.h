#pragma once
// The trace record kinds the broker emits: metrics are computed from these
// by the scenario runner, never kept as counters set by hand. Every record
// carries `group` (string, e.g. "__meta" or "orders/0") where it concerns a
// Raft group and `node` (Raft node id, 1-based) where it concerns a node.
//
//  raft.election_started  {group, node, term, pre_vote(0|1)}
//  raft.role_changed      {group, node, term, role("follower"|"pre_candidate"|
//                          "candidate"|"leader"), reason}
//  raft.term_changed      {group, node, term}
//  raft.vote              {group, node, term, candidate, granted(0|1), reason}
//  raft.vote_received     {group, node, term, voter, granted(0|1)}: a
//                          (non-pre) vote answer reached its candidate `node`
//  raft.heartbeat_gap     {group, node, leader, term, gap_ns, ended_by}: a
//                          follower heard from its current leader after
//                          gap_ns of silence (ended_by "contact", on every
//                          contact), or campaigned after it ("campaign");
//                          gap_ns in simulated global time
//  raft.applied           {group, node, term, index, hash}: entry applied
//  raft.log_truncated     {group, node, index}
//  storage.damage         {group, node, damage(hard_state|snapshot|log_record|
//                          commit|repair_marker), lost_from, lost_through,
//                          repair_through}: synced state found damaged at load
//  storage.torn_tail      {group, node, bytes}: an incomplete last log record
//                          (unsynced append torn by a crash) dropped at load
//  storage.repaired       {group, node, leader, index}: a damaged replica
//                          caught up with the leader and votes again
//  raft.message_rate      {group, node, peer, second, messages}: Raft messages
//                          the group's replica on `node` sent to `peer` in
//                          that simulated second (broker/message_rate.h)
//  raft.follower_regressed {group, node(leader), follower, index}: a
//                          follower's log ended below what it acknowledged
//  raft.entries, raft.snapshot_installed, raft.committed,
//  raft.commit_advanced, raft.log_loaded: see broker/log_trace.h
//  node.started / node.crashed {node}: node.crashed whenever the process
//                          goes down, a controlled shutdown's stop included
//  node.shutdown_started  {node, groups_led}: a controlled shutdown began
//  node.leader_transfer   {node, group, to, match, last_index}: the shutting
//                          down leader asked `to` (its most caught-up
//                          follower, match of last_index) to take over
//  node.shutdown_done     {node, groups_led, still_leading, timed_out(0|1),
//                          waited_ns}: transfers over (or the bound passed),
//                          durable state synced; the process stops next;
//                          waited_ns in the node's local time
//  apply.deser_error      {group, node, index, term, error, dump}
//  meta.sync_attempt      {node, group, attempt}
//  meta.sync_retry        {node, group, attempt, delay_ns}
//  meta.sync_succeeded    {node, group, attempts}
//  meta.sync_failed       {node, group, attempts, error}
//  meta.sync_deferred     {node, group}: a new partition leader's sync found the
//                          metadata job queue full; it is owed and re-issued
//                          (with the then current term) once the queue has room
//  produce.sent           {client, topic, partition, sequence}
//  produce.acked          {client, topic, partition, sequence, offset, hash, latency_ns, acks}
//  produce.failed         {client, topic, partition, sequence, error, latency_ns}
//  consume.record         {client, topic, partition, offset, hash}
//  consume.offset_commit  {client, group_id, topic, partition, offset}
//  consume.fetch          {client, topic, partition, high_watermark, previous}: one
//                          successful fetch; previous: the highest high watermark
//                          this incarnation of the client saw before (-1: none)
//  consume.offset_regression {client, ...}: a fetch returned an offset below one already read
//  broker.unknown_group_drop {node, group, ...}: a peer Raft message for a
//                          group this node has no replica of (mechanism 8)
//  broker.inbox_drop     {node, group}: a peer Raft message dropped because the
//                          group's inbox held broker.raft_inbox_messages already
//  admin.topic_created / admin.topic_create_failed {client, topic, ...}
//
// These are the one set of broker record-kind names: emitters and readers
// (tools/simrun metrics and checkers) use the constants, never the strings.
// The simulator kernel's own kinds (net.*, disk.*, process.*, fault) are in
// sim/trace_kinds.h.

#include <array>
#include <string_view>

namespace simrun::broker::events {
inline constexpr std::string_view kElectionStarted = "raft.election_started";
inline constexpr std::string_view kRoleChanged = "raft.role_changed";
inline constexpr std::string_view kTermChanged = "raft.term_changed";
inline constexpr std::string_view kVote = "raft.vote";
inline constexpr std::string_view kVoteReceived = "raft.vote_received";
inline constexpr std::string_view kHeartbeatGap = "raft.heartbeat_gap";
inline constexpr std::string_view kApplied = "raft.applied";
inline constexpr std::string_view kLogTruncated = "raft.log_truncated";
inline constexpr std::string_view kStorageDamage = "storage.damage";
inline constexpr std::string_view kStorageTornTail = "storage.torn_tail";
inline constexpr std::string_view kStorageRepaired = "storage.repaired";
inline constexpr std::string_view kFollowerRegressed = "raft.follower_regressed";
inline constexpr std::string_view kMessageRate = "raft.message_rate";
inline constexpr std::string_view kEntries = "raft.entries";
inline constexpr std::string_view kSnapshotInstalled = "raft.snapshot_installed";
inline constexpr std::string_view kCommitted = "raft.committed";
inline constexpr std::string_view kCommitAdvanced = "raft.commit_advanced";
inline constexpr std::string_view kLogLoaded = "raft.log_loaded";
inline constexpr std::string_view kNodeStarted = "node.started";
inline constexpr std::string_view kNodeCrashed = "node.crashed";
inline constexpr std::string_view kShutdownStarted = "node.shutdown_started";
inline constexpr std::string_view kLeaderTransfer = "node.leader_transfer";
inline constexpr std::string_view kShutdownDone = "node.shutdown_done";
inline constexpr std::string_view kDeserError = "apply.deser_error";
inline constexpr std::string_view kMetaSyncAttempt = "meta.sync_attempt";
inline constexpr std::string_view kMetaSyncRetry = "meta.sync_retry";
inline constexpr std::string_view kMetaSyncSucceeded = "meta.sync_succeeded";
inline constexpr std::string_view kMetaSyncFailed = "meta.sync_failed";
inline constexpr std::string_view kMetaSyncDeferred = "meta.sync_deferred";
inline constexpr std::string_view kProduceSent = "produce.sent";
inline constexpr std::string_view kProduceAcked = "produce.acked";
inline constexpr std::string_view kProduceFailed = "produce.failed";
inline constexpr std::string_view kConsumeRecord = "consume.record";
inline constexpr std::string_view kOffsetCommit = "consume.offset_commit";
inline constexpr std::string_view kConsumeOffsetRegression = "consume.offset_regression";
inline constexpr std::string_view kConsumeFetch = "consume.fetch";
inline constexpr std::string_view kUnknownGroupDrop = "broker.unknown_group_drop";
inline constexpr std::string_view kInboxDrop = "broker.inbox_drop";
inline constexpr std::string_view kAdminTopicCreated = "admin.topic_created";
inline constexpr std::string_view kAdminTopicCreateFailed = "admin.topic_create_failed";

// Every kind above (tools/simrun/trace_kinds_test.cpp keeps it complete and
// disjoint from sim::trace_kinds::kAll).
inline constexpr std::array kAll = {kElectionStarted,
                                    kRoleChanged,
                                    kTermChanged,
                                    kVote,
                                    kVoteReceived,
                                    kHeartbeatGap,
                                    kApplied,
                                    kLogTruncated,
                                    kStorageDamage,
                                    kStorageTornTail,
                                    kStorageRepaired,
                                    kFollowerRegressed,
                                    kMessageRate,
                                    kEntries,
                                    kSnapshotInstalled,
                                    kCommitted,
                                    kCommitAdvanced,
                                    kLogLoaded,
                                    kNodeStarted,
                                    kNodeCrashed,
                                    kDeserError,
                                    kMetaSyncAttempt,
                                    kMetaSyncRetry,
                                    kMetaSyncSucceeded,
                                    kMetaSyncFailed,
                                    kMetaSyncDeferred,
                                    kProduceSent,
                                    kProduceAcked,
                                    kProduceFailed,
                                    kConsumeRecord,
                                    kOffsetCommit,
                                    kConsumeOffsetRegression,
                                    kConsumeFetch,
                                    kUnknownGroupDrop,
                                    kInboxDrop,
                                    kAdminTopicCreated,
                                    kAdminTopicCreateFailed,
                                    kShutdownStarted,
                                    kLeaderTransfer,
                                    kShutdownDone};
}  // namespace simrun::broker::events
