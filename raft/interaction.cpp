#include "raft/interaction.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "raft/applied_image.h"
#include "raft/memory_storage.h"

namespace simrun::raft {
namespace {

// Bounds on the harness itself, so a livelocked protocol fails the test
// instead of hanging it.
constexpr int kMaxStabilizeRounds = 1000;
constexpr int kMaxTicksPerCommand = 10000;
constexpr NodeId kMaxNodes = 9;

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.emplace_back(line.substr(start, i - start));
  }
  return words;
}

std::uint64_t parse_number(const std::string& text) {
  if (text.empty() || text.size() > 18) fail("not a number: '" + text + "'");
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') fail("not a number: '" + text + "'");
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

bool parse_bool(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  fail("not a boolean: '" + text + "'");
}

std::string quote(const Bytes& data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::uint8_t byte : data) {
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  out += '"';
  return out;
}

std::string join_ids(const std::vector<NodeId>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ' ';
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

const char* to_string(ProgressState state) {
  switch (state) {
    case ProgressState::probe:
      return "probe";
    case ProgressState::replicate:
      return "replicate";
    case ProgressState::snapshot:
      return "snapshot";
  }
  return "unknown";
}

}  // namespace

std::string format_entry(const Entry& entry) {
  return std::to_string(entry.term) + "/" + std::to_string(entry.index) + " " + quote(entry.data);
}

std::string format_message(const Message& m) {
  std::string out = std::to_string(m.from) + "->" + std::to_string(m.to) + " " + to_string(m.type) +
                    " term=" + std::to_string(m.term);
  // Every field that is not at its default, in a fixed order, so a golden
  // shows exactly what went on the wire.
  if (m.index != 0) out += " index=" + std::to_string(m.index);
  if (m.log_term != 0) out += " log_term=" + std::to_string(m.log_term);
  if (m.commit != 0) out += " commit=" + std::to_string(m.commit);
  if (m.reject) out += " reject";
  if (m.leader_transfer) out += " leader_transfer";
  if (m.reject_hint != 0) out += " reject_hint=" + std::to_string(m.reject_hint);
  if (m.hint_term != 0) out += " hint_term=" + std::to_string(m.hint_term);
  if (!m.entries.empty()) {
    out += " entries=[";
    for (std::size_t i = 0; i < m.entries.size(); ++i) {
      if (i > 0) out += ", ";
      out += format_entry(m.entries[i]);
    }
    out += "]";
  }
  if (m.snapshot) {
    out += " snapshot=" + std::to_string(m.snapshot->meta.term) + "/" +
           std::to_string(m.snapshot->meta.index) + " voters=" + join_ids(m.snapshot->meta.voters);
  }
  return out;
}

std::string format_event(const Event& e) {
  std::string out = std::string(to_string(e.kind)) + " term=" + std::to_string(e.term);
  if (e.peer != kNoNode) out += " peer=" + std::to_string(e.peer);
  if (e.index != 0) out += " index=" + std::to_string(e.index);
  if (!e.reason.empty()) out += " reason=\"" + e.reason + "\"";
  return out;
}

struct InteractionEnv::Node {
  NodeId id = kNoNode;
  Config config;
  std::unique_ptr<Raft> raft;  // null while crashed
  MemoryStorage storage;       // durable: what survives a crash
  // Volatile application state.
  AppliedList applied;  // non-empty entries applied
  Index applied_index = 0;
  std::string last_state;  // last printed "State:" line
};

InteractionEnv::InteractionEnv(RandomFactory random_factory)
    : random_factory_(std::move(random_factory)) {
  if (!random_factory_) fail("InteractionEnv needs a random factory");
}

InteractionEnv::~InteractionEnv() = default;

InteractionEnv::Node& InteractionEnv::node(NodeId id) {
  if (id == kNoNode || id > nodes_.size()) fail("no node " + std::to_string(id));
  return *nodes_[id - 1];
}

InteractionEnv::Node& InteractionEnv::running_node(NodeId id) {
  Node& n = node(id);
  if (!n.raft) fail("node " + std::to_string(id) + " is crashed");
  return n;
}

std::vector<NodeId> InteractionEnv::node_ids(const std::vector<std::string>& args,
                                             std::size_t from) const {
  std::vector<NodeId> ids;
  if (args.size() <= from) {
    for (const auto& n : nodes_) ids.push_back(n->id);
    return ids;
  }
  for (std::size_t i = from; i < args.size(); ++i) {
    ids.push_back(static_cast<NodeId>(parse_number(args[i])));
  }
  return ids;
}

std::string InteractionEnv::run(std::string_view command_line) {
  std::vector<std::string> args = split_words(command_line);
  if (args.empty()) fail("empty command");
  const std::string& cmd = args[0];
  auto arg = [&](std::size_t i) -> std::uint64_t {
    if (i >= args.size()) fail(cmd + ": missing argument " + std::to_string(i));
    return parse_number(args[i]);
  };
  auto count_arg = [&](std::size_t i) -> int {
    std::uint64_t count = i < args.size() ? parse_number(args[i]) : 1;
    if (count > static_cast<std::uint64_t>(kMaxTicksPerCommand)) fail("too many ticks");
    return static_cast<int>(count);
  };
  std::string out;
  if (cmd == "seed") {
    if (!nodes_.empty()) fail("seed must come before add-nodes");
    seed_ = arg(1);
  } else if (cmd == "add-nodes") {
    add_nodes(args, out);
  } else if (cmd == "campaign") {
    Node& n = running_node(static_cast<NodeId>(arg(1)));
    n.raft->campaign();
    note_state_change(n, out);
  } else if (cmd == "tick") {
    Node& n = running_node(static_cast<NodeId>(arg(1)));
    int count = count_arg(2);
    for (int i = 0; i < count; ++i) n.raft->tick();
    note_state_change(n, out);
  } else if (cmd == "tick-all") {
    int count = count_arg(1);
    for (int i = 0; i < count; ++i) {
      for (auto& n : nodes_) {
        if (n->raft) n->raft->tick();
      }
    }
    for (auto& n : nodes_) {
      if (n->raft) note_state_change(*n, out);
    }
  } else if (cmd == "propose") {
    Node& n = running_node(static_cast<NodeId>(arg(1)));
    if (args.size() < 3) fail("propose: missing data");
    ProposeResult result = n.raft->propose(Bytes(args[2].begin(), args[2].end()));
    switch (result.status) {
      case ProposeResult::Status::accepted:
        out += "accepted term=" + std::to_string(result.term) +
               " index=" + std::to_string(result.index) + "\n";
        break;
      case ProposeResult::Status::not_leader:
        out += "not_leader leader_hint=" + std::to_string(result.leader_hint) + "\n";
        break;
      case ProposeResult::Status::transfer_in_progress:
        out += "transfer_in_progress\n";
        break;
    }
  } else if (cmd == "transfer-leader") {
    Node& n = running_node(static_cast<NodeId>(arg(1)));
    n.raft->transfer_leadership(static_cast<NodeId>(arg(2)));
    note_state_change(n, out);
  } else if (cmd == "process-ready") {
    for (NodeId id : node_ids(args, 1)) {
      Node& n = node(id);
      if (n.raft) process_ready(n, out);
    }
  } else if (cmd == "deliver-msgs" || cmd == "drop-msgs") {
    deliver(args, cmd == "drop-msgs", out);
  } else if (cmd == "partition") {
    partition_side_.clear();
    int side = 0;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "/") {
        ++side;
        continue;
      }
      NodeId id = static_cast<NodeId>(parse_number(args[i]));
      node(id);  // validates
      partition_side_[id] = side;
    }
    for (const auto& n : nodes_) {
      if (partition_side_.count(n->id) == 0) fail("partition must place every node");
    }
  } else if (cmd == "heal") {
    partition_side_.clear();
  } else if (cmd == "stabilize") {
    stabilize(args, out);
  } else if (cmd == "crash") {
    crash(running_node(static_cast<NodeId>(arg(1))), out);
  } else if (cmd == "restart") {
    Node& n = node(static_cast<NodeId>(arg(1)));
    if (n.raft) fail("restart: node is running; crash it first");
    restart(n, out);
  } else if (cmd == "compact") {
    compact(running_node(static_cast<NodeId>(arg(1))), arg(2), out);
  } else if (cmd == "print-state") {
    print_state(out);
  } else if (cmd == "log") {
    print_log(node(static_cast<NodeId>(arg(1))), out);
  } else if (cmd == "status") {
    print_status(node(static_cast<NodeId>(arg(1))), out);
  } else if (cmd == "state-machine") {
    print_state_machine(node(static_cast<NodeId>(arg(1))), out);
  } else {
    fail("unknown command '" + cmd + "'");
  }
  if (out.empty()) out = "ok\n";
  return out;
}

void InteractionEnv::add_nodes(const std::vector<std::string>& args, std::string& out) {
  if (!nodes_.empty()) fail("add-nodes: nodes already exist");
  if (args.size() < 2) fail("add-nodes: missing count");
  NodeId count = static_cast<NodeId>(parse_number(args[1]));
  if (count == 0 || count > kMaxNodes) fail("add-nodes: between 1 and 9 nodes");
  Config base;
  base.pre_vote = true;
  base.check_quorum = false;
  for (std::size_t i = 2; i < args.size(); ++i) {
    std::size_t eq = args[i].find('=');
    if (eq == std::string::npos) fail("add-nodes: expected key=value, got " + args[i]);
    std::string key = args[i].substr(0, eq);
    std::string value = args[i].substr(eq + 1);
    if (key == "election") {
      base.election_ticks = static_cast<int>(parse_number(value));
    } else if (key == "heartbeat") {
      base.heartbeat_ticks = static_cast<int>(parse_number(value));
    } else if (key == "prevote") {
      base.pre_vote = parse_bool(value);
    } else if (key == "checkquorum") {
      base.check_quorum = parse_bool(value);
    } else if (key == "max-inflight") {
      base.max_inflight_messages = parse_number(value);
    } else if (key == "max-entries") {
      base.max_entries_per_message = parse_number(value);
    } else {
      fail("add-nodes: unknown option " + key);
    }
  }
  for (NodeId id = 1; id <= count; ++id) base.voters.push_back(id);
  for (NodeId id = 1; id <= count; ++id) {
    auto n = std::make_unique<Node>();
    n->id = id;
    n->config = base;
    n->config.id = id;
    n->config.random_below = random_factory_(seed_, id);
    n->config.snapshot_source = [node = n.get()] { return node->storage.snapshot(); };
    n->raft = std::make_unique<Raft>(n->config, RestoredState{});
    nodes_.push_back(std::move(n));
  }
  for (auto& n : nodes_) note_state_change(*n, out);
}

void InteractionEnv::note_state_change(Node& n, std::string& out) {
  std::string state = "State: " + std::to_string(n.id) + " " + to_string(n.raft->role()) +
                      " term=" + std::to_string(n.raft->term()) +
                      " leader=" + std::to_string(n.raft->leader());
  if (state != n.last_state) {
    out += state + "\n";
    n.last_state = state;
  }
}

bool InteractionEnv::process_ready(Node& n, std::string& out) {
  if (!n.raft->has_ready()) return false;
  Ready rd = n.raft->ready();
  out += "> " + std::to_string(n.id) + " handling Ready\n";
  note_state_change(n, out);
  // 1. Persist: snapshot, then entries, then hard state (atomically here).
  // A storage error throws, so the text printed here never outlives it.
  if (rd.snapshot) {
    const SnapshotMeta& meta = rd.snapshot->meta;
    out += "  Snapshot " + std::to_string(meta.term) + "/" + std::to_string(meta.index) +
           " voters=" + join_ids(meta.voters) + "\n";
  }
  if (!rd.entries.empty()) {
    out += "  Entries:\n";
    for (const Entry& e : rd.entries) out += "    " + format_entry(e) + "\n";
  }
  if (rd.hard_state_changed) {
    out += "  HardState term=" + std::to_string(rd.hard_state.term) +
           " vote=" + std::to_string(rd.hard_state.vote) +
           " commit=" + std::to_string(rd.hard_state.commit) + "\n";
  }
  n.storage.persist(rd);
  if (rd.snapshot) {
    n.applied = decode_applied_image(rd.snapshot->data);
    n.applied_index = rd.snapshot->meta.index;
  }
  // 2. Apply committed entries, in order.
  if (!rd.committed_entries.empty()) {
    out += "  CommittedEntries:\n";
    for (const Entry& e : rd.committed_entries) {
      out += "    " + format_entry(e) + "\n";
      if (e.index != n.applied_index + 1) {
        fail("node " + std::to_string(n.id) + " asked to apply index " + std::to_string(e.index) +
             " after " + std::to_string(n.applied_index));
      }
      n.applied_index = e.index;
      if (!e.data.empty())
        n.applied.emplace_back(e.index, std::string(e.data.begin(), e.data.end()));
    }
  }
  // 3. Send (durable state is already written, so every message may leave).
  if (!rd.messages.empty()) {
    out += "  Messages:\n";
    for (const Message& m : rd.messages) {
      out += "    " + format_message(m) + "\n";
      in_flight_.push_back(m);
    }
  }
  if (!rd.events.empty()) {
    out += "  Events:\n";
    for (const Event& e : rd.events) out += "    " + format_event(e) + "\n";
  }
  n.raft->advance(rd);
  note_state_change(n, out);
  return true;
}

bool InteractionEnv::connected(NodeId from, NodeId to) const {
  if (partition_side_.empty()) return true;
  return partition_side_.at(from) == partition_side_.at(to);
}

void InteractionEnv::deliver(const std::vector<std::string>& args, bool drop, std::string& out) {
  NodeId only_from = kNoNode;
  NodeId only_to = kNoNode;
  if (args.size() > 2) fail(args[0] + ": at most one selector");
  if (args.size() == 2 && args[1] != "all") {
    std::size_t arrow = args[1].find("->");
    if (arrow == std::string::npos) {
      only_to = static_cast<NodeId>(parse_number(args[1]));
    } else {
      only_from = static_cast<NodeId>(parse_number(args[1].substr(0, arrow)));
      only_to = static_cast<NodeId>(parse_number(args[1].substr(arrow + 2)));
    }
  }
  // Take the selected messages first: those sent while delivering wait for
  // the next command, as on a real network.
  std::vector<Message> selected;
  std::vector<Message> rest;
  for (Message& m : in_flight_) {
    bool match =
        (only_from == kNoNode || m.from == only_from) && (only_to == kNoNode || m.to == only_to);
    (match ? selected : rest).push_back(std::move(m));
  }
  in_flight_ = std::move(rest);
  for (const Message& m : selected) {
    if (drop) {
      out += "dropped: " + format_message(m) + "\n";
      continue;
    }
    Node& target = node(m.to);
    if (!target.raft) {
      out += "dropped (crashed): " + format_message(m) + "\n";
    } else if (!connected(m.from, m.to)) {
      out += "dropped (partition): " + format_message(m) + "\n";
    } else {
      out += format_message(m) + "\n";
      target.raft->step(m);
    }
  }
  for (auto& n : nodes_) {
    if (n->raft) note_state_change(*n, out);
  }
}

bool InteractionEnv::deliver_all(std::string& out) {
  if (in_flight_.empty()) return false;
  std::vector<Message> batch = std::move(in_flight_);
  in_flight_.clear();
  // Grouped by recipient, in id order, each recipient in send order.
  for (const auto& n : nodes_) {
    bool header = false;
    for (const Message& m : batch) {
      if (m.to != n->id) continue;
      if (!header) {
        out += "> " + std::to_string(n->id) + " receiving messages\n";
        header = true;
      }
      if (!n->raft) {
        out += "  dropped (crashed): " + format_message(m) + "\n";
      } else if (!connected(m.from, m.to)) {
        out += "  dropped (partition): " + format_message(m) + "\n";
      } else {
        out += "  " + format_message(m) + "\n";
        n->raft->step(m);
      }
    }
    if (n->raft) note_state_change(*n, out);
  }
  return true;
}

void InteractionEnv::stabilize(const std::vector<std::string>& args, std::string& out) {
  std::vector<NodeId> ids = node_ids(args, 1);
  for (int round = 0; round < kMaxStabilizeRounds; ++round) {
    bool progress = false;
    for (NodeId id : ids) {
      Node& n = node(id);
      if (n.raft && process_ready(n, out)) progress = true;
    }
    if (deliver_all(out)) progress = true;
    if (!progress) return;
  }
  fail("stabilize did not converge within " + std::to_string(kMaxStabilizeRounds) + " rounds");
}

void InteractionEnv::crash(Node& n, std::string& out) {
  n.raft.reset();
  n.applied.clear();
  n.applied_index = 0;
  n.last_state.clear();
  const HardState& durable = n.storage.hard_state();
  out += "crashed " + std::to_string(n.id) + ": durable term=" + std::to_string(durable.term) +
         " vote=" + std::to_string(durable.vote) + " commit=" + std::to_string(durable.commit) +
         " snapshot=" + std::to_string(n.storage.snapshot().meta.index) +
         " last_index=" + std::to_string(n.storage.last_index()) + "\n";
}

void InteractionEnv::restart(Node& n, std::string& out) {
  n.raft = std::make_unique<Raft>(n.config, n.storage.restored());
  n.applied = decode_applied_image(n.storage.snapshot().data);
  n.applied_index = n.storage.snapshot().meta.index;
  note_state_change(n, out);
}

void InteractionEnv::compact(Node& n, Index index, std::string& out) {
  if (index > n.applied_index) fail("compact: index beyond applied");
  // Throws unless index is stored above the current snapshot.
  const Snapshot& snap =
      n.storage.compact(index, encode_applied_image(n.applied, index), n.config.voters);
  n.raft->compact(index);
  out += "compacted " + std::to_string(n.id) + " to " + std::to_string(snap.meta.term) + "/" +
         std::to_string(index) + "; first_index=" + std::to_string(n.raft->first_index()) + "\n";
}

void InteractionEnv::print_state(std::string& out) const {
  for (const auto& n : nodes_) {
    out += std::to_string(n->id) + ": ";
    if (!n->raft) {
      out += "crashed\n";
      continue;
    }
    const Raft& r = *n->raft;
    out += std::string(to_string(r.role())) + " term=" + std::to_string(r.term()) +
           " vote=" + std::to_string(r.vote()) + " leader=" + std::to_string(r.leader()) +
           " log=" + std::to_string(r.first_index()) + ".." + std::to_string(r.last_index()) +
           " last_term=" + std::to_string(r.last_term()) +
           " commit=" + std::to_string(r.commit_index()) +
           " applied=" + std::to_string(n->applied_index) + "\n";
  }
}

void InteractionEnv::print_log(const Node& n, std::string& out) const {
  // What is durable (the storage), which is also what a restart sees.
  const Snapshot& snapshot = n.storage.snapshot();
  if (snapshot.meta.index != 0) {
    out += "snapshot " + std::to_string(snapshot.meta.term) + "/" +
           std::to_string(snapshot.meta.index) + "\n";
  }
  for (const Entry& e : n.storage.entries()) out += format_entry(e) + "\n";
  if (out.empty()) out = "empty\n";
}

void InteractionEnv::print_status(const Node& n, std::string& out) const {
  if (!n.raft) {
    out += std::to_string(n.id) + ": crashed\n";
    return;
  }
  out += std::to_string(n.id) + ": " + to_string(n.raft->role()) +
         " term=" + std::to_string(n.raft->term()) + "\n";
  for (const ProgressView& p : n.raft->progress()) {
    out += "  " + std::to_string(p.id) + ": " + to_string(p.state) +
           " match=" + std::to_string(p.match) + " next=" + std::to_string(p.next) +
           " inflight=" + std::to_string(p.inflight) + (p.recently_active ? " active" : "") + "\n";
  }
}

void InteractionEnv::print_state_machine(const Node& n, std::string& out) const {
  out += "applied_index=" + std::to_string(n.applied_index) + "\n";
  for (const auto& [index, data] : n.applied) {
    out += "  " + std::to_string(index) + ": " + data + "\n";
  }
}

std::vector<TranscriptCase> parse_transcript(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  std::vector<TranscriptCase> cases;
  std::size_t i = 0;
  while (i < lines.size()) {
    if (lines[i].empty()) {
      ++i;
      continue;
    }
    TranscriptCase c;
    while (i < lines.size() && !lines[i].empty() && lines[i][0] == '#') {
      c.comments.push_back(lines[i]);
      ++i;
    }
    if (i >= lines.size() || lines[i].empty()) {
      // Trailing comments with no command: keep them as a comment-only case.
      if (!c.comments.empty()) cases.push_back(std::move(c));
      continue;
    }
    c.command = lines[i];
    c.line = static_cast<int>(i + 1);
    ++i;
    if (i < lines.size() && lines[i] == "----") {
      ++i;
      while (i < lines.size() && !lines[i].empty()) {
        c.output += lines[i] + "\n";
        ++i;
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

std::string render_transcript(const std::vector<TranscriptCase>& cases) {
  std::string out;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (i > 0) out += "\n";
    for (const std::string& comment : cases[i].comments) out += comment + "\n";
    if (cases[i].command.empty()) continue;
    out += cases[i].command + "\n----\n" + cases[i].output;
  }
  return out;
}

}  // namespace simrun::raft
