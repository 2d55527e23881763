#include "raft/raft.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <utility>

#include "raft/assert.h"
#include "raft/log.h"
#include "raft/progress.h"

namespace simrun::raft {

namespace {

// Bound on the committed entries handed out in one Ready, so that a node
// catching up on a long log applies it in slices.
constexpr std::size_t kMaxCommittedEntriesPerReady = 4096;
// Bound on the entries one append may carry, whatever the sender claims.
constexpr std::size_t kMaxEntriesPerIncomingAppend = 1U << 20;

enum class CampaignKind : std::uint8_t { pre_vote, election, transfer };

bool is_valid_type(MessageType type) {
  return static_cast<std::uint8_t>(type) <= static_cast<std::uint8_t>(MessageType::timeout_now);
}

bool is_from_leader(MessageType type) {
  return type == MessageType::append || type == MessageType::heartbeat ||
         type == MessageType::snapshot;
}

}  // namespace

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::pre_vote_started:
      return "pre_vote_started";
    case EventKind::election_started:
      return "election_started";
    case EventKind::vote_granted:
      return "vote_granted";
    case EventKind::vote_rejected:
      return "vote_rejected";
    case EventKind::became_leader:
      return "became_leader";
    case EventKind::became_follower:
      return "became_follower";
    case EventKind::stepped_down:
      return "stepped_down";
    case EventKind::log_truncated:
      return "log_truncated";
    case EventKind::snapshot_installed:
      return "snapshot_installed";
    case EventKind::leader_transfer_started:
      return "leader_transfer_started";
    case EventKind::storage_repaired:
      return "storage_repaired";
    case EventKind::follower_log_regressed:
      return "follower_log_regressed";
    case EventKind::commit_advanced:
      return "commit_advanced";
  }
  return "unknown";
}

bool needs_durable_state(const Message& message) {
  switch (message.type) {
    // A candidate's self-vote and new term, a voter's vote, and a follower's
    // acknowledgement of entries or of a snapshot all promise something about
    // the sender's disk (Figure 2: "Updated on stable storage before
    // responding to RPCs").
    case MessageType::vote_request:
    case MessageType::vote_response:
    case MessageType::append_response:
      return true;
    // A leader's outgoing traffic may overlap its own fsync (thesis 10.2.1);
    // pre-votes change no persistent state; timeout_now promises nothing. A
    // heartbeat response acknowledges no entry and casts no vote (the leader
    // uses it only for liveness: check-quorum, probing), so, as in etcd, it
    // does not wait for the follower's fsync: a slow disk must not make a
    // healthy follower look dead.
    case MessageType::heartbeat_response:
    case MessageType::pre_vote_request:
    case MessageType::pre_vote_response:
    case MessageType::append:
    case MessageType::heartbeat:
    case MessageType::snapshot:
    case MessageType::timeout_now:
      return false;
  }
  return true;
}

struct Raft::State {
  Config config;
  Log log;
  Term term = 0;
  NodeId vote = kNoNode;
  Role role = Role::follower;
  NodeId leader = kNoNode;
  int election_elapsed = 0;
  int heartbeat_elapsed = 0;
  int randomized_election_ticks = 0;
  std::map<NodeId, Progress> progress;  // leader only, every voter incl. self
  std::map<NodeId, bool> votes;         // (pre-)candidate only: first answer per voter
  NodeId transfer_target = kNoNode;
  std::vector<Message> messages;
  std::vector<Event> events;
  HardState last_ready_hard_state;  // as handed out by the latest ready()
  bool ready_outstanding = false;
  RaftCounters counters;
  // Protocol-Aware Recovery (RestoredState::needs_repair): no votes, no
  // campaigns until the durable log reaches repair_target with a leader known.
  bool repairing = false;
  Index repair_target = 0;
  bool repair_target_from_leader = false;  // the leader's commit is folded in

  State(Config cfg, RestoredState restored)
      : config(std::move(cfg)),
        log(std::move(restored.snapshot.meta), std::move(restored.entries),
            restored.hard_state.commit) {
    RAFT_ASSERT(config.id != kNoNode, "node id 0 is reserved for 'nobody'");
    RAFT_ASSERT(static_cast<bool>(config.random_below), "random_below must be set");
    RAFT_ASSERT(config.heartbeat_ticks > 0, "heartbeat_ticks must be positive");
    RAFT_ASSERT(config.election_ticks > config.heartbeat_ticks,
                "election_ticks must exceed heartbeat_ticks");
    RAFT_ASSERT(config.max_inflight_messages > 0, "max_inflight_messages must be positive");
    RAFT_ASSERT(config.max_entries_per_message > 0, "max_entries_per_message must be positive");
    std::sort(config.voters.begin(), config.voters.end());
    config.voters.erase(std::unique(config.voters.begin(), config.voters.end()),
                        config.voters.end());
    RAFT_ASSERT(!config.voters.empty() && config.voters.front() != kNoNode,
                "voters must be non-empty node ids");
    term = restored.hard_state.term;
    vote = restored.hard_state.vote;
    // A log holding entries of term T proves term T existed; a node restored
    // with an older term (storage that lost term and vote) starts at T with
    // no vote, so its own log terms never run ahead of its term.
    if (log.last_term() > term) {
      term = log.last_term();
      vote = kNoNode;
    }
    // If term, vote or commit had to be corrected, the first Ready reports
    // the corrected HardState as changed so that it is persisted.
    last_ready_hard_state = restored.hard_state;
    repairing = restored.needs_repair && config.protocol_aware_recovery;
    repair_target = restored.repair_through;
    reset_randomized_election_timeout();
  }

  // --- helpers -------------------------------------------------------------

  std::size_t quorum() const { return config.voters.size() / 2 + 1; }

  bool is_voter(NodeId id) const {
    return std::binary_search(config.voters.begin(), config.voters.end(), id);
  }

  HardState hard_state() const { return HardState{term, vote, log.committed()}; }

  void reset_randomized_election_timeout() {
    const auto base = static_cast<std::uint64_t>(config.election_ticks);
    const std::uint64_t jitter = config.random_below(base);
    RAFT_ASSERT(jitter < base, "random_below returned a value out of range");
    randomized_election_ticks = static_cast<int>(base + jitter);
  }

  // A coverage probe (raft/probe.h): only counted, never acted upon.
  void hit(Probe probe) const {
    if (config.probe) config.probe(probe);
  }

  void emit(EventKind kind, NodeId peer, Index index, std::string reason) {
    events.push_back(Event{kind, term, peer, index, std::move(reason)});
  }

  void send(Message message) {
    message.from = config.id;
    RAFT_ASSERT(message.to != kNoNode && message.to != config.id, "bad destination");
    messages.push_back(std::move(message));
  }

  // Resets per-term volatile state (etcd's reset()).
  void reset(Term new_term) {
    if (new_term != term) {
      RAFT_ASSERT(new_term > term, "terms never decrease");
      term = new_term;
      vote = kNoNode;
    }
    leader = kNoNode;
    election_elapsed = 0;
    heartbeat_elapsed = 0;
    reset_randomized_election_timeout();
    votes.clear();
    progress.clear();
    transfer_target = kNoNode;
  }

  // --- role transitions ----------------------------------------------------

  void become_follower(Term new_term, NodeId new_leader, const std::string& reason) {
    const Role previous_role = role;
    const Term previous_term = term;
    reset(new_term);
    role = Role::follower;
    leader = new_leader;
    if (previous_role != Role::follower) emit(EventKind::stepped_down, new_leader, 0, reason);
    if (previous_role != Role::follower || previous_term != term) {
      emit(EventKind::became_follower, new_leader, 0, reason);
    }
  }

  void become_pre_candidate(const std::string& reason) {
    RAFT_ASSERT(role != Role::leader, "a leader does not pre-campaign");
    // Thesis 9.6: the term stays put, so a node that cannot win disrupts
    // nobody.
    role = Role::pre_candidate;
    votes.clear();
    leader = kNoNode;
    // Fresh jitter for every attempt, so two pre-candidates do not keep
    // colliding.
    reset_randomized_election_timeout();
    emit(EventKind::pre_vote_started, kNoNode, 0, reason);
  }

  void become_candidate(const std::string& reason) {
    RAFT_ASSERT(role != Role::leader, "a leader does not campaign");
    reset(term + 1);
    role = Role::candidate;
    vote = config.id;
    emit(EventKind::election_started, kNoNode, 0, reason);
  }

  void become_leader() {
    RAFT_ASSERT(role == Role::candidate, "only a candidate becomes leader");
    reset(term);
    role = Role::leader;
    leader = config.id;
    for (const NodeId id : config.voters) {
      Progress pr(config.max_inflight_messages);
      pr.next = log.last_index() + 1;
      if (id == config.id) {
        // The leader's own log counts toward commit only once durable.
        pr.match = log.stable();
        pr.state = ProgressState::replicate;
        pr.recently_active = true;
      }
      progress.emplace(id, std::move(pr));
    }
    emit(EventKind::became_leader, config.id, 0, "won election");
    // Section 5.4.2 / Figure 8: a leader commits entries of earlier terms only
    // by committing one of its own, so it appends a no-op right away.
    log.append(Entry{term, log.last_index() + 1, {}});
    bcast_append();
  }

  // --- elections -------------------------------------------------------------

  void start_election(const std::string& reason) {
    if (config.pre_vote) {
      campaign(CampaignKind::pre_vote, reason);
    } else {
      campaign(CampaignKind::election, reason);
    }
  }

  void campaign(CampaignKind kind, const std::string& reason) {
    if (role == Role::leader || !is_voter(config.id)) return;
    // A node that may have forgotten a vote or acknowledged entries it lost
    // must not lead: it could win with a log missing committed entries.
    if (repairing) return;
    Term request_term = 0;
    MessageType request_type = MessageType::vote_request;
    if (kind == CampaignKind::pre_vote) {
      become_pre_candidate(reason);
      request_term = term + 1;
      request_type = MessageType::pre_vote_request;
    } else {
      become_candidate(reason);
      request_term = term;
    }
    if (poll(config.id, true)) return;  // single-node group: already decided
    for (const NodeId id : config.voters) {
      if (id == config.id) continue;
      Message request;
      request.type = request_type;
      request.to = id;
      request.term = request_term;
      request.index = log.last_index();
      request.log_term = log.last_term();
      request.leader_transfer = kind == CampaignKind::transfer;
      send(std::move(request));
    }
  }

  // Records a (pre-)vote answer; returns true when it decided the election
  // (and the resulting transition has been made).
  bool poll(NodeId from, bool granted) {
    votes.emplace(from, granted);  // only the first answer of each voter counts
    std::size_t granted_count = 0;
    std::size_t rejected_count = 0;
    for (const auto& [id, yes] : votes) (yes ? granted_count : rejected_count)++;
    if (granted_count >= quorum()) {
      if (role == Role::pre_candidate) {
        campaign(CampaignKind::election, "pre-vote won");
      } else {
        become_leader();
      }
      return true;
    }
    if (config.voters.size() - rejected_count < quorum()) {
      hit(role == Role::pre_candidate ? Probe::pre_vote_rejected : Probe::election_lost);
      become_follower(term, kNoNode,
                      role == Role::pre_candidate ? "pre-vote lost" : "election lost");
      return true;
    }
    return false;
  }

  void handle_vote_request(const Message& m) {
    const bool pre = m.type == MessageType::pre_vote_request;
    const MessageType response_type =
        pre ? MessageType::pre_vote_response : MessageType::vote_response;
    if (repairing) {
      // PAR: our vote and log may be older than what we told others; a vote
      // now could be a second vote in a term, or elect a leader that lacks
      // entries we helped commit. Abstain until repaired.
      Message response;
      response.type = response_type;
      response.to = m.from;
      response.term = term;
      response.reject = true;
      emit(EventKind::vote_rejected, m.from, 0, "repairing damaged storage");
      send(std::move(response));
      return;
    }
    // Section 5.2: at most one vote per term (vote is restored from the
    // HardState). A pre-vote for a future term binds nothing.
    const bool can_vote =
        vote == m.from || (vote == kNoNode && leader == kNoNode) || (pre && m.term > term);
    // Section 5.4.1: if the candidate's log is less complete than ours, we
    // cannot give it our vote.
    const bool up_to_date = log.is_up_to_date(m.index, m.log_term);
    Message response;
    response.type = response_type;
    response.to = m.from;
    if (can_vote && up_to_date) {
      // A granted pre-vote carries the requested term so that the
      // pre-candidate can tell it from a stale answer.
      response.term = pre ? m.term : term;
      if (!pre) {
        election_elapsed = 0;
        vote = m.from;
      }
      emit(EventKind::vote_granted, m.from, 0, pre ? "pre-vote" : "vote");
    } else {
      response.term = term;
      response.reject = true;
      std::string reason;
      if (!can_vote && vote != kNoNode) {
        reason = "already voted for " + std::to_string(vote);
      } else if (!can_vote) {
        reason = "already following leader " + std::to_string(leader);
      } else {
        reason = "log not up to date";
        hit(Probe::vote_rejected_stale_log);
      }
      emit(EventKind::vote_rejected, m.from, 0, std::move(reason));
    }
    send(std::move(response));
  }

  // --- replication (leader side) ---------------------------------------------

  // The snapshot at the log's boundary: the received one the log still
  // holds, or else the stored one, read from storage (raft-rs asks its
  // Storage the same way), which must be the one compact() was told of.
  Snapshot snapshot_to_send() const {
    if (const Bytes* held = log.held_snapshot_image()) return Snapshot{log.snapshot_meta(), *held};
    RAFT_ASSERT(static_cast<bool>(config.snapshot_source),
                "a compacted log needs Config::snapshot_source to send its snapshot");
    Snapshot stored = config.snapshot_source();
    RAFT_ASSERT(stored.meta.index == log.snapshot_meta().index &&
                    stored.meta.term == log.snapshot_meta().term,
                "snapshot_source returned another snapshot than the log's boundary");
    return stored;
  }

  // Sends the follower what it is missing. Returns false when nothing was sent.
  bool send_append(NodeId to, bool send_if_empty) {
    Progress& pr = progress.at(to);
    if (pr.is_paused()) {
      if (pr.state == ProgressState::replicate) hit(Probe::inflight_window_full);
      return false;
    }
    const Index previous_index = pr.next - 1;
    const std::optional<Term> previous_term = log.term_at(previous_index);
    if (!previous_term.has_value()) {
      // The entries this follower needs are compacted: send the image.
      const SnapshotMeta& meta = log.snapshot_meta();
      RAFT_ASSERT(meta.index > 0, "a compacted log must hold a snapshot");
      Message m;
      m.type = MessageType::snapshot;
      m.to = to;
      m.term = term;
      m.snapshot = snapshot_to_send();
      send(std::move(m));
      pr.become_snapshot(meta.index);
      ++counters.snapshots_sent;
      hit(Probe::snapshot_sent);
      return true;
    }
    std::vector<Entry> entries =
        log.slice(pr.next, log.last_index() + 1, config.max_entries_per_message);
    if (entries.empty() && !send_if_empty) return false;
    const Index last_sent = entries.empty() ? 0 : entries.back().index;
    Message m;
    m.type = MessageType::append;
    m.to = to;
    m.term = term;
    m.index = previous_index;
    m.log_term = *previous_term;
    m.entries = std::move(entries);
    m.commit = log.committed();
    send(std::move(m));
    if (last_sent != 0) {
      pr.sent_entries(last_sent);
    } else if (pr.state == ProgressState::probe) {
      pr.probe_sent = true;
    }
    return true;
  }

  void bcast_append() {
    for (const NodeId id : config.voters) {
      if (id != config.id) send_append(id, true);
    }
  }

  void bcast_heartbeat() {
    for (const NodeId id : config.voters) {
      if (id == config.id) continue;
      Message m;
      m.type = MessageType::heartbeat;
      m.to = id;
      m.term = term;
      // Never tell a follower to commit beyond what it is known to match.
      m.commit = std::min(progress.at(id).match, log.committed());
      send(std::move(m));
    }
  }

  // Section 5.3/5.4.2: commit the highest index stored on a quorum, but only
  // if it belongs to the current term (Figure 8). Returns true on progress.
  bool maybe_commit() {
    std::vector<Index> matches;
    matches.reserve(progress.size());
    for (const auto& [id, pr] : progress) matches.push_back(pr.match);
    std::sort(matches.begin(), matches.end(), std::greater<>());
    const Index candidate = matches[quorum() - 1];
    if (candidate <= log.committed()) return false;
    if (log.term_at(candidate) != term) {
      hit(Probe::commit_waits_for_own_term);
      return false;
    }
    log.commit_to(candidate);
    emit(EventKind::commit_advanced, kNoNode, candidate, "quorum stored");
    return true;
  }

  bool quorum_active() const {
    std::size_t active = 0;
    for (const auto& [id, pr] : progress) {
      if (id == config.id || pr.recently_active) ++active;
    }
    return active >= quorum();
  }

  void send_timeout_now(NodeId to) {
    Message m;
    m.type = MessageType::timeout_now;
    m.to = to;
    m.term = term;
    send(std::move(m));
  }

  void handle_append_response(const Message& m) {
    Progress& pr = progress.at(m.from);
    pr.recently_active = true;
    if (config.protocol_aware_recovery && m.reject && m.repairing && m.index >= pr.match &&
        m.reject_hint < pr.match) {
      // The follower's log ends below what it acknowledged: its storage lost
      // synced entries (a corrupt record cut at load). Whatever it held up to
      // its real last index is a prefix of what it acknowledged, so it still
      // matches ours there; everything above no longer counts toward commit
      // and is probed and resent from there (not from match + 1, which the
      // follower can never accept).
      emit(EventKind::follower_log_regressed, m.from, m.reject_hint,
           "follower lost acknowledged entries");
      pr.regress_to(m.reject_hint);
      send_append(m.from, true);
      return;
    }
    if (m.reject) {
      // Fast back-off: jump over the follower's conflicting term at once.
      Index next_probe = m.reject_hint;
      if (m.hint_term > 0) {
        next_probe = log.find_conflict_by_term(m.reject_hint, m.hint_term).first;
      }
      // Legacy: the answer to the latest probe is resent at once even when
      // it moves nothing (the resend loop of issue 11).
      const bool legacy_resend = !config.protocol_aware_recovery &&
                                 pr.state != ProgressState::replicate && pr.next == m.index + 1;
      if (pr.maybe_decrease_to(m.index, next_probe) || legacy_resend) {
        pr.probe_sent = false;
        if (pr.state == ProgressState::replicate) pr.become_probe();
        send_append(m.from, true);
      }
      return;
    }
    if (m.index > log.last_index()) {
      ++counters.malformed_messages;  // acknowledges entries we never had
      return;
    }
    const bool was_paused = pr.is_paused();
    if (!pr.maybe_update(m.index)) {
      if (pr.state == ProgressState::replicate) pr.inflights.free_le(m.index);
      return;
    }
    switch (pr.state) {
      case ProgressState::probe:
        pr.become_replicate();
        break;
      case ProgressState::snapshot:
        if (pr.match + 1 >= log.first_index()) {
          pr.become_probe();
          pr.become_replicate();
        }
        break;
      case ProgressState::replicate:
        pr.inflights.free_le(m.index);
        break;
    }
    if (maybe_commit()) {
      bcast_append();
    } else if (was_paused) {
      // The follower may not know the commit index yet: send even if empty.
      send_append(m.from, true);
    }
    // Stream what is left, bounded by the inflight window.
    for (std::size_t i = 0; i <= config.max_inflight_messages; ++i) {
      if (!send_append(m.from, false)) break;
    }
    if (m.from == transfer_target && pr.match == log.last_index()) send_timeout_now(m.from);
  }

  void handle_heartbeat_response(const Message& m) {
    Progress& pr = progress.at(m.from);
    pr.recently_active = true;
    pr.probe_sent = false;
    if (pr.state == ProgressState::replicate) {
      // The simulated network may drop appends and nobody reports it. The
      // follower tells us its last index; if it stays behind what we sent for
      // two heartbeat round trips in a row, the appends were lost: probe.
      const bool behind = m.index < pr.next - 1;
      pr.stalled_heartbeats = behind ? pr.stalled_heartbeats + 1 : 0;
      if (pr.stalled_heartbeats >= 2) {
        pr.become_probe();
      } else if (pr.inflights.full()) {
        pr.inflights.free_first_one();
      }
    }
    // A repairing follower below match lost entries it acknowledged: an
    // append makes it reject with its real last index, which re-probes it
    // (handle_append_response). At most one per heartbeat, like the
    // catch-up append.
    const bool lost_entries = m.repairing && m.index < pr.match;
    if (pr.match < log.last_index() || lost_entries) send_append(m.from, true);
  }

  // --- replication (follower side) -------------------------------------------

  void respond_append(NodeId to, Index index, bool reject = false, Index hint = 0,
                      Term hint_term = 0) {
    Message r;
    r.type = MessageType::append_response;
    r.to = to;
    r.term = term;
    r.index = index;
    r.reject = reject;
    r.reject_hint = hint;
    r.hint_term = hint_term;
    r.repairing = repairing;
    send(std::move(r));
  }

  void handle_append(const Message& m) {
    if (m.index < log.committed()) {
      // Stale: everything up to commit is settled; tell the leader so.
      respond_append(m.from, log.committed());
      return;
    }
    // Section 5.3, the consistency check: the entry before the new ones must
    // match in index and term.
    if (!log.match_term(m.index, m.log_term)) {
      const Index hint_index = std::min(m.index, log.last_index());
      const auto [hint, hint_term] = log.find_conflict_by_term(hint_index, m.log_term);
      respond_append(m.from, m.index, true, hint, hint_term);
      return;
    }
    const Index conflict = log.find_conflict(m.entries);
    if (conflict != 0) {
      // conflict > m.index >= committed: committed entries are never removed.
      const std::size_t offset = conflict - (m.index + 1);
      const bool truncated =
          log.truncate_and_append(std::span<const Entry>(m.entries).subspan(offset));
      if (truncated) {
        hit(Probe::conflict_truncation);
        emit(EventKind::log_truncated, m.from, conflict, "conflicting entry from leader");
      }
    }
    const Index last_new = m.index + m.entries.size();
    // Figure 2, receiver rule 5: commit only what this append verified. Our
    // log may go on beyond last_new with entries of an older term that the
    // leader's log does not hold (only a stale append can leave them there).
    if (m.commit > last_new && log.last_index() > last_new) hit(Probe::commit_capped_at_last_new);
    log.commit_to(std::min(m.commit, last_new));
    respond_append(m.from, last_new);
  }

  void handle_heartbeat(const Message& m) {
    log.commit_to(std::min(m.commit, log.last_index()));
    Message r;
    r.type = MessageType::heartbeat_response;
    r.to = m.from;
    r.term = term;
    r.index = log.last_index();  // lets the leader notice lost appends
    r.repairing = repairing;
    send(std::move(r));
  }

  void handle_snapshot(const Message& m) {
    const Snapshot& snapshot = *m.snapshot;
    if (snapshot.meta.index <= log.committed()) {
      // A stale (delayed or duplicated) snapshot: installing it would roll
      // back entries we already hold as committed.
      hit(Probe::stale_snapshot_ignored);
      respond_append(m.from, log.committed());
      return;
    }
    if (log.match_term(snapshot.meta.index, snapshot.meta.term)) {
      // We already hold that prefix: just learn that it is committed.
      log.commit_to(snapshot.meta.index);
      respond_append(m.from, log.committed());
      return;
    }
    log.restore(snapshot);
    ++counters.snapshots_installed;
    hit(Probe::snapshot_installed);
    emit(EventKind::snapshot_installed, m.from, snapshot.meta.index, "leader sent snapshot");
    respond_append(m.from, log.last_index());
  }

  // --- input -------------------------------------------------------------------

  bool is_well_formed(const Message& m) const {
    if (!is_valid_type(m.type)) return false;
    if (m.to != config.id || m.from == config.id || !is_voter(m.from)) return false;
    if (m.term == 0 && m.type != MessageType::pre_vote_response) return false;
    switch (m.type) {
      case MessageType::append: {
        if (m.log_term > m.term) return false;
        if (m.entries.size() > kMaxEntriesPerIncomingAppend) return false;
        if (m.index > std::numeric_limits<Index>::max() - m.entries.size() - 1) return false;
        Term previous_term = m.log_term;
        for (std::size_t i = 0; i < m.entries.size(); ++i) {
          const Entry& entry = m.entries[i];
          if (entry.index != m.index + 1 + i) return false;
          if (entry.term < previous_term || entry.term > m.term) return false;
          previous_term = entry.term;
        }
        return true;
      }
      case MessageType::snapshot:
        return m.snapshot.has_value() && m.snapshot->meta.index > 0 && m.snapshot->meta.term > 0 &&
               m.snapshot->meta.term <= m.term;
      case MessageType::pre_vote_request:
      case MessageType::vote_request:
        return m.log_term <= m.term;
      default:
        return true;
    }
  }

  void step(const Message& m) {
    ++counters.messages_stepped;
    if (!is_well_formed(m)) {
      ++counters.malformed_messages;
      return;
    }
    const bool is_vote_request =
        m.type == MessageType::pre_vote_request || m.type == MessageType::vote_request;
    if (m.term > term) {
      if (is_vote_request) {
        // Leader lease (thesis 4.2.3 / 9.6): a node that heard from a leader
        // within the election timeout ignores candidates, so a partitioned
        // node rejoining cannot depose a healthy leader. Votes honour it
        // with check-quorum (as etcd does), pre-votes always.
        const bool lease_applies = m.type == MessageType::pre_vote_request || config.check_quorum;
        const bool in_lease = leader != kNoNode && election_elapsed < config.election_ticks;
        if (lease_applies && in_lease && !m.leader_transfer) {
          hit(Probe::vote_rejected_leader_lease);
          emit(EventKind::vote_rejected, m.from, 0, "leader lease");
          return;
        }
      }
      if (m.type == MessageType::pre_vote_request) {
        // A pre-vote for a future term changes nothing here.
      } else if (m.type == MessageType::pre_vote_response && !m.reject) {
        // A granted pre-vote carries the term we would campaign in.
      } else {
        if (role == Role::leader) hit(Probe::stale_leader_step_down);
        become_follower(m.term, is_from_leader(m.type) ? m.from : kNoNode, "higher term seen");
      }
    } else if (m.term < term) {
      ++counters.stale_term_messages;
      if ((config.check_quorum || config.pre_vote) &&
          (m.type == MessageType::append || m.type == MessageType::heartbeat)) {
        // A stale leader (e.g. after a partition) learns our term and steps
        // down; with pre-vote its followers cannot raise theirs otherwise.
        hit(Probe::stale_leader_told);
        respond_append(m.from, 0);
      } else if (m.type == MessageType::pre_vote_request) {
        Message r;
        r.type = MessageType::pre_vote_response;
        r.to = m.from;
        r.term = term;
        r.reject = true;
        send(std::move(r));
      }
      return;
    }

    if (is_vote_request) {
      handle_vote_request(m);
      return;
    }
    switch (role) {
      case Role::leader:
        step_leader(m);
        break;
      case Role::pre_candidate:
      case Role::candidate:
        step_candidate(m);
        break;
      case Role::follower:
        step_follower(m);
        break;
    }
  }

  void step_leader(const Message& m) {
    switch (m.type) {
      case MessageType::append_response:
        handle_append_response(m);
        return;
      case MessageType::heartbeat_response:
        handle_heartbeat_response(m);
        return;
      default:
        // Includes another "leader" of our own term, possible only when
        // some node broke its persistence contract; the checkers see it.
        ++counters.ignored_messages;
        return;
    }
  }

  void step_candidate(const Message& m) {
    if (is_from_leader(m.type)) {
      // Section 5.2: a leader of our term exists; recognise it.
      become_follower(term, m.from, "leader discovered");
      step_follower(m);
      return;
    }
    const MessageType expected =
        role == Role::pre_candidate ? MessageType::pre_vote_response : MessageType::vote_response;
    if (m.type != expected) {
      ++counters.ignored_messages;
      return;
    }
    poll(m.from, !m.reject);
  }

  void step_follower(const Message& m) {
    switch (m.type) {
      case MessageType::append:
        election_elapsed = 0;
        leader = m.from;
        note_leader_commit(m.commit);
        handle_append(m);
        maybe_finish_repair();
        return;
      case MessageType::heartbeat:
        election_elapsed = 0;
        leader = m.from;
        handle_heartbeat(m);
        return;
      case MessageType::snapshot:
        election_elapsed = 0;
        leader = m.from;
        note_leader_commit(m.snapshot->meta.index);
        handle_snapshot(m);
        maybe_finish_repair();
        return;
      case MessageType::timeout_now:
        // Thesis 3.10: the leader asked us to take over; skip pre-vote.
        if (repairing) {
          ++counters.ignored_messages;
          return;
        }
        hit(Probe::leader_transfer);
        campaign(CampaignKind::transfer, "leader transfer");
        return;
      default:
        ++counters.ignored_messages;
        return;
    }
  }

  // PAR: the leader's commit index when it first reaches a repairing node
  // bounds what that node may have helped commit; it must hold at least that.
  void note_leader_commit(Index leader_commit) {
    if (!repairing || repair_target_from_leader) return;
    repair_target = std::max(repair_target, leader_commit);
    repair_target_from_leader = true;
  }

  // Called after a leader's message and after each advance(): repaired once
  // the durable log reaches the target. The vote goes to the leader we
  // caught up with, so a vote we may have cast and forgotten in this term
  // cannot be followed by one for another candidate.
  void maybe_finish_repair() {
    if (!repairing || !repair_target_from_leader || role != Role::follower) return;
    if (leader == kNoNode || log.stable() < repair_target) return;
    repairing = false;
    if (vote == kNoNode) vote = leader;
    emit(EventKind::storage_repaired, leader, repair_target, "caught up with leader");
  }

  void tick() {
    if (role == Role::leader) {
      tick_leader();
      return;
    }
    ++election_elapsed;
    if (is_voter(config.id) && election_elapsed >= randomized_election_ticks) {
      election_elapsed = 0;
      if (repairing) return;  // PAR: wait for a leader to repair us
      // Nobody won the last election in time (votes split, or lost).
      if (role == Role::candidate) hit(Probe::split_vote);
      start_election("election timeout");
    }
  }

  void tick_leader() {
    ++heartbeat_elapsed;
    ++election_elapsed;
    if (election_elapsed >= config.election_ticks) {
      election_elapsed = 0;
      if (config.check_quorum && !quorum_active()) {
        hit(Probe::check_quorum_step_down);
        become_follower(term, kNoNode, "check-quorum lost");
        return;
      }
      for (auto& [id, pr] : progress) {
        if (id != config.id) pr.recently_active = false;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      transfer_target = kNoNode;
    }
    for (auto& [id, pr] : progress) {
      if (pr.state == ProgressState::snapshot &&
          ++pr.snapshot_elapsed_ticks >= config.election_ticks) {
        // Presumed lost: probe from what the follower is known to hold, which
        // leads to the snapshot being sent again.
        pr.pending_snapshot = 0;
        pr.become_probe();
      }
    }
    if (heartbeat_elapsed >= config.heartbeat_ticks) {
      heartbeat_elapsed = 0;
      bcast_heartbeat();
    }
  }

  void check_invariants() const {
    log.check_invariants();
    RAFT_ASSERT(term >= log.last_term(), "no log entry is from a future term");
    RAFT_ASSERT(role != Role::leader || leader == config.id, "a leader knows it leads");
    RAFT_ASSERT(role != Role::candidate || vote == config.id, "a candidate votes for itself");
    RAFT_ASSERT(role == Role::leader || progress.empty(), "only leaders track progress");
  }
};

Raft::Raft(Config config, RestoredState restored)
    : state_(std::make_unique<State>(std::move(config), std::move(restored))) {
  state_->check_invariants();
}
Raft::~Raft() = default;
Raft::Raft(Raft&&) noexcept = default;
Raft& Raft::operator=(Raft&&) noexcept = default;

void Raft::tick() {
  state_->tick();
  state_->check_invariants();
}

void Raft::step(const Message& message) {
  state_->step(message);
  state_->check_invariants();
}

ProposeResult Raft::propose(Bytes data) {
  State& s = *state_;
  ProposeResult result;
  result.term = s.term;
  result.leader_hint = s.leader;
  if (s.role != Role::leader) {
    result.status = ProposeResult::Status::not_leader;
    return result;
  }
  if (s.transfer_target != kNoNode) {
    result.status = ProposeResult::Status::transfer_in_progress;
    return result;
  }
  const Index index = s.log.last_index() + 1;
  s.log.append(Entry{s.term, index, std::move(data)});
  for (const NodeId id : s.config.voters) {
    if (id != s.config.id) s.send_append(id, false);
  }
  result.status = ProposeResult::Status::accepted;
  result.index = index;
  s.check_invariants();
  return result;
}

void Raft::campaign() {
  if (state_->role == Role::leader) return;
  state_->election_elapsed = 0;
  state_->start_election("campaign requested");
  state_->check_invariants();
}

void Raft::transfer_leadership(NodeId to) {
  State& s = *state_;
  if (s.role != Role::leader || to == s.config.id || !s.is_voter(to)) return;
  if (s.transfer_target == to) return;
  s.transfer_target = to;
  // The transfer must finish within one election timeout (thesis 3.10).
  s.election_elapsed = 0;
  s.emit(EventKind::leader_transfer_started, to, 0, "transfer requested");
  if (s.progress.at(to).match == s.log.last_index()) {
    s.send_timeout_now(to);
  } else {
    s.send_append(to, true);
  }
}

void Raft::compact(Index index) {
  state_->log.compact(index, state_->config.voters);
  state_->check_invariants();
}

bool Raft::has_ready() const {
  const State& s = *state_;
  if (s.ready_outstanding) return false;
  return !s.messages.empty() || !s.events.empty() || s.log.has_unstable_entries() ||
         s.log.has_pending_snapshot() || s.log.has_next_committed() ||
         s.hard_state() != s.last_ready_hard_state;
}

Ready Raft::ready() {
  State& s = *state_;
  RAFT_ASSERT(!s.ready_outstanding, "ready() called again before advance()");
  Ready rd;
  rd.hard_state = s.hard_state();
  rd.hard_state_changed = rd.hard_state != s.last_ready_hard_state;
  rd.snapshot = s.log.take_pending_snapshot();
  rd.entries = s.log.take_unstable_entries();
  rd.committed_entries = s.log.take_next_committed(kMaxCommittedEntriesPerReady);
  rd.messages = std::move(s.messages);
  s.messages.clear();
  rd.events = std::move(s.events);
  s.events.clear();
  rd.must_sync = !rd.entries.empty() || rd.snapshot.has_value() ||
                 rd.hard_state.term != s.last_ready_hard_state.term ||
                 rd.hard_state.vote != s.last_ready_hard_state.vote;
  s.last_ready_hard_state = rd.hard_state;
  s.ready_outstanding = true;
  return rd;
}

void Raft::advance(const Ready& rd) {
  State& s = *state_;
  RAFT_ASSERT(s.ready_outstanding, "advance() without an outstanding ready()");
  s.ready_outstanding = false;
  if (rd.snapshot.has_value()) {
    s.log.stable_snapshot_to(rd.snapshot->meta.index);
    s.log.applied_to(std::min(rd.snapshot->meta.index, s.log.applying()));
  }
  if (!rd.entries.empty()) s.log.stable_to(rd.entries.back().index, rd.entries.back().term);
  if (!rd.committed_entries.empty()) s.log.applied_to(rd.committed_entries.back().index);
  if (s.role == Role::leader) {
    Progress& self = s.progress.at(s.config.id);
    if (s.log.stable() > self.match) {
      self.match = s.log.stable();
      self.next = self.match + 1;
      if (s.maybe_commit()) s.bcast_append();
    }
  }
  s.maybe_finish_repair();
  s.check_invariants();
}

std::vector<Message> Raft::take_early_messages() {
  std::vector<Message> early;
  take_early_messages(early);
  return early;
}

void Raft::take_early_messages(std::vector<Message>& out) {
  State& s = *state_;
  out.clear();
  if (s.messages.empty()) return;
  const bool all_early = std::none_of(s.messages.begin(), s.messages.end(),
                                      [](const Message& m) { return needs_durable_state(m); });
  if (all_early) {
    // The usual case (heartbeats and their answers): everything leaves, in
    // order, and the queue keeps its capacity.
    std::swap(out, s.messages);
    s.messages.clear();
    return;
  }
  // stable_partition keeps both halves in queue order, so neither the early
  // messages nor the ones held back are reordered among themselves.
  const auto held = std::stable_partition(s.messages.begin(), s.messages.end(),
                                          [](const Message& m) { return !needs_durable_state(m); });
  out.assign(std::make_move_iterator(s.messages.begin()), std::make_move_iterator(held));
  s.messages.erase(s.messages.begin(), held);
  for (const Message& m : s.messages) {
    RAFT_ASSERT(needs_durable_state(m), "only messages that need durable state stay queued");
  }
}

NodeId Raft::id() const { return state_->config.id; }
Role Raft::role() const { return state_->role; }
Term Raft::term() const { return state_->term; }
NodeId Raft::vote() const { return state_->vote; }
bool Raft::repairing() const { return state_->repairing; }
NodeId Raft::leader() const { return state_->leader; }
NodeId Raft::transfer_target() const { return state_->transfer_target; }
Index Raft::commit_index() const { return state_->log.committed(); }
Index Raft::applied_index() const { return state_->log.applied(); }
Index Raft::first_index() const { return state_->log.first_index(); }
Index Raft::last_index() const { return state_->log.last_index(); }
Term Raft::last_term() const { return state_->log.last_term(); }
std::optional<Term> Raft::term_at(Index index) const { return state_->log.term_at(index); }
const Entry* Raft::entry_at(Index index) const { return state_->log.entry_at(index); }
const Config& Raft::config() const { return state_->config; }
const RaftCounters& Raft::counters() const { return state_->counters; }

std::vector<ProgressView> Raft::progress() const {
  std::vector<ProgressView> views;
  for (const auto& [id, pr] : state_->progress) {
    views.push_back(
        ProgressView{id, pr.match, pr.next, pr.state, pr.recently_active, pr.inflights.count()});
  }
  return views;
}

}  // namespace simrun::raft
