#include "tools/simrun/restart_floor.h"

#include <doctest/doctest.h>

#include <vector>

namespace simrun::cli {
namespace {

NodeGroupState running(std::optional<std::uint64_t> durable) {
  return NodeGroupState{true, true, durable};
}
NodeGroupState down_with_files() { return NodeGroupState{true, false, std::nullopt}; }
NodeGroupState without_files() { return NodeGroupState{false, false, std::nullopt}; }

TEST_CASE("the floor is the lowest durable snapshot index of the running nodes") {
  RestartFloor floor;
  std::vector<NodeGroupState> nodes{running(300), running(120), running(500)};
  CHECK(floor.update("t/0", nodes) == 120);
  nodes[1] = running(700);
  CHECK(floor.update("t/0", nodes) == 300);
}

TEST_CASE("nothing known gives 0, and a node without files of the group does not count") {
  RestartFloor floor;
  CHECK(floor.update("t/0", std::vector<NodeGroupState>{}) == 0);
  CHECK(floor.update("t/0", std::vector<NodeGroupState>{without_files(), without_files()}) == 0);
  CHECK(floor.update("t/0", std::vector<NodeGroupState>{without_files(), running(40)}) == 40);
}

TEST_CASE("an unsynced snapshot counts as the last index seen durable, never the new one") {
  RestartFloor floor;
  std::vector<NodeGroupState> nodes{running(100), running(90)};
  CHECK(floor.update("t/0", nodes) == 90);
  nodes[1] = running(std::nullopt);  // a compaction to 400 written, not fsynced yet
  nodes[0] = running(1000);
  CHECK(floor.update("t/0", nodes) == 90);
  nodes[1] = running(400);  // fsynced
  CHECK(floor.update("t/0", nodes) == 400);
}

TEST_CASE("a node down (or not loaded yet) counts with the index last seen, 0 if never seen") {
  RestartFloor floor;
  std::vector<NodeGroupState> nodes{running(100), running(250), running(300)};
  CHECK(floor.update("t/0", nodes) == 100);
  nodes[0] = running(600);
  nodes[1] = down_with_files();  // crashed at 250 durable: it restarts from there
  CHECK(floor.update("t/0", nodes) == 250);
  nodes[0] = running(900);
  nodes[2] = running(900);
  CHECK(floor.update("t/0", nodes) == 250);  // however long it stays down
  // A node down since before the first look: its files may hold anything.
  RestartFloor fresh;
  CHECK(fresh.update("t/0", std::vector<NodeGroupState>{running(500), down_with_files()}) == 0);
  RestartFloor unsynced;
  CHECK(unsynced.update("t/0", std::vector<NodeGroupState>{running(std::nullopt), running(9)}) ==
        0);
}

TEST_CASE("groups are kept apart") {
  RestartFloor floor;
  CHECK(floor.update("a", std::vector<NodeGroupState>{running(10), running(20)}) == 10);
  CHECK(floor.update("b", std::vector<NodeGroupState>{running(70), running(80)}) == 70);
  CHECK(floor.update("b", std::vector<NodeGroupState>{running(90), down_with_files()}) == 80);
  CHECK(floor.update("a", std::vector<NodeGroupState>{running(30), down_with_files()}) == 20);
}

}  // namespace
}  // namespace simrun::cli
