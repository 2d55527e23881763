// For the sanitizer build's CTest: a node whose fibers hold heap memory is
// crashed while they are blocked (one in a wait queue, one asleep) and then
// restarted; the unwinding must free everything they own. Run under
// LeakSanitizer, exit 0 proves it. With --leak one fiber also holds a block
// that only a raw pointer on its stack knows: unwinding cannot free that,
// so LeakSanitizer must report it, which proves a leak on a crashed fiber's
// stack would not go unseen (the control CTest expects the report).
//
//   crash_leak_probe [--leak]

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/assert.h"
#include "sim/env.h"
#include "sim/scheduler.h"
#include "sim/world.h"

namespace {

namespace sim = simrun::sim;

// Held by the fibers, so a leak report names what was not freed.
struct NodeState {
  std::vector<std::string> log = std::vector<std::string>(64, std::string(100, 'x'));
};

}  // namespace

int main(int argc, char** argv) {
  const bool leak = argc > 1 && std::string_view(argv[1]) == "--leak";
  sim::World world(sim::WorldConfig{});
  int boots = 0;
  const sim::ProcessId node = world.add_process("n1", [&](sim::Env& env) {
    ++boots;
    const auto state = std::make_unique<NodeState>();
    if (env.incarnation() > 1) return;  // the restarted node finds nothing to free
    env.spawn("receiver", [&env, leak] {
      const auto buffer = std::make_shared<NodeState>();
      NodeState* volatile lost = leak ? new NodeState() : nullptr;  // raw: never freed
      (void)lost;
      (void)env.inbox().receive();  // blocked in a wait queue when the crash comes
    });
    env.sleep(sim::seconds(100));
  });
  world.start(node);
  world.run_until(sim::seconds(1));
  SIMRUN_ASSERT(world.scheduler().fiber_count(node) == 2, "both fibers are blocked");
  world.crash(node);
  SIMRUN_ASSERT(world.scheduler().fibers_unwound() == 2, "the crash unwound both fibers");
  world.restart(node);
  world.run_until(sim::seconds(2));
  SIMRUN_ASSERT(boots == 2, "the node booted again after the crash");
  std::printf("crash_leak_probe: 2 fibers unwound, node restarted%s\n",
              leak ? ", one block leaked on purpose" : "");
  return 0;
}
