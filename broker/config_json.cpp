#include "broker/config_json.h"

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "broker/config_limits.h"
#include "sim/assert.h"

namespace simrun::broker {

namespace {

using nlohmann::json;

[[noreturn]] void fail(std::string_view path, std::string_view why) {
  throw std::invalid_argument(std::string(path) + ": " + std::string(why));
}

std::string join(std::string_view path, std::string_view key) {
  return std::string(path) + "." + std::string(key);
}

std::int64_t read_int(const json& value, std::string_view path, std::int64_t min_value,
                      std::int64_t max_value) {
  if (!value.is_number_integer()) fail(path, "expected an integer");
  std::int64_t number = 0;
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail(path, "integer out of range");
    }
    number = static_cast<std::int64_t>(unsigned_value);
  } else {
    number = value.get<std::int64_t>();
  }
  if (number < min_value || number > max_value) {
    fail(path, "expected an integer in [" + std::to_string(min_value) + ", " +
                   std::to_string(max_value) + "], got " + std::to_string(number));
  }
  return number;
}

// An integer knob within its row of kKnobLimits (`limit_path`).
std::int64_t read_knob(const json& value, std::string_view path, std::string_view limit_path) {
  const KnobLimit& limit = knob_limit(limit_path);
  return read_int(value, path, limit.min, limit.max);
}

int read_small_knob(const json& value, std::string_view path, std::string_view limit_path) {
  const KnobLimit& limit = knob_limit(limit_path);
  SIMRUN_ASSERT(limit.max <= INT32_MAX, "a knob stored as int has a bound beyond int");
  return static_cast<int>(read_int(value, path, limit.min, limit.max));
}

bool read_bool(const json& value, std::string_view path) {
  if (!value.is_boolean()) fail(path, "expected true or false");
  return value.get<bool>();
}

double read_fraction(const json& value, std::string_view path) {
  if (!value.is_number()) fail(path, "expected a number");
  const double number = value.get<double>();
  if (!(number >= 0.0 && number <= 1.0)) fail(path, "expected a number in [0, 1]");
  return number;
}

// An enum is named in JSON; `names` lists (name, value) pairs.
template <typename Enum, std::size_t N>
Enum read_enum(const json& value, std::string_view path,
               const std::array<std::pair<std::string_view, Enum>, N>& names) {
  if (!value.is_string()) fail(path, "expected a string");
  const auto text = value.get<std::string>();
  std::string valid;
  for (const auto& [name, enum_value] : names) {
    if (name == text) return enum_value;
    valid += valid.empty() ? "" : ", ";
    valid += name;
  }
  fail(path, "unknown value \"" + text + "\" (expected one of: " + valid + ")");
}

constexpr std::array<std::pair<std::string_view, TickConversion>, 2> kTickConversions{{
    {"as_written", TickConversion::as_written},
    {"legacy_formula", TickConversion::legacy_formula},
}};
constexpr std::array<std::pair<std::string_view, ReadyMode>, 3> kReadyModes{{
    {"pipelined", ReadyMode::pipelined},
    {"inline_sequential", ReadyMode::inline_sequential},
    {"v2_spawned_apply", ReadyMode::v2_spawned_apply},
}};
constexpr std::array<std::pair<std::string_view, MissedTicks>, 2> kMissedTicks{{
    {"skip", MissedTicks::skip},
    {"burst", MissedTicks::burst},
}};

template <typename Enum, std::size_t N>
std::string_view enum_name(Enum value,
                           const std::array<std::pair<std::string_view, Enum>, N>& names) {
  for (const auto& [name, enum_value] : names) {
    if (enum_value == value) return name;
  }
  SIMRUN_ASSERT(false, "enum value without a JSON name");
  return {};
}

void require_object(const json& value, std::string_view path) {
  if (!value.is_object()) fail(path, "expected an object");
}

json retry_to_json(const RetryPolicy& policy) {
  return json{{"max_attempts", policy.max_attempts},
              {"delays_ms", policy.delays_ms},
              {"per_try_timeout_ms", policy.per_try_timeout_ms},
              {"jitter_fraction", policy.jitter_fraction}};
}

void apply_retry_json(const json& value, RetryPolicy& policy, std::string_view path) {
  require_object(value, path);
  for (const auto& [key, item] : value.items()) {
    const std::string item_path = join(path, key);
    if (key == "max_attempts") {
      policy.max_attempts = read_small_knob(item, item_path, "broker.metadata_retry.max_attempts");
    } else if (key == "delays_ms") {
      if (!item.is_array()) fail(item_path, "expected an array of integers");
      if (item.size() > kMaxRetryDelays) {
        fail(item_path, "at most " + std::to_string(kMaxRetryDelays) + " delays");
      }
      std::vector<std::int64_t> delays;
      for (std::size_t i = 0; i < item.size(); ++i) {
        delays.push_back(read_knob(item[i], item_path + "[" + std::to_string(i) + "]",
                                   "broker.metadata_retry.delays_ms"));
      }
      policy.delays_ms = std::move(delays);
    } else if (key == "per_try_timeout_ms") {
      policy.per_try_timeout_ms =
          read_knob(item, item_path, "broker.metadata_retry.per_try_timeout_ms");
    } else if (key == "jitter_fraction") {
      policy.jitter_fraction = read_fraction(item, item_path);
    } else {
      fail(item_path, "unknown key");
    }
  }
}

}  // namespace

std::string_view to_string(TickConversion value) { return enum_name(value, kTickConversions); }
std::string_view to_string(ReadyMode value) { return enum_name(value, kReadyModes); }
std::string_view to_string(MissedTicks value) { return enum_name(value, kMissedTicks); }

json raft_config_to_json(const BrokerConfig& config) {
  return json{{"tick_interval_ms", config.tick_interval_ms},
              {"election_timeout_ms", config.election_timeout_ms},
              {"heartbeat_interval_ms", config.heartbeat_interval_ms},
              {"tick_conversion", to_string(config.tick_conversion)},
              {"pre_vote", config.pre_vote},
              {"check_quorum", config.check_quorum},
              {"persist_term_and_vote", config.persist_term_and_vote},
              {"protocol_aware_recovery", config.protocol_aware_recovery},
              {"max_inflight_messages", config.max_inflight_messages},
              {"max_entries_per_message", config.max_entries_per_message}};
}

json broker_config_to_json(const BrokerConfig& config) {
  return json{{"ready_mode", to_string(config.ready_mode)},
              {"rpc_connect_timeout_ms", config.rpc_connect_timeout_ms},
              {"rpc_request_timeout_ms", config.rpc_request_timeout_ms},
              {"missed_ticks", to_string(config.missed_ticks)},
              {"skip_empty_entries_at_apply", config.skip_empty_entries_at_apply},
              {"pending_keyed_by_term", config.pending_keyed_by_term},
              {"metadata_epochs", config.metadata_epochs},
              {"metadata_retry", retry_to_json(config.metadata_retry)},
              {"metadata_handler_serial", config.metadata_handler_serial},
              {"buffer_unknown_group_messages", config.buffer_unknown_group_messages},
              {"batched_high_watermarks", config.batched_high_watermarks},
              {"high_watermark_publish_interval_ms", config.high_watermark_publish_interval_ms},
              {"replication_factor", config.replication_factor},
              {"produce_timeout_ms", config.produce_timeout_ms},
              {"snapshot_every_entries", config.snapshot_every_entries},
              {"snapshot_every_bytes", config.snapshot_every_bytes},
              {"snapshot_at_batch_end", config.snapshot_at_batch_end},
              {"segment_bytes", config.segment_bytes},
              {"retention_bytes", config.retention_bytes},
              {"retention_ms", config.retention_ms},
              {"controlled_shutdown_timeout_ms", config.controlled_shutdown_timeout_ms},
              {"raft_inbox_messages", config.raft_inbox_messages},
              {"unknown_group_buffer_messages", config.unknown_group_buffer_messages},
              {"metadata_queue_jobs", config.metadata_queue_jobs}};
}

json config_to_json(const BrokerConfig& config) {
  return json{{"raft", raft_config_to_json(config)}, {"broker", broker_config_to_json(config)}};
}

void apply_raft_json(const json& value, BrokerConfig& config, std::string_view path) {
  require_object(value, path);
  for (const auto& [key, item] : value.items()) {
    const std::string item_path = join(path, key);
    if (key == "tick_interval_ms") {
      config.tick_interval_ms = read_knob(item, item_path, "raft.tick_interval_ms");
    } else if (key == "election_timeout_ms") {
      config.election_timeout_ms = read_knob(item, item_path, "raft.election_timeout_ms");
    } else if (key == "heartbeat_interval_ms") {
      config.heartbeat_interval_ms = read_knob(item, item_path, "raft.heartbeat_interval_ms");
    } else if (key == "tick_conversion") {
      config.tick_conversion = read_enum(item, item_path, kTickConversions);
    } else if (key == "pre_vote") {
      config.pre_vote = read_bool(item, item_path);
    } else if (key == "check_quorum") {
      config.check_quorum = read_bool(item, item_path);
    } else if (key == "persist_term_and_vote") {
      config.persist_term_and_vote = read_bool(item, item_path);
    } else if (key == "protocol_aware_recovery") {
      config.protocol_aware_recovery = read_bool(item, item_path);
    } else if (key == "max_inflight_messages") {
      config.max_inflight_messages = read_small_knob(item, item_path, "raft.max_inflight_messages");
    } else if (key == "max_entries_per_message") {
      config.max_entries_per_message =
          read_small_knob(item, item_path, "raft.max_entries_per_message");
    } else {
      fail(item_path, "unknown key");
    }
  }
}

void apply_broker_json(const json& value, BrokerConfig& config, std::string_view path) {
  require_object(value, path);
  for (const auto& [key, item] : value.items()) {
    const std::string item_path = join(path, key);
    if (key == "ready_mode") {
      config.ready_mode = read_enum(item, item_path, kReadyModes);
    } else if (key == "rpc_connect_timeout_ms") {
      config.rpc_connect_timeout_ms = read_knob(item, item_path, "broker.rpc_connect_timeout_ms");
    } else if (key == "rpc_request_timeout_ms") {
      config.rpc_request_timeout_ms = read_knob(item, item_path, "broker.rpc_request_timeout_ms");
    } else if (key == "missed_ticks") {
      config.missed_ticks = read_enum(item, item_path, kMissedTicks);
    } else if (key == "skip_empty_entries_at_apply") {
      config.skip_empty_entries_at_apply = read_bool(item, item_path);
    } else if (key == "pending_keyed_by_term") {
      config.pending_keyed_by_term = read_bool(item, item_path);
    } else if (key == "metadata_epochs") {
      config.metadata_epochs = read_bool(item, item_path);
    } else if (key == "metadata_retry") {
      apply_retry_json(item, config.metadata_retry, item_path);
    } else if (key == "metadata_handler_serial") {
      config.metadata_handler_serial = read_bool(item, item_path);
    } else if (key == "buffer_unknown_group_messages") {
      config.buffer_unknown_group_messages = read_bool(item, item_path);
    } else if (key == "batched_high_watermarks") {
      config.batched_high_watermarks = read_bool(item, item_path);
    } else if (key == "high_watermark_publish_interval_ms") {
      config.high_watermark_publish_interval_ms =
          read_knob(item, item_path, "broker.high_watermark_publish_interval_ms");
    } else if (key == "replication_factor") {
      config.replication_factor = read_small_knob(item, item_path, "broker.replication_factor");
    } else if (key == "produce_timeout_ms") {
      config.produce_timeout_ms = read_knob(item, item_path, "broker.produce_timeout_ms");
    } else if (key == "snapshot_every_entries") {
      config.snapshot_every_entries = read_knob(item, item_path, "broker.snapshot_every_entries");
    } else if (key == "snapshot_every_bytes") {
      config.snapshot_every_bytes = read_knob(item, item_path, "broker.snapshot_every_bytes");
    } else if (key == "snapshot_at_batch_end") {
      config.snapshot_at_batch_end = read_bool(item, item_path);
    } else if (key == "segment_bytes") {
      config.segment_bytes = read_knob(item, item_path, "broker.segment_bytes");
    } else if (key == "retention_bytes") {
      config.retention_bytes = read_knob(item, item_path, "broker.retention_bytes");
    } else if (key == "retention_ms") {
      config.retention_ms = read_knob(item, item_path, "broker.retention_ms");
    } else if (key == "controlled_shutdown_timeout_ms") {
      config.controlled_shutdown_timeout_ms =
          read_knob(item, item_path, "broker.controlled_shutdown_timeout_ms");
    } else if (key == "raft_inbox_messages") {
      config.raft_inbox_messages = read_small_knob(item, item_path, "broker.raft_inbox_messages");
    } else if (key == "unknown_group_buffer_messages") {
      config.unknown_group_buffer_messages =
          read_small_knob(item, item_path, "broker.unknown_group_buffer_messages");
    } else if (key == "metadata_queue_jobs") {
      config.metadata_queue_jobs = read_small_knob(item, item_path, "broker.metadata_queue_jobs");
    } else {
      fail(item_path, "unknown key");
    }
  }
}

BrokerConfig config_from_json(const json& value, BrokerConfig base, std::string_view path) {
  require_object(value, path);
  for (const auto& [key, item] : value.items()) {
    if (key == "raft") {
      apply_raft_json(item, base, join(path, key));
    } else if (key == "broker") {
      apply_broker_json(item, base, join(path, key));
    } else {
      fail(join(path, key), "unknown key");
    }
  }
  return base;
}

}  // namespace simrun::broker
