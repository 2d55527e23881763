#include "broker/admin.h"

#include <algorithm>

#include "sim/assert.h"

namespace simrun::broker {

std::vector<std::string> create_topics(sim::Env& env, Client& client,
                                       const std::vector<TopicSpec>& topics,
                                       const AdminOptions& options) {
  SIMRUN_ASSERT(options.max_attempts_per_topic > 0, "need at least one attempt");
  const sim::time_ns deadline = sim::millis(options.deadline_ms);
  std::vector<std::string> failed;
  for (const TopicSpec& topic : topics) {
    protocol::ErrorCode error = protocol::ErrorCode::request_timed_out;
    int attempts = 0;
    while (attempts < options.max_attempts_per_topic && env.now() < deadline) {
      if (attempts > 0) env.sleep(sim::millis(options.retry_backoff_ms));
      ++attempts;
      const sim::duration_ns timeout =
          std::min<sim::duration_ns>(sim::millis(client.config().request_timeout_ms),
                                     std::max<sim::duration_ns>(1, deadline - env.now()));
      CallResult result = client.call_controller(
          protocol::CreateTopicRequest{topic.name, topic.partitions, options.replication_factor},
          timeout);
      error = result.effective_error();
      if (error == protocol::ErrorCode::topic_already_exists) error = protocol::ErrorCode::none;
      if (error == protocol::ErrorCode::none || !protocol::is_retriable(error)) break;
    }
    if (error == protocol::ErrorCode::none) {
      env.trace().record(
          kAdminTopicCreated,
          {{"client", client.name()}, {"topic", topic.name}, {"attempts", std::int64_t{attempts}}});
    } else {
      failed.push_back(topic.name);
      env.trace().record(kAdminTopicCreateFailed, {{"client", client.name()},
                                                   {"topic", topic.name},
                                                   {"attempts", std::int64_t{attempts}},
                                                   {"error", protocol::error_name(error)}});
    }
  }
  return failed;
}

std::function<void(sim::Env&)> admin_process_main(ClientConfig client_config,
                                                  std::vector<TopicSpec> topics,
                                                  AdminOptions options) {
  return [client_config = std::move(client_config), topics = std::move(topics),
          options](sim::Env& env) {
    Client client(env, client_config);
    client.start();
    (void)create_topics(env, client, topics, options);
  };
}

}  // namespace simrun::broker
