// Randomized safety test of the Raft core: 3- and 5-node groups under random
// schedules (message drops, reorders, duplicates, partitions, crashes that
// keep only what the persistence contract made durable, crashes in the
// middle of a Ready, compactions, leader transfers, ticks and proposals),
// with the cross-node safety checker (sim/safety_checker.h) run after every
// step. After the fault phase the group is healed and must elect a leader
// and commit a proposal within a bound (a loose liveness check).
//
// Reproduce one seed with verbose output:
//   SIMRUN_PROPERTY_SEED=1234 build/raft/raft_property_test
// Scale the run: SIMRUN_PROPERTY_SEEDS=N (default kDefaultSeeds).

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "raft/applied_image.h"
#include "raft/memory_storage.h"
#include "raft/raft.h"
#include "sim/hash.h"
#include "sim/random.h"
#include "sim/safety_checker.h"

namespace simrun::raft {
namespace {

constexpr std::uint64_t kDefaultSeeds = 5000;
constexpr int kFaultSteps = 1000;
constexpr std::size_t kMaxInFlight = 512;  // the network's bound; beyond it, sends are lost
constexpr int kMaxStabilizeRounds = 200;
constexpr const char* kGroup = "prop";

// Where we are, for the abort handler: a RAFT_ASSERT inside the core aborts
// the process, and the seed must still be printed so it can be reproduced.
std::uint64_t g_current_seed = 0;
int g_current_step = 0;

extern "C" void print_seed_on_abort(int) {
  std::fprintf(stderr, "\nraft property test aborted at seed=%llu step=%d\n",
               static_cast<unsigned long long>(g_current_seed), g_current_step);
}

// A broken invariant of the harness or the core's output. Thrown, not
// REQUIREd, so run_seed can report it with the seed and the recent actions
// (and so a mutant run counts it as caught).
struct HarnessFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void ensure(bool condition, const std::string& what) {
  if (!condition) throw HarnessFailure(what);
}

std::uint64_t entry_hash(const Entry& entry) { return sim::hash_bytes(entry.data); }

// Application state: the applied non-empty entries (raft/applied_image.h).
// A corrupt image is a harness failure, reported with the seed.
AppliedList decode_image(const Bytes& image) {
  try {
    return decode_applied_image(image);
  } catch (const std::runtime_error& error) {
    throw HarnessFailure(error.what());
  }
}

struct Node {
  NodeId id = kNoNode;
  Config config;
  std::unique_ptr<Raft> raft;  // null while crashed
  MemoryStorage storage;       // durable
  // Volatile application state.
  AppliedList applied;
  Index applied_index = 0;
  Index commit_observed = 0;  // commits up to here were fed to the checker
};

struct Options {
  NodeId nodes = 3;
  bool pre_vote = true;
  bool check_quorum = false;
  int election_ticks = 10;
  // Deliberately broken harnesses ("mutants"), to show the checks can fail:
  // send every message of a Ready before persisting it (breaks rule 1 of
  // the persistence contract) ...
  bool mutant_send_before_persist = false;
  // ... or lose the vote in a crash (the field report's mechanism 7).
  bool mutant_forget_vote = false;
  // Multiplies the crash and restart weights (the mutants need more crashes
  // to be caught reliably).
  double crash_boost = 1.0;
};

struct Stats {
  std::uint64_t runs = 0;
  std::uint64_t steps = 0;
  std::uint64_t leaders = 0;  // (term, leader) pairs seen
  std::uint64_t commits = 0;  // highest commit index, summed over runs
  std::uint64_t crashes = 0;
  std::uint64_t snapshots_installed = 0;
  std::uint64_t max_term = 0;
};

class Cluster {
 public:
  Cluster(std::uint64_t seed, Options options, bool verbose)
      : seed_(seed),
        options_(options),
        verbose_(verbose),
        schedule_(sim::Rng::stream(seed, "schedule")) {
    checker_.set_violation_handler([this](const sim::SafetyViolation& v) {
      if (first_violation_.empty()) {
        first_violation_ = "[" + v.checker + "] " + v.detail;
      }
    });
    std::vector<std::uint32_t> members;
    for (NodeId id = 1; id <= options_.nodes; ++id) {
      members.push_back(id);
      voters_.push_back(id);
    }
    checker_.set_members(kGroup, members);
    for (NodeId id = 1; id <= options_.nodes; ++id) {
      auto n = std::make_unique<Node>();
      n->id = id;
      n->config.id = id;
      n->config.voters = voters_;
      n->config.election_ticks = options_.election_ticks;
      n->config.heartbeat_ticks = 1;
      n->config.pre_vote = options_.pre_vote;
      n->config.check_quorum = options_.check_quorum;
      n->config.max_inflight_messages = 4;
      n->config.max_entries_per_message = 3;
      auto rng = std::make_shared<sim::Rng>(sim::Rng::stream(seed, "node/" + std::to_string(id)));
      n->config.random_below = [rng](std::uint64_t bound) { return rng->below(bound); };
      n->config.snapshot_source = [node = n.get()] { return node->storage.snapshot(); };
      n->raft = std::make_unique<Raft>(n->config, RestoredState{});
      checker_.observe_restart(kGroup, id, 0);
      nodes_.push_back(std::move(n));
    }
  }

  // One random action of the fault phase.
  void random_step(int step) {
    checker_.set_time(step);
    const double crash_boost = options_.crash_boost;
    const double kWeights[] = {
        16,                 // 0 tick a node
        30,                 // 1 deliver a random message (reorders)
        25,                 // 2 process a node's Ready
        8,                  // 3 propose
        3,                  // 4 drop a message
        2,                  // 5 duplicate a message
        0.8,                // 6 partition
        1.2,                // 7 heal
        0.6 * crash_boost,  // 8 crash
        1.5 * crash_boost,  // 9 restart
        0.4 * crash_boost,  // 10 crash in the middle of a Ready
        1.5,                // 11 compact
        0.3,                // 12 transfer leadership
        8,                  // 13 deliver a burst: the oldest messages in order
    };
    std::size_t action = schedule_.weighted_choice(kWeights);
    Node& n = *nodes_[schedule_.below(nodes_.size())];
    switch (action) {
      case 0:
        if (n.raft) {
          log("tick " + std::to_string(n.id));
          n.raft->tick();
        }
        break;
      case 1:
        if (!in_flight_.empty()) deliver(schedule_.below(in_flight_.size()), false);
        break;
      case 2:
        if (n.raft) process_ready(n);
        break;
      case 3: {
        // Mostly to a leader, as clients that follow leader hints would.
        Node* target = &n;
        if (schedule_.bernoulli(0.7)) {
          for (auto& candidate : nodes_) {
            if (candidate->raft && candidate->raft->role() == Role::leader)
              target = candidate.get();
          }
        }
        if (target->raft) propose(*target);
        break;
      }
      case 4:
        if (!in_flight_.empty()) {
          std::size_t i = schedule_.below(in_flight_.size());
          log("drop " + describe(in_flight_[i]));
          in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
        }
        break;
      case 5:
        if (!in_flight_.empty()) deliver(schedule_.below(in_flight_.size()), true);
        break;
      case 6:
        partition();
        break;
      case 7:
        if (!side_.empty()) log("heal");
        side_.clear();
        break;
      case 8:
        if (n.raft) crash(n);
        break;
      case 9:
        if (!n.raft) restart(n);
        break;
      case 10:
        if (n.raft) crash_mid_ready(n);
        break;
      case 11:
        if (n.raft) compact(n);
        break;
      case 12:
        if (n.raft && n.raft->role() == Role::leader) {
          NodeId to = static_cast<NodeId>(schedule_.below(nodes_.size()) + 1);
          log("transfer " + std::to_string(n.id) + " -> " + std::to_string(to));
          n.raft->transfer_leadership(to);
        }
        break;
      case 13:
        for (std::size_t burst = std::min<std::size_t>(in_flight_.size(), 8); burst > 0; --burst) {
          deliver(0, false);
        }
        break;
      default:
        throw HarnessFailure("unknown action");
    }
  }

  // Heals everything and runs fault-free rounds; true once a proposal made
  // in this phase is committed by a leader.
  bool run_liveness_phase(int max_rounds) {
    side_.clear();
    for (auto& n : nodes_) {
      if (!n->raft) restart(*n);
    }
    std::optional<std::pair<Term, Index>> pending;
    for (int round = 0; round < max_rounds; ++round) {
      checker_.set_time(1'000'000 + round);
      for (auto& n : nodes_) n->raft->tick();
      stabilize();
      check_all();
      if (!violation().empty()) return false;
      for (auto& n : nodes_) {
        const Raft& r = *n->raft;
        if (r.role() != Role::leader) continue;
        if (pending && r.commit_index() >= pending->second &&
            r.term_at(pending->second) == pending->first) {
          return true;
        }
        if (!pending || r.term_at(pending->second) != pending->first) {
          ProposeResult result = n->raft->propose(to_bytes("live-" + std::to_string(round)));
          if (result.status == ProposeResult::Status::accepted) {
            pending = std::make_pair(result.term, result.index);
            log("liveness proposal at " + std::to_string(result.term) + "/" +
                std::to_string(result.index));
          }
        }
      }
    }
    return false;
  }

  // The safety checks, after every step.
  void check_all() {
    std::vector<sim::LogView> views;
    for (auto& n : nodes_) {
      if (!n->raft) continue;
      const Raft& r = *n->raft;
      ensure(r.commit_index() <= r.last_index(),
             "node " + std::to_string(n->id) + " commit beyond its log");
      // Feed newly committed entries (all of them once after a restart).
      for (Index i = std::max(n->commit_observed, r.first_index() - 1) + 1; i <= r.commit_index();
           ++i) {
        const Entry* e = r.entry_at(i);
        ensure(e != nullptr, "committed entry " + std::to_string(i) + " missing at node " +
                                 std::to_string(n->id));
        checker_.observe_commit(kGroup, n->id, i, {e->term, entry_hash(*e)}, r.term());
      }
      n->commit_observed = std::max(n->commit_observed, r.commit_index());
      views.push_back(view_of(*n));
      if (r.role() == Role::leader) {
        if (leader_terms_.insert(r.term()).second) ++stats_.leaders;
        checker_.observe_leader(kGroup, n->id, r.term());
        checker_.check_leader_log(kGroup, r.term(), views.back());
      }
    }
    checker_.check_logs(kGroup, views);
  }

  const std::string& violation() const { return first_violation_; }
  std::string where() const {
    return " (seed=" + std::to_string(seed_) + " step=" + std::to_string(g_current_step) + ")";
  }
  std::string recent_actions() const {
    std::string out;
    for (const std::string& line : recent_) out += "  " + line + "\n";
    return out;
  }
  // Adds this run's counts to `total`.
  void add_stats(Stats& total) const {
    total.runs += 1;
    total.leaders += stats_.leaders;
    total.crashes += stats_.crashes;
    total.snapshots_installed += stats_.snapshots_installed;
    Index commit = 0;
    for (const auto& n : nodes_) {
      if (!n->raft) continue;
      total.max_term = std::max<std::uint64_t>(total.max_term, n->raft->term());
      commit = std::max(commit, n->raft->commit_index());
    }
    total.commits += commit;
  }

 private:
  static Bytes to_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

  static std::string describe(const Message& m) {
    return std::to_string(m.from) + "->" + std::to_string(m.to) + " " + to_string(m.type) + " t" +
           std::to_string(m.term) + " i" + std::to_string(m.index) + " lt" +
           std::to_string(m.log_term) + " c" + std::to_string(m.commit) +
           (m.reject ? " reject" : "") + " n" + std::to_string(m.entries.size());
  }

  void log(std::string line) {
    if (verbose_) MESSAGE(g_current_step << ": " << line);
    recent_.push_back(std::move(line));
    if (recent_.size() > 40) recent_.erase(recent_.begin());
  }

  sim::LogView view_of(const Node& n) const {
    const Raft* r = n.raft.get();
    return sim::LogView{n.id, r->first_index(), r->last_index(), r->commit_index(),
                        [r](std::uint64_t index) {
                          const Entry* e = r->entry_at(index);
                          ensure(e != nullptr, "entry_at inside [first, last] is null");
                          return sim::LogEntryId{e->term, entry_hash(*e)};
                        }};
  }

  bool connected(NodeId from, NodeId to) const {
    if (side_.empty()) return true;
    return side_.at(from) == side_.at(to);
  }

  void send(const Message& m) {
    if (in_flight_.size() >= kMaxInFlight) return;  // a full network loses messages
    in_flight_.push_back(m);
  }

  void deliver(std::size_t i, bool duplicate) {
    Message m = in_flight_[i];
    if (!duplicate) in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
    Node& target = *nodes_[m.to - 1];
    log(std::string(duplicate ? "deliver copy " : "deliver ") + describe(m));
    if (!target.raft || !connected(m.from, m.to)) return;
    target.raft->step(m);
  }

  void propose(Node& n) {
    ProposeResult result =
        n.raft->propose(to_bytes("s" + std::to_string(seed_) + "-" + std::to_string(++proposals_)));
    if (result.status == ProposeResult::Status::accepted) {
      log("propose at " + std::to_string(n.id) + " -> " + std::to_string(result.term) + "/" +
          std::to_string(result.index));
    }
  }

  // A Ready the storage rejects is a harness failure, reported with the seed.
  static void persist(Node& n, const Ready& rd) {
    try {
      n.storage.persist(rd);
    } catch (const std::runtime_error& error) {
      throw HarnessFailure(error.what());
    }
  }

  void process_ready(Node& n) {
    if (!n.raft->has_ready()) return;
    Ready rd = n.raft->ready();
    log("ready " + std::to_string(n.id) + ": " + std::to_string(rd.entries.size()) + " entries, " +
        std::to_string(rd.committed_entries.size()) + " committed, " +
        std::to_string(rd.messages.size()) + " messages" + (rd.snapshot ? ", snapshot" : ""));
    persist(n, rd);
    if (rd.snapshot) {
      n.applied = decode_image(rd.snapshot->data);
      n.applied_index = rd.snapshot->meta.index;
      checker_.observe_snapshot_restore(kGroup, n.id, rd.snapshot->meta.index,
                                        rd.snapshot->meta.term);
      ++stats_.snapshots_installed;
    }
    for (const Message& m : rd.messages) send(m);
    for (const Entry& e : rd.committed_entries) {
      ensure(e.index == n.applied_index + 1, "node " + std::to_string(n.id) + " applies " +
                                                 std::to_string(e.index) + " after " +
                                                 std::to_string(n.applied_index));
      checker_.observe_apply(kGroup, n.id, e.index, {e.term, entry_hash(e)});
      n.applied_index = e.index;
      if (!e.data.empty())
        n.applied.emplace_back(e.index, std::string(e.data.begin(), e.data.end()));
    }
    n.raft->advance(rd);
  }

  // Rule 2 of the persistence contract: messages that do not need durable
  // state may leave before the Ready is persisted. Crash right after them.
  void crash_mid_ready(Node& n) {
    if (!n.raft->has_ready()) return;
    Ready rd = n.raft->ready();
    std::size_t sent = 0;
    for (const Message& m : rd.messages) {
      if (options_.mutant_send_before_persist || !needs_durable_state(m)) {
        send(m);
        ++sent;
      }
    }
    log("crash " + std::to_string(n.id) + " mid-ready after " + std::to_string(sent) +
        " early messages");
    drop_volatile(n);
  }

  void crash(Node& n) {
    log("crash " + std::to_string(n.id));
    drop_volatile(n);
  }

  void drop_volatile(Node& n) {
    ++stats_.crashes;
    n.raft.reset();
    n.applied.clear();
    n.applied_index = 0;
    n.commit_observed = 0;
  }

  void restart(Node& n) {
    log("restart " + std::to_string(n.id));
    if (options_.mutant_forget_vote) {
      HardState lost = n.storage.hard_state();
      lost.vote = kNoNode;
      n.storage.overwrite_hard_state(lost);
    }
    n.raft = std::make_unique<Raft>(n.config, n.storage.restored());
    n.applied = decode_image(n.storage.snapshot().data);
    n.applied_index = n.storage.snapshot().meta.index;
    n.commit_observed = 0;
    checker_.observe_restart(kGroup, n.id, n.applied_index);
  }

  void compact(Node& n) {
    // Compact to the applied index, keeping a short tail so that some
    // followers still catch up by log and others need the snapshot.
    Index index = n.applied_index;
    if (index <= n.storage.snapshot().meta.index + 2) return;
    // applied but not persisted yet is impossible here
    if (!n.storage.term_at(index)) return;
    n.storage.compact(index, encode_applied_image(n.applied, index), voters_);
    log("compact " + std::to_string(n.id) + " to " + std::to_string(index));
    n.raft->compact(index);
  }

  void partition() {
    side_.clear();
    // Each node on side 0 or 1 at random (all on one side is a heal).
    for (const auto& n : nodes_) side_[n->id] = static_cast<int>(schedule_.below(2));
    std::string text = "partition";
    for (const auto& [id, side] : side_) {
      // Appended piecewise: gcc 12 warns (-Wrestrict, falsely) on " " + to_string(...).
      text += ' ';
      text += std::to_string(id);
      text += ':';
      text += std::to_string(side);
    }
    log(text);
  }

  // Fault-free: process every Ready and deliver every message, in order,
  // until nothing moves (bounded).
  void stabilize() {
    for (int round = 0; round < kMaxStabilizeRounds; ++round) {
      bool moved = false;
      for (auto& n : nodes_) {
        if (n->raft && n->raft->has_ready()) {
          process_ready(*n);
          moved = true;
        }
      }
      std::vector<Message> batch = std::move(in_flight_);
      in_flight_.clear();
      for (const Message& m : batch) {
        Node& target = *nodes_[m.to - 1];
        if (target.raft) target.raft->step(m);
        moved = true;
      }
      if (!moved) return;
    }
    throw HarnessFailure("fault-free delivery did not converge within " +
                         std::to_string(kMaxStabilizeRounds) + " rounds");
  }

  std::uint64_t seed_;
  Options options_;
  bool verbose_;
  sim::Rng schedule_;
  std::vector<NodeId> voters_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Message> in_flight_;
  std::map<NodeId, int> side_;  // empty: fully connected
  sim::SafetyChecker checker_;
  std::string first_violation_;
  std::vector<std::string> recent_;
  std::uint64_t proposals_ = 0;
  std::set<Term> leader_terms_;
  Stats stats_;
};

Options options_for_seed(std::uint64_t seed) {
  sim::Rng rng = sim::Rng::stream(seed, "options");
  Options options;
  options.nodes = rng.bernoulli(0.6) ? 3 : 5;
  options.pre_vote = rng.bernoulli(0.5);
  options.check_quorum = rng.bernoulli(0.5);
  options.election_ticks = static_cast<int>(rng.uniform_int(3, 12));
  return options;
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtoull(value, nullptr, 10);
}

// Runs one seed; returns an empty string or the failure description.
std::string run_seed(std::uint64_t seed, Options options, bool verbose, Stats& stats) {
  g_current_seed = seed;
  Cluster cluster(seed, options, verbose);
  auto failure = [&](const std::string& what) {
    return "seed=" + std::to_string(seed) + " step=" + std::to_string(g_current_step) + " (" +
           std::to_string(options.nodes) + " nodes, prevote=" + (options.pre_vote ? "1" : "0") +
           " checkquorum=" + (options.check_quorum ? "1" : "0") +
           " election=" + std::to_string(options.election_ticks) + "): " + what +
           "\nlast actions:\n" + cluster.recent_actions() +
           "reproduce: SIMRUN_PROPERTY_SEED=" + std::to_string(seed) +
           (options.mutant_send_before_persist ? " SIMRUN_PROPERTY_MUTANT=1" : "") +
           (options.mutant_forget_vote ? " SIMRUN_PROPERTY_MUTANT=2" : "") + " raft_property_test";
  };
  try {
    for (int step = 0; step < kFaultSteps; ++step) {
      g_current_step = step;
      cluster.random_step(step);
      cluster.check_all();
      if (!cluster.violation().empty()) return failure(cluster.violation());
    }
    g_current_step = kFaultSteps;
    // Loose liveness: a healed group elects a leader and commits within a
    // bound of a few dozen election timeouts.
    if (!cluster.run_liveness_phase(40 * options.election_ticks)) {
      if (!cluster.violation().empty()) return failure(cluster.violation());
      return failure("no proposal committed after healing");
    }
  } catch (const HarnessFailure& error) {
    return failure(error.what());
  }
  cluster.add_stats(stats);
  stats.steps += kFaultSteps;
  return {};
}

}  // namespace

TEST_CASE("raft safety under random schedules (property test)") {
  std::signal(SIGABRT, print_seed_on_abort);
  const std::uint64_t only_seed = env_number("SIMRUN_PROPERTY_SEED", 0);
  const std::uint64_t seeds = env_number("SIMRUN_PROPERTY_SEEDS", kDefaultSeeds);
  const std::uint64_t mutant = env_number("SIMRUN_PROPERTY_MUTANT", 0);
  Stats stats;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    if (only_seed != 0 && seed != only_seed) continue;
    Options options = options_for_seed(seed);
    // SIMRUN_PROPERTY_MUTANT=1|2 reproduces a mutant run of the test below.
    options.mutant_send_before_persist = mutant == 1;
    options.mutant_forget_vote = mutant == 2;
    if (mutant != 0) options.crash_boost = 5.0;
    std::string failure = run_seed(seed, options, only_seed != 0, stats);
    if (!failure.empty()) FAIL(failure);
  }
  MESSAGE(stats.runs << " seeds x " << kFaultSteps
                     << " fault steps; leaders elected: " << stats.leaders
                     << "; commit index sum: " << stats.commits << "; crashes: " << stats.crashes
                     << "; snapshots installed: " << stats.snapshots_installed
                     << "; highest term: " << stats.max_term);
  CHECK(stats.runs > 0);
  // The schedules must actually exercise what they claim to.
  if (only_seed == 0 && seeds >= 100) {
    CHECK(stats.snapshots_installed > 0);
    CHECK(stats.crashes > 0);
    CHECK(stats.commits > stats.runs);
  }
}

// The checks must be able to fail: a harness that breaks the persistence
// contract has to be caught within a few hundred seeds.
TEST_CASE("the property test catches a harness that breaks the persistence contract") {
  if (env_number("SIMRUN_PROPERTY_SEED", 0) != 0) return;
  const std::uint64_t kMutantSeeds = env_number("SIMRUN_MUTANT_SEEDS", 1000);
  for (int mutant = 1; mutant <= 2; ++mutant) {
    CAPTURE(mutant);
    std::uint64_t caught = 0;
    std::uint64_t first_caught_seed = 0;
    for (std::uint64_t seed = 1; seed <= kMutantSeeds; ++seed) {
      Options options = options_for_seed(seed);
      options.mutant_send_before_persist = mutant == 1;
      options.mutant_forget_vote = mutant == 2;
      options.crash_boost = 5.0;
      Stats stats;
      if (!run_seed(seed, options, false, stats).empty()) {
        if (caught++ == 0) first_caught_seed = seed;
      }
    }
    MESSAGE("mutant " << mutant << ": caught in " << caught << " of " << kMutantSeeds
                      << " seeds, first at seed " << first_caught_seed);
    CHECK(caught > 0);
  }
}

}  // namespace simrun::raft
