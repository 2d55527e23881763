#include "broker/metadata.h"

#include <doctest/doctest.h>

#include <set>

#include "sim/hash.h"

namespace simrun::broker {
namespace {

raft::Entry entry_of(const MetaCommand& command, raft::Index index) {
  return raft::Entry{1, index, encode_meta_command(command)};
}

TEST_CASE("placement: rf consecutive nodes from (hash(topic) + p) % n, every node used") {
  std::set<raft::NodeId> used;
  for (int p = 0; p < 10; ++p) {
    const auto replicas = place_replicas("orders", p, 5, 3);
    REQUIRE(replicas.size() == 3);
    const auto start = static_cast<raft::NodeId>(
        (sim::hash_string("orders") + static_cast<std::uint64_t>(p)) % 5 + 1);
    CHECK(replicas[0] == start);
    CHECK(replicas[1] == start % 5 + 1);
    CHECK(replicas[2] == (start + 1) % 5 + 1);
    used.insert(replicas.begin(), replicas.end());
  }
  CHECK(used.size() == 5);
  CHECK(place_replicas("orders", 3, 5, 3) == place_replicas("orders", 3, 5, 3));
}

TEST_CASE("group names round-trip") {
  CHECK(partition_group_name("orders", 7) == "orders/7");
  const auto parsed = parse_partition_group_name("a/b/12");
  REQUIRE(parsed.has_value());
  CHECK(parsed->first == "a/b");
  CHECK(parsed->second == 12);
  CHECK_FALSE(parse_partition_group_name("__meta").has_value());
  CHECK_FALSE(parse_partition_group_name("orders/").has_value());
  CHECK_FALSE(parse_partition_group_name("orders/1x").has_value());
  CHECK_FALSE(parse_partition_group_name("orders/-1").has_value());
}

TEST_CASE("commands round-trip and garbage fails with a reason") {
  const std::vector<MetaCommand> commands{
      MetaCommand::register_broker(3, 3),
      MetaCommand::create_topic("orders", 4, 3, 5),
      MetaCommand::set_assignment("orders", 2, 4, 17),
      MetaCommand::high_watermark("orders", 1, 12345),
      MetaCommand::offset_commit("consumers", "orders", 3, 99),
  };
  for (const auto& command : commands) {
    const auto bytes = encode_meta_command(command);
    const auto decoded = decode_meta_command(bytes);
    REQUIRE(decoded);
    CHECK(*decoded == command);
    // Every strict prefix is truncated input and must fail cleanly.
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      CHECK_FALSE(decode_meta_command(std::span(bytes).first(n)));
    }
  }
  const auto empty = decode_meta_command({});
  CHECK_FALSE(empty);
  CHECK(empty.error.find("unexpected end of file") != std::string::npos);
  const std::vector<std::uint8_t> unknown_kind{9};
  CHECK_FALSE(decode_meta_command(unknown_kind));
}

// Mechanism 5: a deposed leader (epoch 3) writes its assignment late, after
// the new leader (epoch 5) wrote its own.
void apply_stale_race(MetadataState& state) {
  REQUIRE(state.apply(MetaCommand::create_topic("orders", 2, 3, 3)) == MetaApplyResult::applied);
  REQUIRE(state.apply(MetaCommand::set_assignment("orders", 0, 2, 5)) == MetaApplyResult::applied);
}

TEST_CASE("with epochs a stale assignment is ignored") {
  MetadataState state(/*metadata_epochs=*/true);
  apply_stale_race(state);
  CHECK(state.apply(MetaCommand::set_assignment("orders", 0, 1, 3)) ==
        MetaApplyResult::ignored_stale);
  const PartitionInfo* partition = state.find_partition("orders", 0);
  REQUIRE(partition != nullptr);
  CHECK(partition->leader == 2);
  CHECK(partition->leader_epoch == 5);
  CHECK(state.stale_assignments_ignored() == 1);
  // An equal or newer epoch is accepted.
  CHECK(state.apply(MetaCommand::set_assignment("orders", 0, 3, 6)) == MetaApplyResult::applied);
  CHECK(state.find_partition("orders", 0)->leader == 3);
}

TEST_CASE("without epochs the last write wins, so the stale leader overwrites the new one") {
  MetadataState state(/*metadata_epochs=*/false);
  apply_stale_race(state);
  CHECK(state.apply(MetaCommand::set_assignment("orders", 0, 1, 3)) == MetaApplyResult::applied);
  const PartitionInfo* partition = state.find_partition("orders", 0);
  REQUIRE(partition != nullptr);
  CHECK(partition->leader == 1);
  CHECK(partition->leader_epoch == 3);
  CHECK(state.stale_assignments_ignored() == 0);
}

TEST_CASE("topics, watermarks and offsets") {
  MetadataState state;
  CHECK(state.apply(MetaCommand::set_assignment("nope", 0, 1, 1)) ==
        MetaApplyResult::ignored_unknown);
  CHECK(state.apply(MetaCommand::create_topic("orders", 2, 3, 3)) == MetaApplyResult::applied);
  // The first creation wins: a second one with other placement changes nothing.
  CHECK(state.apply(MetaCommand::create_topic("orders", 5, 1, 3)) ==
        MetaApplyResult::ignored_existing);
  REQUIRE(state.find_topic("orders") != nullptr);
  CHECK(state.find_topic("orders")->partitions.size() == 2);
  CHECK(state.find_partition("orders", 2) == nullptr);
  CHECK(state.apply(MetaCommand::high_watermark("orders", 1, 10)) == MetaApplyResult::applied);
  CHECK(state.apply(MetaCommand::high_watermark("orders", 1, 4)) == MetaApplyResult::applied);
  CHECK(state.find_partition("orders", 1)->high_watermark == 10);
  CHECK_FALSE(state.committed_offset("g", "orders", 1).has_value());
  CHECK(state.apply(MetaCommand::offset_commit("g", "orders", 1, 7)) == MetaApplyResult::applied);
  CHECK(state.apply(MetaCommand::offset_commit("g", "orders", 1, 5)) == MetaApplyResult::applied);
  CHECK(state.committed_offset("g", "orders", 1) == 5);
  CHECK(state.apply(MetaCommand::offset_commit("g", "orders", 9, 5)) ==
        MetaApplyResult::ignored_unknown);
}

TEST_CASE("state machine: apply, deser error on the empty entry, snapshot and restore") {
  MetadataStateMachine machine(true);
  int notified = 0;
  int restores = 0;
  machine.set_listener([&](const MetaCommand* command, MetaApplyResult) {
    if (command == nullptr) {
      ++restores;
    } else {
      ++notified;
    }
  });
  CHECK(machine.apply(entry_of(MetaCommand::register_broker(1, 1), 1)));
  CHECK(machine.apply(entry_of(MetaCommand::create_topic("orders", 3, 3, 3), 2)));
  CHECK(machine.apply(entry_of(MetaCommand::set_assignment("orders", 1, 2, 4), 3)));
  CHECK_FALSE(machine.apply(raft::Entry{2, 4, {}}));  // mechanism 4: empty entry
  CHECK(notified == 3);

  const raft::Bytes image = machine.snapshot();
  MetadataStateMachine copy(true);
  copy.set_listener([&](const MetaCommand* command, MetaApplyResult) {
    if (command == nullptr) ++restores;
  });
  copy.restore(image);
  CHECK(restores == 1);
  CHECK(copy.state() == machine.state());
  CHECK(copy.state().find_partition("orders", 1)->leader == 2);
  CHECK(copy.state().brokers().at(1) == 1);
}

}  // namespace
}  // namespace simrun::broker
