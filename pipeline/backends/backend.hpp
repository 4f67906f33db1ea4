#pragma once
/// Where jobs run. A backend starts a job directory's wrapper and reports what became of it; it
/// makes no scientific decisions and keeps no state a crash could lose: everything it needs to
/// answer `poll` after a restart is in the scheduler or in the job directories.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "pipeline/base/enum_names.hpp"
#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {

/// What a campaign submits. `name` carries the campaign and job id
/// (ionscreen-<name>-<instance>-<job>) so that a submission whose scheduler id was never recorded
/// can be found again by name.
struct Submission {
  std::string job_id;
  std::string name;
  std::filesystem::path directory;  ///< the job directory (status, result.json are written here)
  std::vector<std::string> argv;    ///< the wrapper and its arguments; never a shell string
  int cpus = 1;
  int time_limit_minutes = 60;
};

enum class JobState {
  queued,  ///< accepted, not started
  running,
  finished,   ///< the wrapper exited (read the job directory for done / failed)
  failed,     ///< the scheduler ended it abnormally (non-zero exit, node failure)
  timed_out,  ///< wall time reached
  cancelled,
  unknown,  ///< the scheduler no longer knows the id (lost)
};
template <>
struct EnumNames<JobState> {
  static constexpr std::pair<JobState, const char*> values[] = {
      {JobState::queued, "queued"},       {JobState::running, "running"},
      {JobState::finished, "finished"},   {JobState::failed, "failed"},
      {JobState::timed_out, "timed_out"}, {JobState::cancelled, "cancelled"},
      {JobState::unknown, "unknown"}};
};
/// Ended one way or another: neither queued nor running.
inline bool ended(JobState state) {
  return state != JobState::queued && state != JobState::running;
}

struct JobReport {
  std::string scheduler_id;
  JobState state = JobState::unknown;
  std::string reason;  ///< e.g. Slurm's pending reason ("Resources", "Priority") or exit status
};

class Backend {
 public:
  virtual ~Backend() = default;
  /// Start a job; returns its scheduler id. Throws SchedulerError (with the scheduler's message)
  /// when the submission is refused.
  virtual std::string submit(const Submission& submission) = 0;
  /// The state of each id, in one scheduler call for all of them (not one per job).
  virtual std::map<std::string, JobReport> poll(const std::vector<std::string>& scheduler_ids) = 0;
  /// Ask the scheduler to stop a job (idempotent: cancelling a finished job is not an error).
  virtual void cancel(const std::string& scheduler_id) = 0;
  /// Scheduler ids of jobs whose name starts with `prefix` (for recovering unrecorded ids).
  virtual std::vector<std::string> find_by_name(const std::string& prefix) = 0;
};

}  // namespace ionscreen::pipeline
