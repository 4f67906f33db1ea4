#pragma once
/// The default backend: a pool of child processes on this machine, no daemon, no scheduler.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pipeline/backends/backend.hpp"
#include "pipeline/backends/process.hpp"

namespace ionscreen::pipeline {

/// Runs submissions as child processes of this process, at most `max_jobs` at a time; the rest
/// wait in a FIFO queue and start on a later submit() or poll() when a slot frees.
///
/// Each job's argv is started with posix_spawn (never through a shell) in its job directory,
/// with IONSCREEN_JOB_NAME=<Submission::name> added to its environment, stdin from /dev/null and
/// stdout/stderr in <directory>/stdout and <directory>/stderr, as the leader of a new process
/// group (see process.hpp): every signal goes to the whole group, and what is left of the group
/// when the leader ends is killed.
///
/// Scheduler ids are "local-<pid>.<start time>-1", "local-<pid>.<start time>-2", ... in
/// submission order, with this process's pid and start time: ids of a restarted campaign process
/// never collide with those of the one before.
///
/// States: queued -> running -> finished (exit 0) | failed (non-zero exit or killed by a signal;
/// `reason` says "exit 3" or "killed by SIGSEGV") | timed_out | cancelled. A job stays `running`
/// until its process has been reaped, so a terminal state always means the process is gone.
///
/// Wall time: a job running longer than `time_limit_minutes` x `minute` gets SIGTERM on the next
/// poll() or submit(), SIGKILL `kill_grace` later if still alive, and is reported timed_out once
/// reaped. `time_limit_minutes <= 0` means no limit.
///
/// Restarts: jobs are held in memory, but each child is started with IONSCREEN_JOB_NAME set to its
/// Submission::name, so a new LocalBackend (e.g. after the campaign process crashed and restarted)
/// can find and follow the jobs an earlier one left running. find_by_name() also scans /proc for
/// processes of this user, not started by this backend, that lead their process group and carry
/// a matching IONSCREEN_JOB_NAME; it reports each as "pid-<pid>-<start time>" (field 22 of
/// /proc/<pid>/stat, so that a reused pid is never taken for the job). Such an adopted id is
/// `running` while that process exists and is not a zombie, then `finished` with reason "adopted
/// process ended; exit status unknown" (the campaign reads the job directory); cancel() sends
/// SIGTERM to its process group, SIGKILL after kill_grace, and it is reported `cancelled` once
/// gone. No wall-time limit is enforced for adopted jobs (their limit is the campaign's to apply,
/// by cancel()). Ids of a LocalBackend that are not adopted ("local-...") are `unknown` to any
/// other instance.
///
/// The destructor kills and reaps every job it started that is still running (so do not destroy
/// the backend while jobs should go on); a crash of this process leaves them running, to be
/// adopted by the next one.
///
/// Not thread-safe; poll() never blocks, cancel() blocks for at most `kill_grace`.
class LocalBackend : public Backend {
 public:
  /// How long a child gets between SIGTERM and SIGKILL.
  static constexpr std::chrono::milliseconds kill_grace{2000};

  /// `max_jobs` >= 1 concurrent jobs (else SchedulerError). `minute` is the length of one minute of
  /// Submission::time_limit_minutes (tests shorten it). `environment` (NAME -> value) is added to,
  /// or replaces in, a copy of this process's environment for every job, e.g. IONSCREEN and
  /// IONSCREEN_INPUTS for cluster/wrappers/bvse.sh.
  explicit LocalBackend(int max_jobs, std::chrono::milliseconds minute = std::chrono::minutes(1),
                        std::map<std::string, std::string> environment = {});
  ~LocalBackend() override;
  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;

  /// Starts the job now or queues it. Throws SchedulerError naming the path and errno text when the
  /// job directory or the program (argv[0]; a path with '/', else looked up in PATH when it
  /// starts) is missing or unusable, or argv is empty. A queued job that later cannot be started
  /// is reported failed with that message as its reason.
  std::string submit(const Submission& submission) override;
  /// One non-blocking pass: reap finished children, enforce wall times, start queued jobs into
  /// free slots, then report each id (adopted ids as above; other ids this backend never issued
  /// are `unknown`).
  std::map<std::string, JobReport> poll(const std::vector<std::string>& scheduler_ids) override;
  /// Queued: removed, cancelled. Running: SIGTERM, SIGKILL after kill_grace, reaped, cancelled.
  /// Adopted and running: SIGTERM to its group, SIGKILL after kill_grace (not reaped: it is
  /// not our child). Finished, failed, timed out, cancelled or unknown: no-op.
  void cancel(const std::string& scheduler_id) override;
  /// Ids of jobs submitted to this backend (any state) whose Submission::name starts with
  /// `prefix`, in submission order; then the adopted ids ("pid-<pid>-<start time>") of running
  /// jobs of this user that another process started with such a name, oldest first.
  std::vector<std::string> find_by_name(const std::string& prefix) override;

  int max_jobs() const { return max_jobs_; }
  /// Jobs whose process is alive now.
  int running_jobs() const { return running_; }

 private:
  struct Job {
    std::uint64_t number = 0;
    Submission submission;
    JobState state = JobState::queued;
    std::string reason;
    std::optional<Process> process;
    std::chrono::steady_clock::time_point started;
    std::optional<JobState> ending;  ///< timed_out or cancelled once we started stopping it
    std::chrono::steady_clock::time_point kill_at;  ///< when SIGTERM turns into SIGKILL
  };

  void reap();
  void enforce_time_limits();
  void start_queued();
  void start(Job& job);
  void finish(Job& job, const ExitStatus& status);
  Job* find(const std::string& scheduler_id);
  /// The report for an adopted id, or nothing if `scheduler_id` is not of that form.
  std::optional<JobReport> poll_adopted(const std::string& scheduler_id) const;
  /// Cancels an adopted id; false if `scheduler_id` is not of that form.
  bool cancel_adopted(const std::string& scheduler_id);

  int max_jobs_;
  std::chrono::milliseconds minute_;
  std::map<std::string, std::string> environment_;
  std::uint64_t next_number_ = 1;
  std::string id_prefix_;  ///< "local-<pid>.<start time>-"
  int running_ = 0;
  std::map<std::string, Job> jobs_;
  std::deque<std::string> queue_;
  std::set<std::string> cancelled_adopted_;  ///< adopted ids cancel() was called for
};

}  // namespace ionscreen::pipeline
