#pragma once
// Runs tasks in forked worker processes, at most `jobs` at a time, so that a
// crash, an abort or a hang of one task (one seed of a sweep, one candidate
// of a shrink) is that task's outcome and never takes the caller down.
//
// Each task runs in a fresh fork of the caller (copy-on-write: the loaded
// scenario and the binary come for free) and hands back one string through a
// pipe; its stderr goes through a second pipe, whose tail explains a crash.
// A task that outlives its wall-time budget is killed with SIGKILL. Tasks are
// started in index order; the caller sees each as it finishes.
//
// Wall time is measured here, outside every simulation: nothing a task
// computes depends on it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace simrun::cli {

enum class WorkerEnd : std::uint8_t {
  exited,       // the task returned (exit_code 0) or the child exited otherwise
  signaled,     // killed by a signal of its own (abort, segfault, ...)
  wall_budget,  // ran past wall_budget_ms; killed by us
};

struct WorkerOutcome {
  WorkerEnd end = WorkerEnd::exited;
  int exit_code = 0;         // when exited
  int signal = 0;            // when signaled
  std::string output;        // what the task returned (empty unless it returned)
  std::string stderr_tail;   // the last kStderrTailBytes the child wrote to stderr
  std::int64_t wall_ms = 0;  // fork to reap
};

inline constexpr std::size_t kStderrTailBytes = 4096;
// A bound on what one task may hand back; more is cut (and then fails to parse).
inline constexpr std::size_t kMaxTaskOutputBytes = 64u << 20;

struct WorkerPoolOptions {
  unsigned jobs = 1;                   // at least 1
  std::int64_t wall_budget_ms = 0;     // per task; 0: none
  std::function<void()> on_idle_tick;  // called about every 200 ms of waiting (progress)
};

// Runs tasks 0..count-1. In the child, `task(i)` runs and its result is sent
// back; an exception escaping it ends the child with exit code 3 and the
// message on stderr. In the parent, `on_done(i, outcome)` runs as each task
// ends; when it returns false no further task is started (running ones
// finish and are still reported).
void run_in_workers(std::size_t count, const WorkerPoolOptions& options,
                    const std::function<std::string(std::size_t)>& task,
                    const std::function<bool(std::size_t, WorkerOutcome&&)>& on_done);

// The number of cores this process may use (at least 1): the --jobs default.
unsigned available_cores();

// "SIGABRT", "SIGSEGV", ... ("signal 42" when unnamed).
std::string signal_name(int signal);

}  // namespace simrun::cli
