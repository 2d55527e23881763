// The one piece of Boost.Context's ucontext fibers that is not in its
// headers, for the sanitizer build only (cmake/sanitizers.cmake defines
// BOOST_USE_UCONTEXT and BOOST_USE_ASAN there; every other build uses the
// default fcontext fibers and compiles this file to nothing).
//
// Why ucontext under ASan: fcontext switches stacks in assembly that ASan
// never hears of, including Boost's own switches on fiber creation and when a
// crashed node's fiber is unwound (~fiber throws forced_unwind on the fiber's
// stack), so ASan would report false stack errors and lose track of frames.
// Boost's ucontext fibers announce every switch, all of those included
// (__sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber).
//
// Debian's libboost_context is built for fcontext and so lacks the
// definition of fiber_activation_record::current(), the per-thread pointer to
// the running fiber's record. It is given here as Boost's own
// src/fiber.cpp gives it: the record of the thread's main context, created
// on first use, is the current one until a fiber is resumed. Fibers never
// cross threads (the simulator has none; the sweep's worker threads each run
// whole simulations), so a thread_local is exactly the scope.
#if defined(BOOST_USE_UCONTEXT)

#include <boost/context/fiber.hpp>
#include <memory>

namespace boost::context::detail {

namespace {
struct ThreadFiberRecords {
  // The thread's own stack, as a record to switch away from and back to.
  std::unique_ptr<fiber_activation_record> main = std::make_unique<fiber_activation_record>();
  fiber_activation_record* current = main.get();
};
}  // namespace

fiber_activation_record*& fiber_activation_record::current() noexcept {
  thread_local ThreadFiberRecords records;
  return records.current;
}

}  // namespace boost::context::detail

#endif  // BOOST_USE_UCONTEXT
