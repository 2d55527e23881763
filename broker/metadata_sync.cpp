#include "broker/metadata_sync.h"

#include <algorithm>
#include <utility>

#include "broker/events.h"
#include "broker/frame.h"
#include "broker/probe.h"
#include "sim/assert.h"
#include "sim/sync.h"

namespace simrun::broker {

namespace {

std::string propose_error_text(ProposeError error) {
  switch (error) {
    case ProposeError::none:
      return "";
    case ProposeError::not_leader:
      return "not the __meta leader";
    case ProposeError::leader_changed:
      return "__meta leader changed";
    case ProposeError::timeout:
      return "__meta proposal timed out";
    case ProposeError::stopped:
      return "__meta group stopped";
  }
  return "unknown error";
}

}  // namespace

struct MetaWriter::Pending {
  Pending(sim::Scheduler& scheduler, sim::ProcessId peer_process)
      : done(scheduler), peer(peer_process) {}
  sim::WaitQueue done;
  sim::ProcessId peer;
  bool reset = false;
  std::optional<Reply> reply;
};

MetaWriter::MetaWriter(sim::Env& env, raft::NodeId self, std::vector<sim::ProcessId> node_processes,
                       RaftGroup& meta)
    : env_(env), self_(self), node_processes_(std::move(node_processes)), meta_(meta) {
  SIMRUN_ASSERT(self_ >= 1 && self_ <= node_processes_.size(), "self must be a cluster node");
}

sim::ProcessId MetaWriter::process_of(raft::NodeId node) const {
  SIMRUN_ASSERT(node >= 1 && node <= node_processes_.size(), "unknown node id");
  return node_processes_[node - 1];
}

MetaWriteResult MetaWriter::write_local(wire::Bytes command, sim::duration_ns timeout) {
  ++stats_.local_writes;
  const ProposeOutcome outcome = meta_.propose_and_wait(std::move(command), timeout);
  if (outcome.error == ProposeError::none) return {true, {}};
  return {false, propose_error_text(outcome.error)};
}

MetaWriteResult MetaWriter::write(const MetaCommand& command, sim::duration_ns timeout) {
  SIMRUN_ASSERT(timeout > 0, "a __meta write needs a positive timeout");
  if (meta_.is_leader()) return write_local(encode_meta_command(command), timeout);
  const raft::NodeId leader = meta_.leader();
  if (leader == raft::kNoNode || leader == self_) {
    ++stats_.no_leader_failures;
    return {false, std::string(kNoLeaderError)};
  }
  if (pending_.size() >= kMaxPendingForwards) return {false, "too many forwarded __meta writes"};
  ++stats_.forwarded_writes;
  const std::uint64_t request_id = next_request_id_++;
  auto pending = std::make_shared<Pending>(env_.scheduler(), process_of(leader));
  pending_.emplace(request_id, pending);
  env_.send_stream(process_of(leader),
                   encode_forward(Forward{request_id, timeout, encode_meta_command(command)}));
  const sim::time_ns deadline = env_.now() + timeout;
  while (!pending->reply && !pending->reset) {
    const sim::duration_ns left = deadline - env_.now();
    if (left <= 0 || !pending->done.wait_for(left)) break;
  }
  pending_.erase(request_id);
  if (!pending->reply && pending->reset) return {false, "connection to the __meta leader reset"};
  if (!pending->reply) return {false, "forwarded __meta write timed out"};
  if (pending->reply->status == 0) return {true, {}};
  return {false, pending->reply->error};
}

bool MetaWriter::write_async(const MetaCommand& command) {
  if (meta_.is_leader()) {
    ++stats_.local_writes;
    return meta_.propose(encode_meta_command(command)).error == ProposeError::none;
  }
  const raft::NodeId leader = meta_.leader();
  if (leader == raft::kNoNode || leader == self_) {
    ++stats_.no_leader_failures;
    return false;
  }
  ++stats_.forwarded_writes;
  env_.send_stream(process_of(leader), encode_forward(Forward{0, 0, encode_meta_command(command)}));
  return true;
}

void MetaWriter::serve(const sim::Envelope& envelope) {
  auto forward = decode_forward(envelope.payload);
  if (!forward) return;  // garbage on the wire: the sender times out
  // Answers go on the forward's own connection (Env::reply): a node
  // restarted meanwhile numbers its forwards from 1 again and must not take
  // this answer for one of its own.
  sim::Envelope asked{envelope.from, envelope.to, envelope.message_id, envelope.sent_at, {}};
  asked.segment = envelope.segment;
  asked.connection = envelope.connection;
  if (forward->request_id == 0) {
    if (meta_.is_leader()) (void)meta_.propose(std::move(forward->command));
    return;
  }
  if (!meta_.is_leader()) {
    env_.reply(asked, encode_reply(
                          Reply{forward->request_id, 1, meta_.leader(), "not the __meta leader"}));
    return;
  }
  if (*serving_ >= kMaxServedForwards) {
    ++stats_.forwards_refused;
    env_.reply(asked,
               encode_reply(Reply{forward->request_id, 2, meta_.leader(), "__meta leader busy"}));
    return;
  }
  ++stats_.forwards_served;
  ++*serving_;
  // The fiber may outlive nothing it uses: `this` lives as long as the node
  // (a crash unwinds this fiber before the node's main fiber).
  env_.spawn("meta-forward", [this, asked, request = std::move(*forward), serving = serving_] {
    struct Release {
      std::shared_ptr<std::size_t> count;
      ~Release() { --*count; }
    } release{serving};
    const sim::duration_ns timeout =
        std::clamp<sim::duration_ns>(request.timeout_ns, 1, sim::seconds(600));
    MetaWriteResult result = write_local(request.command, timeout);
    env_.reply(asked,
               encode_reply(Reply{request.request_id, static_cast<std::uint8_t>(result.ok ? 0 : 2),
                                  meta_.leader(), result.error}));
  });
}

void MetaWriter::on_reset(sim::ProcessId peer) {
  for (auto& [request_id, pending] : pending_) {
    if (pending->peer != peer || pending->reply || pending->reset) continue;
    pending->reset = true;
    pending->done.notify_all();
  }
}

void MetaWriter::on_reply(const sim::Envelope& envelope) {
  auto reply = decode_reply(envelope.payload);
  if (!reply) return;
  const auto it = pending_.find(reply->request_id);
  if (it == pending_.end()) {
    ++stats_.stale_replies;
    return;
  }
  it->second->reply = std::move(*reply);
  it->second->done.notify_all();
}

wire::Bytes MetaWriter::encode_forward(const Forward& forward) {
  wire::Bytes out;
  wire::Writer writer(out);
  writer.u8(static_cast<std::uint8_t>(FrameKind::meta_forward));
  writer.u64(forward.request_id);
  writer.i64(forward.timeout_ns);
  writer.bytes(forward.command);
  return out;
}

std::optional<MetaWriter::Forward> MetaWriter::decode_forward(
    std::span<const std::uint8_t> payload) {
  wire::Reader reader(payload);
  Forward forward;
  const std::uint8_t kind = reader.u8("frame_kind");
  if (kind != static_cast<std::uint8_t>(FrameKind::meta_forward)) return std::nullopt;
  forward.request_id = reader.u64("request_id");
  forward.timeout_ns = reader.i64("timeout_ns");
  forward.command = reader.bytes("command", 1u << 20);
  reader.expect_end("meta_forward");
  if (!reader.ok()) return std::nullopt;
  return forward;
}

wire::Bytes MetaWriter::encode_reply(const Reply& reply) {
  wire::Bytes out;
  wire::Writer writer(out);
  writer.u8(static_cast<std::uint8_t>(FrameKind::meta_forward_reply));
  writer.u64(reply.request_id);
  writer.u8(reply.status);
  writer.u32(reply.leader_hint);
  writer.string(reply.error.substr(0, wire::kMaxStringBytes));
  return out;
}

std::optional<MetaWriter::Reply> MetaWriter::decode_reply(std::span<const std::uint8_t> payload) {
  wire::Reader reader(payload);
  Reply reply;
  const std::uint8_t kind = reader.u8("frame_kind");
  if (kind != static_cast<std::uint8_t>(FrameKind::meta_forward_reply)) return std::nullopt;
  reply.request_id = reader.u64("request_id");
  reply.status = reader.u8("status");
  reply.leader_hint = reader.u32("leader_hint");
  reply.error = reader.string("error");
  reader.expect_end("meta_forward_reply");
  if (!reader.ok() || reply.status > 2) return std::nullopt;
  return reply;
}

sim::duration_ns retry_delay(const RetryPolicy& policy, int attempt, sim::Rng& rng) {
  SIMRUN_ASSERT(attempt >= 1, "attempts are 1-based");
  if (policy.delays_ms.empty()) return 0;
  const std::size_t slot =
      std::min(static_cast<std::size_t>(attempt - 1), policy.delays_ms.size() - 1);
  const sim::duration_ns base = sim::millis(policy.delays_ms[slot]);
  if (policy.jitter_fraction <= 0.0 || base == 0) return base;
  const double factor = 1.0 + policy.jitter_fraction * (2.0 * rng.uniform01() - 1.0);
  return std::max<sim::duration_ns>(
      0, static_cast<sim::duration_ns>(static_cast<double>(base) * factor));
}

bool run_assignment_sync(sim::Env& env, MetaWriter& writer, const RetryPolicy& policy,
                         raft::NodeId self, const MetaCommand& assignment) {
  SIMRUN_ASSERT(assignment.kind == MetaCommandKind::set_assignment,
                "the sync writes assignments only");
  SIMRUN_ASSERT(policy.max_attempts >= 1, "a sync makes at least one attempt");
  const std::string group = partition_group_name(assignment.topic, assignment.partition);
  const auto node = static_cast<std::int64_t>(self);
  const sim::duration_ns per_try_timeout =
      sim::millis(std::max<std::int64_t>(1, policy.per_try_timeout_ms));
  std::string error;
  for (int attempt = 1; attempt <= policy.max_attempts; ++attempt) {
    env.trace().record(events::kMetaSyncAttempt,
                       {{"node", node}, {"group", group}, {"attempt", attempt}});
    const MetaWriteResult result = writer.write(assignment, per_try_timeout);
    if (result.ok) {
      env.trace().record(events::kMetaSyncSucceeded,
                         {{"node", node}, {"group", group}, {"attempts", attempt}});
      return true;
    }
    error = result.error;
    if (attempt == policy.max_attempts) break;
    hit(env, Probe::metadata_retried);
    const sim::duration_ns delay = retry_delay(policy, attempt, env.rng());
    env.trace().record(
        events::kMetaSyncRetry,
        {{"node", node}, {"group", group}, {"attempt", attempt + 1}, {"delay_ns", delay}});
    if (delay > 0) env.sleep(delay);
  }
  hit(env, Probe::metadata_retry_exhausted);
  env.trace().record(
      events::kMetaSyncFailed,
      {{"node", node}, {"group", group}, {"attempts", policy.max_attempts}, {"error", error}});
  return false;
}

}  // namespace simrun::broker
