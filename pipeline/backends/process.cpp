#include "pipeline/backends/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

namespace ionscreen::pipeline {

namespace {

std::string errno_text(int error) { return std::strerror(error); }

/// posix_spawn_file_actions_t with its destroy call.
class FileActions {
 public:
  FileActions() {
    if (const int rc = posix_spawn_file_actions_init(&actions_); rc != 0) {
      throw ProcessError(std::string("posix_spawn_file_actions_init: ") + errno_text(rc));
    }
  }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

/// posix_spawnattr_t with its destroy call.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    if (const int rc = posix_spawnattr_init(&attributes_); rc != 0) {
      throw ProcessError(std::string("posix_spawnattr_init: ") + errno_text(rc));
    }
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_{};
};

void check(int rc, const char* what) {
  if (rc != 0) throw ProcessError(std::string(what) + ": " + errno_text(rc));
}

/// A copy of this process's environment with `overrides` added or replaced, as NAME=value.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const std::string name = text.substr(0, text.find('='));
    if (overrides.count(name) == 0) result.push_back(text);
  }
  for (const auto& [name, value] : overrides) {
    std::string entry = name;
    entry += '=';
    entry += value;
    result.push_back(std::move(entry));
  }
  return result;
}

/// A null-terminated char* array pointing into `strings` (which must outlive it).
std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

ExitStatus from_wait_status(int status) {
  ExitStatus result;
  if (WIFSIGNALED(status)) {
    result.signalled = true;
    result.signal = WTERMSIG(status);
  } else {
    result.code = WEXITSTATUS(status);
  }
  return result;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (!signalled) return "exit " + std::to_string(code);
  std::string text = "killed by ";
  if (const char* abbrev = sigabbrev_np(signal); abbrev != nullptr) {
    text += "SIG";
    text += abbrev;
  } else {
    text += "signal ";
    text += std::to_string(signal);
  }
  return text;
}

void check_startable(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv.front().empty()) {
    throw ProcessError("cannot start a process: empty argv");
  }
  const std::filesystem::path directory = std::filesystem::absolute(spec.working_directory);
  struct stat info {};
  if (::stat(directory.c_str(), &info) != 0) {
    throw ProcessError("working directory " + directory.string() + ": " + errno_text(errno));
  }
  if (!S_ISDIR(info.st_mode)) {
    throw ProcessError("working directory " + directory.string() + ": " + errno_text(ENOTDIR));
  }
  if (spec.argv.front().find('/') != std::string::npos) {
    const std::string program = std::filesystem::absolute(spec.argv.front()).string();
    if (::access(program.c_str(), X_OK) != 0) {
      throw ProcessError("program " + program + ": " + errno_text(errno));
    }
  }
}

Process Process::start(const ProcessSpec& spec) {
  check_startable(spec);
  namespace fs = std::filesystem;
  const fs::path directory = fs::absolute(spec.working_directory);
  std::vector<std::string> argv = spec.argv;
  const bool search_path = argv.front().find('/') == std::string::npos;
  // Resolved here, because the child would resolve a relative path after changing directory.
  if (!search_path) argv.front() = fs::absolute(argv.front()).string();
  const std::string out = fs::absolute(spec.stdout_path).string();
  const std::string err = fs::absolute(spec.stderr_path).string();

  FileActions actions;
  check(posix_spawn_file_actions_addchdir_np(actions.get(), directory.c_str()),
        "posix_spawn_file_actions_addchdir_np");
  check(posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0),
        "posix_spawn_file_actions_addopen");
  check(posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, out.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644),
        "posix_spawn_file_actions_addopen");
  check(posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, err.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644),
        "posix_spawn_file_actions_addopen");

  SpawnAttributes attributes;
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int sig :
       {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  check(posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                       POSIX_SPAWN_SETSIGDEF),
        "posix_spawnattr_setflags");
  check(posix_spawnattr_setpgroup(attributes.get(), 0), "posix_spawnattr_setpgroup");
  check(posix_spawnattr_setsigmask(attributes.get(), &empty), "posix_spawnattr_setsigmask");
  check(posix_spawnattr_setsigdefault(attributes.get(), &defaults),
        "posix_spawnattr_setsigdefault");

  std::vector<std::string> environment = child_environment(spec.environment);
  std::vector<char*> c_argv = c_array(argv);
  std::vector<char*> c_envp = c_array(environment);
  pid_t pid = -1;
  const int rc = search_path ? posix_spawnp(&pid, argv.front().c_str(), actions.get(),
                                            attributes.get(), c_argv.data(), c_envp.data())
                             : posix_spawn(&pid, argv.front().c_str(), actions.get(),
                                           attributes.get(), c_argv.data(), c_envp.data());
  if (rc != 0) {
    throw ProcessError("cannot start " + argv.front() + " in " + directory.string() + ": " +
                       errno_text(rc));
  }
  return Process(pid);
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

Process::~Process() { kill_and_reap(); }

std::optional<ExitStatus> Process::reap(bool block) {
  if (status_ || pid_ <= 0) return status_;
  // Look first without reaping: while the leader is a zombie its pid still names the group, so
  // the rest of the group can be killed safely before the pid is released.
  siginfo_t info{};
  const int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
  int rc = 0;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, flags);
  } while (rc == -1 && errno == EINTR);
  if (rc == -1) {
    throw ProcessError("waitid for pid " + std::to_string(pid_) + ": " + errno_text(errno));
  }
  if (info.si_pid == 0) return std::nullopt;  // still running
  ::kill(-pid_, SIGKILL);                     // leftovers of the group; ESRCH when none
  int status = 0;
  pid_t reaped = 0;
  do {
    reaped = ::waitpid(pid_, &status, 0);
  } while (reaped == -1 && errno == EINTR);
  if (reaped == -1) {
    throw ProcessError("waitpid for pid " + std::to_string(pid_) + ": " + errno_text(errno));
  }
  status_ = from_wait_status(status);
  return status_;
}

std::optional<ExitStatus> Process::try_wait() { return reap(false); }

ExitStatus Process::wait() {
  if (pid_ <= 0) throw ProcessError("wait: no process (moved from)");
  return *reap(true);
}

void Process::signal_group(int sig) const {
  if (running()) ::kill(-pid_, sig);
}

ExitStatus Process::stop(std::chrono::milliseconds grace) {
  if (!running()) return wait();
  signal_group(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto status = reap(false)) return *status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  signal_group(SIGKILL);
  return wait();
}

void Process::kill_and_reap() noexcept {
  if (!running()) return;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  pid_t reaped = 0;
  do {
    reaped = ::waitpid(pid_, &status, 0);
  } while (reaped == -1 && errno == EINTR);
  if (reaped == pid_) status_ = from_wait_status(status);
}

CommandResult run_argv(const std::vector<std::string>& argv) {
  if (argv.empty()) throw ProcessError("run_argv: empty argument vector");
  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    const int e = errno;
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      if (fd >= 0) ::close(fd);
    throw ProcessError(std::string("pipe: ") + std::strerror(e));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw ProcessError("cannot run " + argv[0] + ": " + std::strerror(rc));
  }

  CommandResult result;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_fds = 2;
  std::array<char, 8192> buffer{};
  while (open_fds > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const auto n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        sinks[i]->append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw ProcessError("waitpid for " + argv[0] + ": " + std::strerror(errno));
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

}  // namespace ionscreen::pipeline
