#pragma once
/// The one place in pipeline/ that starts child processes: a small RAII wrapper around POSIX
/// posix_spawn / waitpid / kill. Conventions:
///  - a program is an argv, never a shell string: no word splitting, quoting or globbing happens;
///  - each child is started as the leader of a new process group, and every signal this wrapper
///    sends goes to that whole group, so a wrapper script and the programs it started stop
///    together. When the leader ends, whatever is left of its group is killed (SIGKILL) before the
///    leader is reaped, so a finished process leaves no orphans behind;
///  - the child's signal mask is cleared and common signals are reset to their default action;
///  - a Process that is destroyed while its child still runs kills the group and reaps it: no
///    zombies, no orphans. Not thread-safe.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {

/// A child could not be started; the message names the program or path and the errno text.
class ProcessError : public IoError {
 public:
  using IoError::IoError;
};

/// What to run and where.
struct ProcessSpec {
  /// argv[0] is the program. With a '/' it is a path (a relative one is resolved against *this*
  /// process's working directory, not `working_directory`); without, it is looked up in PATH.
  std::vector<std::string> argv;
  std::filesystem::path working_directory;  ///< must exist; the child starts there
  std::filesystem::path stdout_path;        ///< created or truncated
  std::filesystem::path stderr_path;        ///< created or truncated
  /// NAME -> value added to (or replacing in) a copy of this process's environment.
  std::map<std::string, std::string> environment;
};

/// How a child ended.
struct ExitStatus {
  bool signalled = false;  ///< killed by a signal (then `signal` is set), else exited (`code`)
  int code = 0;
  int signal = 0;
  bool success() const { return !signalled && code == 0; }
  /// "exit 3" or "killed by SIGTERM".
  std::string describe() const;
};

/// Throws ProcessError naming the path and errno text unless `spec.working_directory` is a
/// directory and `spec.argv[0]`, when it is a path, is executable (a PATH lookup happens only at
/// start). Process::start checks the same.
void check_startable(const ProcessSpec& spec);

/// A started child process (the leader of its own process group). Move-only.
class Process {
 public:
  /// Start `spec`. Throws ProcessError naming the path and errno text when the working directory
  /// or the program is missing or cannot be used, or posix_spawn fails.
  static Process start(const ProcessSpec& spec);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  /// Kills (SIGKILL, whole group) and reaps a child that is still running.
  ~Process();

  pid_t pid() const { return pid_; }
  /// True until the child has been reaped.
  bool running() const { return pid_ > 0 && !status_; }
  /// Non-blocking: the exit status if the child has ended (it is then reaped), else nothing.
  /// Once reaped, returns the same status again.
  std::optional<ExitStatus> try_wait();
  /// Blocks until the child ends.
  ExitStatus wait();
  /// Send `sig` to the child's process group; no-op once the child has been reaped.
  void signal_group(int sig) const;
  /// SIGTERM to the group, wait up to `grace` for the child to end, then SIGKILL; blocks until
  /// reaped and returns the exit status.
  ExitStatus stop(std::chrono::milliseconds grace);

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  std::optional<ExitStatus> reap(bool block);
  void kill_and_reap() noexcept;

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

/// What a program printed and how it ended.
struct CommandResult {
  int exit_code = 0;  ///< the exit status, or 128 + signal number when killed by a signal
  std::string out;    ///< everything written to stdout
  std::string err;    ///< everything written to stderr
};

/// Runs `argv` (argv[0] looked up in PATH) with stdin from /dev/null, capturing stdout and
/// stderr; no shell is involved. Throws ProcessError when the program cannot be started.
CommandResult run_argv(const std::vector<std::string>& argv);

}  // namespace ionscreen::pipeline
