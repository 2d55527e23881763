#pragma once
// The admin workload: create the scenario's topics at start, through the
// __meta leader, retrying until each exists or a deadline passes.
// topic_already_exists counts as success (a retry after a lost response
// finds the topic created by the first attempt).
//
// Trace records (kinds defined here, not in broker/events.h):
//   admin.topic_created       {client, topic, attempts}
//   admin.topic_create_failed {client, topic, attempts, error}

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/client.h"
#include "broker/cluster.h"
#include "broker/events.h"
#include "sim/env.h"

namespace simrun::broker {

inline constexpr std::string_view kAdminTopicCreated = events::kAdminTopicCreated;
inline constexpr std::string_view kAdminTopicCreateFailed = events::kAdminTopicCreateFailed;

struct AdminOptions {
  int replication_factor = 3;
  std::int64_t deadline_ms = 60'000;  // local time by which to give up
  std::int64_t retry_backoff_ms = 100;
  int max_attempts_per_topic = 1000;  // a bound on top of the deadline
};

// Returns the names of the topics that could not be created.
std::vector<std::string> create_topics(sim::Env& env, Client& client,
                                       const std::vector<TopicSpec>& topics,
                                       const AdminOptions& options);

std::function<void(sim::Env&)> admin_process_main(ClientConfig client_config,
                                                  std::vector<TopicSpec> topics,
                                                  AdminOptions options);

}  // namespace simrun::broker
