#include "tools/simrun/worker_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <vector>

#include "sim/assert.h"

namespace simrun::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Running {
  std::size_t index = 0;
  pid_t pid = -1;
  int result_fd = -1;  // -1 once at EOF
  int stderr_fd = -1;
  Clock::time_point started;
  bool killed_for_budget = false;
  WorkerOutcome outcome;
};

void write_all(int fd, const std::string& data) {
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent went away: nothing to report to
    written += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void child_main(std::size_t index, int result_fd, int stderr_fd,
                             const std::function<std::string(std::size_t)>& task) {
  ::dup2(stderr_fd, STDERR_FILENO);
  ::close(stderr_fd);
  // The child must never write to the parent's stdout: the result goes
  // through the pipe and output buffered before the fork is not ours.
  const int null_fd = ::open("/dev/null", O_WRONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDOUT_FILENO);
  int code = 0;
  try {
    write_all(result_fd, task(index));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "simrun worker: %s\n", error.what());
    code = 3;
  } catch (...) {
    std::fprintf(stderr, "simrun worker: unknown exception\n");
    code = 3;
  }
  std::fflush(stderr);
  ::_exit(code);  // no atexit handlers, no flush of inherited stdio buffers
}

Running start(std::size_t index, const std::function<std::string(std::size_t)>& task) {
  int result_pipe[2];
  int stderr_pipe[2];
  if (::pipe(result_pipe) != 0) throw std::runtime_error("pipe: " + std::string(strerror(errno)));
  if (::pipe(stderr_pipe) != 0) {
    ::close(result_pipe[0]);
    ::close(result_pipe[1]);
    throw std::runtime_error("pipe: " + std::string(strerror(errno)));
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(strerror(errno)));
  if (pid == 0) {
    ::close(result_pipe[0]);
    ::close(stderr_pipe[0]);
    child_main(index, result_pipe[1], stderr_pipe[1], task);
  }
  ::close(result_pipe[1]);
  ::close(stderr_pipe[1]);
  Running running;
  running.index = index;
  running.pid = pid;
  running.result_fd = result_pipe[0];
  running.stderr_fd = stderr_pipe[0];
  running.started = Clock::now();
  return running;
}

// Reads what is available; closes the descriptor at EOF.
void drain(int& fd, std::string& into, std::size_t keep_last, std::size_t max_total) {
  char buffer[65536];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    ::close(fd);
    fd = -1;
    return;
  }
  if (into.size() < max_total) into.append(buffer, static_cast<std::size_t>(n));
  if (keep_last > 0 && into.size() > 2 * keep_last) into.erase(0, into.size() - keep_last);
}

void reap(Running& running) {
  int status = 0;
  while (::waitpid(running.pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid: " + std::string(strerror(errno)));
  }
  WorkerOutcome& outcome = running.outcome;
  outcome.wall_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - running.started).count();
  if (outcome.stderr_tail.size() > kStderrTailBytes) {
    outcome.stderr_tail.erase(0, outcome.stderr_tail.size() - kStderrTailBytes);
  }
  if (running.killed_for_budget) {
    outcome.end = WorkerEnd::wall_budget;
    outcome.output.clear();
  } else if (WIFSIGNALED(status)) {
    outcome.end = WorkerEnd::signaled;
    outcome.signal = WTERMSIG(status);
    outcome.output.clear();
  } else {
    outcome.end = WorkerEnd::exited;
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (outcome.exit_code != 0) outcome.output.clear();
  }
}

}  // namespace

void run_in_workers(std::size_t count, const WorkerPoolOptions& options,
                    const std::function<std::string(std::size_t)>& task,
                    const std::function<bool(std::size_t, WorkerOutcome&&)>& on_done) {
  SIMRUN_ASSERT(options.jobs >= 1, "at least one job");
  std::vector<Running> running;
  std::size_t next = 0;
  bool dispatching = true;
  while (true) {
    while (dispatching && next < count && running.size() < options.jobs) {
      running.push_back(start(next++, task));
    }
    if (running.empty()) break;

    std::vector<pollfd> fds;
    std::vector<std::pair<std::size_t, bool>> owners;  // (running slot, is result fd)
    for (std::size_t slot = 0; slot < running.size(); ++slot) {
      if (running[slot].result_fd >= 0) {
        fds.push_back({running[slot].result_fd, POLLIN, 0});
        owners.emplace_back(slot, true);
      }
      if (running[slot].stderr_fd >= 0) {
        fds.push_back({running[slot].stderr_fd, POLLIN, 0});
        owners.emplace_back(slot, false);
      }
    }
    const int ready = ::poll(fds.data(), fds.size(), 200);
    if (ready < 0 && errno != EINTR)
      throw std::runtime_error("poll: " + std::string(strerror(errno)));
    for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Running& owner = running[owners[i].first];
      if (owners[i].second) {
        drain(owner.result_fd, owner.outcome.output, 0, kMaxTaskOutputBytes);
      } else {
        drain(owner.stderr_fd, owner.outcome.stderr_tail, kStderrTailBytes, SIZE_MAX);
      }
    }
    const auto now = Clock::now();
    for (Running& task_state : running) {
      if (options.wall_budget_ms > 0 && !task_state.killed_for_budget &&
          now - task_state.started > std::chrono::milliseconds(options.wall_budget_ms)) {
        ::kill(task_state.pid, SIGKILL);
        task_state.killed_for_budget = true;
      }
    }
    // Report finished tasks (both pipes at EOF) in start order.
    for (std::size_t slot = 0; slot < running.size();) {
      Running& task_state = running[slot];
      if (task_state.result_fd >= 0 || task_state.stderr_fd >= 0) {
        ++slot;
        continue;
      }
      reap(task_state);
      const std::size_t index = task_state.index;
      WorkerOutcome outcome = std::move(task_state.outcome);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(slot));
      if (!on_done(index, std::move(outcome))) dispatching = false;
    }
    if (options.on_idle_tick) options.on_idle_tick();
  }
}

unsigned available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    const int cores = CPU_COUNT(&set);
    if (cores > 0) return static_cast<unsigned>(cores);
  }
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<unsigned>(online) : 1u;
}

std::string signal_name(int signal) {
  if (const char* abbreviation = ::sigabbrev_np(signal)) return std::string("SIG") + abbreviation;
  return "signal " + std::to_string(signal);
}

}  // namespace simrun::cli
