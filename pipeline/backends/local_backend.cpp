#include "pipeline/backends/local_backend.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <utility>

#include "pipeline/backends/process_scan.hpp"

namespace ionscreen::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

/// Every job's environment names it, so that a later LocalBackend can find it (find_by_name).
constexpr const char* kJobNameVariable = "IONSCREEN_JOB_NAME";

ProcessSpec spec_for(const Submission& submission,
                     const std::map<std::string, std::string>& environment) {
  ProcessSpec spec;
  spec.argv = submission.argv;
  spec.working_directory = submission.directory;
  spec.stdout_path = submission.directory / "stdout";
  spec.stderr_path = submission.directory / "stderr";
  spec.environment = environment;
  spec.environment[kJobNameVariable] = submission.name;
  return spec;
}

/// A job an earlier process started, named by its group leader's pid and start time.
struct AdoptedId {
  pid_t pid = 0;
  unsigned long long start_time = 0;
};

std::string adopted_id(const ProcStat& stat) {
  return std::string("pid-") + std::to_string(stat.pid) + "-" + std::to_string(stat.start_time);
}

std::optional<AdoptedId> parse_adopted_id(const std::string& id) {
  AdoptedId adopted;
  long long pid = 0;
  char tail = 0;
  if (std::sscanf(id.c_str(), "pid-%lld-%llu%c", &pid, &adopted.start_time, &tail) != 2 || pid <= 0)
    return std::nullopt;
  adopted.pid = static_cast<pid_t>(pid);
  if (adopted_id({adopted.pid, '?', 0, adopted.start_time}) != id) return std::nullopt;
  return adopted;
}

/// The process `id` names, as /proc shows it now (zombie or not), unless it is gone.
std::optional<ProcStat> same_process(const AdoptedId& id) {
  auto stat = read_proc_stat(id.pid);
  if (!stat || stat->start_time != id.start_time) return std::nullopt;
  return stat;
}

bool alive(const AdoptedId& id) {
  const auto stat = same_process(id);
  return stat && stat->state != 'Z';
}

bool is_terminal(JobState state) { return state != JobState::queued && state != JobState::running; }

}  // namespace

LocalBackend::LocalBackend(int max_jobs, std::chrono::milliseconds minute,
                           std::map<std::string, std::string> environment)
    : max_jobs_(max_jobs), minute_(minute), environment_(std::move(environment)) {
  if (max_jobs_ < 1) {
    throw SchedulerError("LocalBackend: max_jobs must be at least 1, got " +
                         std::to_string(max_jobs_));
  }
  if (minute_.count() <= 0) throw SchedulerError("LocalBackend: the minute must be positive");
  const auto self = read_proc_stat(::getpid());
  id_prefix_ = "local-" + std::to_string(::getpid()) + "." +
               std::to_string(self ? self->start_time : 0) + "-";
}

LocalBackend::~LocalBackend() {
  // SIGTERM to all first, so the grace periods run in parallel; then SIGKILL what is left.
  for (auto& [id, job] : jobs_) {
    if (job.process && job.process->running()) job.process->signal_group(SIGTERM);
  }
  const auto deadline = Clock::now() + kill_grace;
  for (auto& [id, job] : jobs_) {
    if (!job.process) continue;
    try {
      while (job.process->running() && Clock::now() < deadline && !job.process->try_wait()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    } catch (const ProcessError&) {
      // Reaped elsewhere; nothing left to wait for.
    }
    job.process.reset();  // ~Process: SIGKILL to the group and reap, if still running
  }
}

std::string LocalBackend::submit(const Submission& submission) {
  Submission resolved = submission;
  try {
    check_startable(spec_for(resolved, environment_));
  } catch (const ProcessError& error) {
    throw SchedulerError("LocalBackend: cannot submit " + submission.name + ": " + error.what());
  }
  // Fix paths now: a relative program or directory means relative to where we are at submission.
  resolved.directory = std::filesystem::absolute(resolved.directory);
  if (resolved.argv.front().find('/') != std::string::npos) {
    resolved.argv.front() = std::filesystem::absolute(resolved.argv.front()).string();
  }

  reap();
  enforce_time_limits();
  start_queued();  // earlier submissions first

  const std::uint64_t number = next_number_++;
  std::string id = id_prefix_ + std::to_string(number);
  Job& job = jobs_[id];
  job.number = number;
  job.submission = std::move(resolved);
  if (running_ < max_jobs_) {
    start(job);
  } else {
    job.reason = "waiting for a free slot";
    queue_.push_back(id);
  }
  return id;
}

std::map<std::string, JobReport> LocalBackend::poll(const std::vector<std::string>& scheduler_ids) {
  reap();
  enforce_time_limits();
  start_queued();
  std::map<std::string, JobReport> reports;
  for (const auto& id : scheduler_ids) {
    if (auto adopted = poll_adopted(id)) {
      reports[id] = std::move(*adopted);
      continue;
    }
    JobReport report;
    report.scheduler_id = id;
    if (const Job* job = find(id)) {
      report.state = job->state;
      report.reason = job->reason;
    } else {
      report.state = JobState::unknown;
      report.reason = "not submitted to this LocalBackend, nor an adopted pid-<pid>-<start time>";
    }
    reports[id] = std::move(report);
  }
  return reports;
}

void LocalBackend::cancel(const std::string& scheduler_id) {
  if (cancel_adopted(scheduler_id)) return;
  Job* job = find(scheduler_id);
  if (job == nullptr || is_terminal(job->state)) return;
  if (job->state == JobState::queued) {
    queue_.erase(std::remove(queue_.begin(), queue_.end(), scheduler_id), queue_.end());
    job->state = JobState::cancelled;
    job->reason = "cancelled while queued";
    return;
  }
  job->ending = JobState::cancelled;
  try {
    finish(*job, job->process->stop(kill_grace));
  } catch (const ProcessError& error) {
    job->process.reset();
    --running_;
    job->state = JobState::cancelled;
    job->reason = error.what();
  }
  start_queued();
}

std::vector<std::string> LocalBackend::find_by_name(const std::string& prefix) {
  std::vector<std::pair<std::uint64_t, std::string>> found;
  for (const auto& [id, job] : jobs_) {
    if (job.submission.name.compare(0, prefix.size(), prefix) == 0)
      found.emplace_back(job.number, id);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> ids;
  for (auto& entry : found) ids.push_back(std::move(entry.second));
  std::set<pid_t> ours;
  for (const auto& [id, job] : jobs_)
    if (job.process && job.process->running()) ours.insert(job.process->pid());
  for (const TaggedProcess& other : find_group_leaders(kJobNameVariable, prefix))
    if (ours.count(other.stat.pid) == 0) ids.push_back(adopted_id(other.stat));
  return ids;
}

std::optional<JobReport> LocalBackend::poll_adopted(const std::string& scheduler_id) const {
  const auto adopted = parse_adopted_id(scheduler_id);
  if (!adopted) return std::nullopt;
  JobReport report;
  report.scheduler_id = scheduler_id;
  if (alive(*adopted)) {
    report.state = JobState::running;
    report.reason = "adopted process " + std::to_string(adopted->pid);
  } else if (cancelled_adopted_.count(scheduler_id) != 0) {
    report.state = JobState::cancelled;
    report.reason = "cancelled; adopted process ended; exit status unknown";
  } else {
    report.state = JobState::finished;
    report.reason = "adopted process ended; exit status unknown";
  }
  return report;
}

bool LocalBackend::cancel_adopted(const std::string& scheduler_id) {
  const auto adopted = parse_adopted_id(scheduler_id);
  if (!adopted) return false;
  if (!alive(*adopted)) return true;  // ended already: nothing to cancel
  cancelled_adopted_.insert(scheduler_id);
  ::kill(-adopted->pid, SIGTERM);
  const auto deadline = Clock::now() + kill_grace;
  while (alive(*adopted) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // While the leader exists (even as a zombie) its pid cannot be reused, so the group is still
  // this job's: kill whatever is left of it.
  if (same_process(*adopted)) ::kill(-adopted->pid, SIGKILL);
  return true;
}

void LocalBackend::reap() {
  for (auto& [id, job] : jobs_) {
    if (job.state != JobState::running || !job.process) continue;
    try {
      if (auto status = job.process->try_wait()) finish(job, *status);
    } catch (const ProcessError& error) {
      // Someone else reaped our child (e.g. waitpid(-1) elsewhere): its outcome is lost.
      job.process.reset();
      --running_;
      job.state = JobState::failed;
      job.reason = error.what();
    }
  }
}

void LocalBackend::enforce_time_limits() {
  const auto now = Clock::now();
  for (auto& [id, job] : jobs_) {
    if (job.state != JobState::running || !job.process) continue;
    if (job.ending) {
      if (now >= job.kill_at) job.process->signal_group(SIGKILL);
      continue;
    }
    const int minutes = job.submission.time_limit_minutes;
    if (minutes <= 0 || now - job.started < minutes * minute_) continue;
    job.ending = JobState::timed_out;
    job.kill_at = now + kill_grace;
    job.reason = "time limit reached; terminating";
    job.process->signal_group(SIGTERM);
  }
}

void LocalBackend::start_queued() {
  while (running_ < max_jobs_ && !queue_.empty()) {
    const std::string id = queue_.front();
    queue_.pop_front();
    start(jobs_.at(id));
  }
}

void LocalBackend::start(Job& job) {
  try {
    job.process.emplace(Process::start(spec_for(job.submission, environment_)));
  } catch (const ProcessError& error) {
    job.state = JobState::failed;
    job.reason = error.what();
    return;
  }
  ++running_;
  job.started = Clock::now();
  job.state = JobState::running;
  job.reason = "pid " + std::to_string(job.process->pid());
}

void LocalBackend::finish(Job& job, const ExitStatus& status) {
  job.process.reset();
  --running_;
  if (job.ending == JobState::timed_out) {
    job.state = JobState::timed_out;
    job.reason = "time limit of " + std::to_string(job.submission.time_limit_minutes) +
                 " min reached (" + status.describe() + ")";
  } else if (job.ending == JobState::cancelled) {
    job.state = JobState::cancelled;
    job.reason = "cancelled (" + status.describe() + ")";
  } else {
    job.state = status.success() ? JobState::finished : JobState::failed;
    job.reason = status.describe();
  }
}

LocalBackend::Job* LocalBackend::find(const std::string& scheduler_id) {
  const auto it = jobs_.find(scheduler_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

}  // namespace ionscreen::pipeline
