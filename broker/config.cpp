#include "broker/config.h"

#include <stdexcept>

namespace simrun::broker {

namespace {

// v1.3.67, as the field report describes it: 10 ms ticks, "500 ms / 100 ms"
// turned into 5..9 election ticks and a 1-tick (10 ms) heartbeat by the
// legacy formula, no pre-vote, no check-quorum, blocking ready handling,
// missed ticks fired in a burst, empty entries decoded, proposals keyed by
// index, term and vote not persisted, assignments without epochs retried
// with a short serial policy, unknown-group messages dropped, and one
// __meta proposal per applied data entry.
BrokerConfig v1_3_67() {
  BrokerConfig config;
  config.tick_interval_ms = 10;
  config.election_timeout_ms = 500;
  config.heartbeat_interval_ms = 100;
  config.tick_conversion = TickConversion::legacy_formula;
  config.pre_vote = false;
  config.check_quorum = false;
  config.persist_term_and_vote = false;
  config.protocol_aware_recovery = false;
  config.ready_mode = ReadyMode::inline_sequential;
  config.missed_ticks = MissedTicks::burst;
  config.skip_empty_entries_at_apply = false;
  config.pending_keyed_by_term = false;
  config.metadata_epochs = false;
  config.metadata_retry = RetryPolicy{1, {}, 5000, 0.0};
  config.metadata_handler_serial = true;
  config.buffer_unknown_group_messages = false;
  config.batched_high_watermarks = false;
  return config;
}

// v2.0.0: the four fixes of the report. Timeouts 3000 / 150 (base 20, still
// a 10 ms heartbeat), empty entries skipped, apply spawned out of order, the
// 100/200/400/800 ms retry with 5 s per try in a serial handler. Everything
// else is still v1.3.67.
BrokerConfig v2_0_0() {
  BrokerConfig config = v1_3_67();
  config.election_timeout_ms = 3000;
  config.heartbeat_interval_ms = 150;
  config.ready_mode = ReadyMode::v2_spawned_apply;
  config.skip_empty_entries_at_apply = true;
  // Five attempts: four sleeps of 100/200/400/800 ms. The report's fifth
  // delay (1600 ms) was computed but never slept, so it is not listed.
  config.metadata_retry = RetryPolicy{5, {100, 200, 400, 800}, 5000, 0.0};
  return config;
}

}  // namespace

BrokerConfig profile(std::string_view name) {
  if (name == "recommended") return BrokerConfig{};
  if (name == "v2.0.0") return v2_0_0();
  if (name == "v1.3.67") return v1_3_67();
  throw std::invalid_argument("unknown profile \"" + std::string(name) +
                              "\" (expected one of: recommended, v2.0.0, v1.3.67)");
}

std::vector<std::string> profile_names() { return {"recommended", "v2.0.0", "v1.3.67"}; }

}  // namespace simrun::broker
