#include "pipeline/campaign/campaign.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "gp/pool_scoring.hpp"
#include "gp/text.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/base/fnv1a.hpp"

namespace ionscreen::pipeline {
namespace {

std::string job_id(std::int64_t candidate, int attempt) {
  char out[48];
  std::snprintf(out, sizeof out, "c%07lld-a%02d", static_cast<long long>(candidate), attempt);
  return out;
}

std::string hyperparameter_text(const gp::NamedValues& values) {
  std::string out;
  for (const auto& [name, value] : values) out += name + "=" + gp::format_double(value) + "\n";
  return out;
}

/// Why a job whose directory has no final status ended, in the scheduler's words.
std::string scheduler_ending(JobState s, const std::string& reason) {
  switch (s) {
    case JobState::timed_out:
      return "wall time reached";
    case JobState::cancelled:
      return "cancelled";
    case JobState::unknown:
      return "lost: the scheduler no longer knows the job and no process answers to its name";
    default:
      break;
  }
  return "the job ended without writing a final status" +
         (reason.empty() ? "" : " (" + reason + ")");
}

/// 8 hex digits from the directory, the time and this process: a new campaign's instance.
std::string new_instance(const std::filesystem::path& directory, double now) {
  const std::uint64_t h = fnv1a(std::filesystem::absolute(directory).string() + "|" +
                                std::to_string(now) + "|" + std::to_string(::getpid()));
  char out[9];
  std::snprintf(out, sizeof out, "%08llx", static_cast<unsigned long long>(h >> 32));
  return out;
}

}  // namespace

void CampaignFileStore::save(const CampaignRecord& record) { write_campaign_file(record, file_); }

Campaign::Campaign(CampaignConfig config, CandidatePool pool, CampaignIo io,
                   std::optional<CampaignRecord> resumed, std::optional<TransferSource> source)
    : config_(std::move(config)),
      paths_(config_.directory),
      pool_(std::move(pool)),
      io_(std::move(io)),
      resuming_(resumed.has_value()) {
  std::optional<gp::OptimizerState> saved;
  if (resumed) {
    record_ = std::move(*resumed);
    record_.config_ini = to_ini(config_);  // budgets, limits and backend may change on resume
    saved = gp::state_from_text(record_.optimizer_state);
  } else {
    start_record();
  }
  std::optional<gp::SourceTask> task;
  if (source) {
    record_.transfer_source = source->file;
    record_.transfer_source_name = source->name;
    record_.transfer_source_fingerprint = source->fingerprint;
    record_.transfer_source_observations = source->observations;
    task = std::move(source->task);
  }
  const Features features = pipeline::features(pool_);
  optimizer_.emplace(optimizer_config(config_, features, record_.threshold), features.X,
                     features.groups, std::move(task), std::move(saved));
  if (io_.scoring) optimizer_->set_pool_scoring(io_.scoring);
}

void Campaign::start_record() {
  record_.name = config_.name;
  record_.instance = new_instance(paths_.directory, io_.clock.now());
  record_.config_ini = to_ini(config_);
  record_.pool_fingerprint = std::to_string(pool_.fingerprint);
  record_.pool_size = static_cast<std::int64_t>(pool_.size());
  record_.created = io_.clock.now();
  if (config_.mode == SearchMode::threshold) {
    const ResolvedThreshold t = resolve_threshold(config_);
    record_.threshold = t.value;
    record_.threshold_how = t.how;
  }
}

void Campaign::say(const std::string& line) const {
  if (io_.events.line) io_.events.line(line);
}

std::string Campaign::submission_name(const JobRecord& job) const {
  // The stored name: job names must not follow a config that names the campaign otherwise.
  return "ionscreen-" + record_.name + "-" + record_.instance + "-" + job.job_id;
}

std::filesystem::path Campaign::job_directory(const JobRecord& job) const {
  return paths_.directory / job.directory;
}

int Campaign::in_flight() const {
  return static_cast<int>(std::count_if(record_.jobs.begin(), record_.jobs.end(),
                                        [](const JobRecord& j) { return j.in_flight(); }));
}

std::vector<Eigen::Index> Campaign::candidates_in_flight() const {
  std::vector<Eigen::Index> out;
  for (const auto& j : record_.jobs)
    if (j.in_flight()) out.push_back(j.candidate);
  return out;
}

void Campaign::checkpoint() {
  record_.optimizer_state = gp::to_text(optimizer_->state());
  if (run_started_ > 0) record_.elapsed = elapsed_before_ + (io_.clock.now() - run_started_);
  io_.store.save(record_);
}

JobRecord& Campaign::plan(std::int64_t candidate, int attempt) {
  JobRecord job;
  job.job_id = job_id(candidate, attempt);
  job.candidate = candidate;
  job.attempt = attempt;
  job.engine = io_.engine.name();
  job.created = io_.clock.now();
  job.directory = "jobs/" + job.job_id;
  record_.jobs.push_back(job);
  return record_.jobs.back();
}

void Campaign::submit(JobRecord& job) {
  const std::filesystem::path dir = job_directory(job);
  if (io_.engine.needs_directory()) std::filesystem::create_directories(dir);
  const auto i = static_cast<std::size_t>(job.candidate);
  const std::filesystem::path previous =
      job.attempt > 1 ? paths_.jobs / job_id(job.candidate, job.attempt - 1) : "";
  io_.engine.write_inputs(
      {job.job_id, pool_.names[i], pool_.carrier, pool_.structures[i], job.attempt, previous}, dir);
  Submission s;
  s.job_id = job.job_id;
  s.name = submission_name(job);
  s.directory = dir;
  s.argv = io_.engine.argv(dir);
  s.time_limit_minutes = config_.time_limit_minutes;
  job.scheduler_id = io_.backend.submit(s);
  scheduler_backoff_ = 0;
  job.state = LedgerState::submitted;
  job.submitted = io_.clock.now();
  checkpoint();
  say("submitted " + job.job_id + " " + pool_.names[i] + " as " + job.scheduler_id);
}

void Campaign::submit_planned() {
  if (io_.clock.now() < scheduler_retry_at_) return;
  try {
    for (auto& job : record_.jobs)
      if (job.state == LedgerState::planned) submit(job);
  } catch (const SchedulerError& e) {
    if (e.permanent()) {  // the job's options are wrong: stop, fix, resume (it stays planned)
      record_.status = std::string("stopped: ") + e.what();
      checkpoint();
      throw;
    }
    scheduler_trouble("submit", e.what());
  }
}

void Campaign::scheduler_trouble(const char* what, const std::string& message) {
  // A scheduler's bad moment (slurmctld restarting, a full queue) is not the campaign's end: the
  // job stays planned (or submitted) and the call is tried again, less and less often.
  scheduler_backoff_ = std::min(std::max(2.0 * scheduler_backoff_, config_.poll_seconds), 300.0);
  scheduler_retry_at_ = io_.clock.now() + scheduler_backoff_;
  say(std::string("could not ") + what + " (" + message + "); trying again in " +
      std::to_string(static_cast<int>(std::ceil(scheduler_backoff_))) + " s");
}

void Campaign::fail_attempt(JobRecord& job, const std::string& reason, bool retryable) {
  job.state = LedgerState::failed;
  job.reason = reason;
  job.finished = io_.clock.now();
  const std::string& name = pool_.names[static_cast<std::size_t>(job.candidate)];
  if (retryable && job.attempt <= config_.retries) {
    const std::int64_t candidate = job.candidate;
    const int attempt = job.attempt + 1;
    say("attempt " + std::to_string(attempt - 1) + " of " + name + " failed (" + reason +
        "); retrying");
    plan(candidate, attempt);  // invalidates `job`
    return;
  }
  optimizer_->observe_failure(job.candidate);
  say(name + " failed for good: " + reason);
}

void Campaign::ingest(JobRecord& job, JobState scheduler_state,
                      const std::string& scheduler_reason) {
  const JobOutcome outcome = io_.engine.read_outcome(job_directory(job), job.job_id);
  exhausted_ = false;  // new information: the model may find more to do
  if (const auto* done = std::get_if<JobDone>(&outcome)) {
    job.state = LedgerState::done;
    job.e_b = done->e_b;
    job.finished = io_.clock.now();
    optimizer_->observe(job.candidate, done->e_b);
    say("result " + job.job_id + " " + pool_.names[static_cast<std::size_t>(job.candidate)] +
        " E_b = " + gp::format_double(done->e_b) + " eV");
  } else if (const auto* failed = std::get_if<JobFailed>(&outcome)) {
    fail_attempt(job, failed->reason, failed->retryable);
  } else {
    fail_attempt(job, scheduler_ending(scheduler_state, scheduler_reason), true);
  }
  checkpoint();
}

void Campaign::reconcile() {
  for (std::size_t k = 0; k < record_.jobs.size(); ++k) {
    JobRecord& job = record_.jobs[k];
    if (job.state != LedgerState::planned) continue;
    const JobOutcome outcome = io_.engine.read_outcome(job_directory(job), job.job_id);
    if (!std::holds_alternative<JobPending>(outcome)) {  // it ran, and its outcome is there
      say("recovered " + job.job_id + " from its directory");
      ingest(job, JobState::finished, "");
      continue;
    }
    const auto found = io_.backend.find_by_name(submission_name(job));
    if (!found.empty()) {
      job.scheduler_id = found.back();
      job.state = LedgerState::submitted;
      job.submitted = io_.clock.now();
      say("found " + job.job_id + " in the scheduler as " + job.scheduler_id);
    }
  }
  checkpoint();
}

void Campaign::poll_and_ingest() {
  std::vector<std::string> ids;
  for (const auto& job : record_.jobs)
    if (job.state == LedgerState::submitted) ids.push_back(job.scheduler_id);
  if (ids.empty() || io_.clock.now() < scheduler_retry_at_) return;
  std::map<std::string, JobReport> reports;
  try {
    reports = io_.backend.poll(ids);
    scheduler_backoff_ = 0;
  } catch (const SchedulerError& e) {
    scheduler_trouble("poll", e.what());
    return;
  }
  bool changed = false;
  // Index loop: ingest may append a retry to record_.jobs.
  for (std::size_t k = 0; k < record_.jobs.size(); ++k) {
    if (record_.jobs[k].state != LedgerState::submitted) continue;
    const auto it = reports.find(record_.jobs[k].scheduler_id);
    const JobReport report = it != reports.end() ? it->second : JobReport{};
    if (!ended(report.state)) {
      JobRecord& job = record_.jobs[k];
      // A job adopted after a restart has no wall-time limit of its own backend: apply ours.
      if (job.scheduler_id.starts_with("pid-") &&
          io_.clock.now() - job.submitted > 60.0 * (config_.time_limit_minutes + 1))
        io_.backend.cancel(job.scheduler_id);
      changed |= job.scheduler_state != report.state || job.scheduler_reason != report.reason;
      job.scheduler_state = report.state;
      job.scheduler_reason = report.reason;
      continue;
    }
    if (report.state == JobState::unknown) {
      // The scheduler forgot it (or we restarted): the directory or a process by name may know.
      JobRecord& job = record_.jobs[k];
      const JobOutcome outcome = io_.engine.read_outcome(job_directory(job), job.job_id);
      if (std::holds_alternative<JobPending>(outcome)) {
        const auto found = io_.backend.find_by_name(submission_name(job));
        if (!found.empty() && found.back() != job.scheduler_id) {
          job.scheduler_id = found.back();
          changed = true;
          continue;
        }
      }
    }
    record_.jobs[k].scheduler_state = report.state;
    ingest(record_.jobs[k], report.state, report.reason);
    changed = false;
  }
  if (changed) checkpoint();
}

bool Campaign::propose() {
  const int flying = in_flight();
  int room = config_.max_in_flight - flying;
  const auto finals =
      static_cast<int>(optimizer_->state().observations.size() + optimizer_->state().failed.size());
  const int budget = config_.budget > 0 ? config_.budget : static_cast<int>(pool_.size());
  room = std::min({room, config_.batch, budget - finals - flying});
  if (room <= 0) return false;

  DecisionRecord d;
  d.index = static_cast<std::int64_t>(record_.decisions.size());
  d.time = io_.clock.now();
  d.rng_state = optimizer_->state().rng;
  d.pool_fingerprint = record_.pool_fingerprint;
  d.kernel = optimizer_->state().kernel_spec;
  if (record_.decisions.empty() && !config_.initial_candidates.empty()) {
    d.reason = "user-named initial candidates";
    const double nan = std::nan("");
    for (const auto& n : config_.initial_candidates)
      d.picks.push_back({static_cast<std::int64_t>(pool_.index(n)), nan, nan, nan});
  } else {
    gp::Proposal p = optimizer_->propose(room, candidates_in_flight());
    if (p.picks.empty() && p.threshold) {
      // The model has decided every label: compute the candidates it only predicts below the
      // threshold, so that every reported hit is a calculated one (the model may yet change its
      // mind on some, and then the search goes on).
      p.picks = unconfirmed_hits(room);
      if (!p.picks.empty()) p.reason = "computing predicted hits";
    }
    if (p.picks.empty()) {
      if (p.reason.rfind("waiting", 0) != 0) {
        exhausted_ = true;
        exhausted_reason_ = p.reason;
      }
      return false;
    }
    d.reason = p.reason;
    d.hyperparameters = hyperparameter_text(p.hyperparameters);
    d.transfer_used = p.transfer_used;
    d.log_likelihood = p.log_likelihood;
    d.fit_fell_back = p.fit_fell_back;
    if (p.threshold) {
      d.below = p.threshold->below;
      d.above = p.threshold->above;
      d.undecided = p.threshold->undecided;
    }
    for (const auto& pick : p.picks)
      d.picks.push_back({pick.index, pick.acquisition, pick.mean, pick.variance});
  }
  for (const auto& pick : d.picks) plan(pick.candidate, 1);
  record_.decisions.push_back(std::move(d));
  checkpoint();  // the decision is durable before any job is submitted
  const auto& made = record_.decisions.back();
  std::string names;
  for (const auto& pick : made.picks)
    names += " " + pool_.names[static_cast<std::size_t>(pick.candidate)];
  say("proposal " + std::to_string(made.index) + " (" + made.reason + "):" + names);
  return true;
}

std::vector<gp::Pick> Campaign::unconfirmed_hits(int count) const {
  std::vector<bool> taken(pool_.size(), false);
  const auto& state = optimizer_->state();
  for (const auto& o : state.observations) taken[static_cast<std::size_t>(o.id)] = true;
  for (const auto id : state.failed) taken[static_cast<std::size_t>(id)] = true;
  for (const auto id : state.pending) taken[static_cast<std::size_t>(id)] = true;
  for (const auto id : candidates_in_flight()) taken[static_cast<std::size_t>(id)] = true;
  std::vector<gp::Pick> picks;
  const auto& labels = optimizer_->labels();
  const double nan = std::nan("");
  for (std::size_t i = 0; i < labels.size() && static_cast<int>(picks.size()) < count; ++i)
    if (labels[i] == gp::Label::below && !taken[i])
      picks.push_back({static_cast<Eigen::Index>(i), nan, nan, nan});
  return picks;
}

bool Campaign::clock_out() const {
  return config_.wall_clock_seconds > 0 &&
         elapsed_before_ + (io_.clock.now() - run_started_) >= config_.wall_clock_seconds;
}

std::optional<std::string> Campaign::stop_reason() const {
  const auto& state = optimizer_->state();
  const auto finals = state.observations.size() + state.failed.size();
  const bool idle = in_flight() == 0;
  if (config_.budget > 0 && finals >= static_cast<std::size_t>(config_.budget) && idle)
    return "finished: evaluation budget of " + std::to_string(config_.budget) + " reached";
  if (config_.target && idle)
    if (const auto best = optimizer_->best(); best && best->y <= *config_.target)
      return "finished: target " + gp::format_double(*config_.target) + " eV reached";
  if (exhausted_ && idle) return "finished: " + exhausted_reason_;
  if (finals >= pool_.size() && idle) return "finished: every candidate evaluated";
  if (clock_out()) return "stopped: wall-clock limit reached (resume to go on)";
  return std::nullopt;
}

void Campaign::report_status() const {
  if (!io_.events.status) return;
  const auto& state = optimizer_->state();
  std::ostringstream s;
  s << config_.name << ": " << state.observations.size() << " done, " << state.failed.size()
    << " failed, " << in_flight() << " in flight of " << pool_.size();
  if (const auto best = optimizer_->best())
    s << "; best " << pool_.names[static_cast<std::size_t>(best->id)] << " "
      << gp::format_double(best->y) << " eV";
  if (config_.mode == SearchMode::threshold && !record_.decisions.empty() &&
      record_.decisions.back().undecided >= 0) {
    std::size_t hits = 0;
    for (const auto& o : state.observations) hits += o.y < record_.threshold;
    s << "; " << hits << " below threshold, " << record_.decisions.back().undecided << " undecided";
  }
  io_.events.status(s.str());
}

std::string Campaign::run() {
  say((resuming_ ? "resuming " : "starting ") + std::string("campaign '") + config_.name + "' in " +
      paths_.directory.string() + ": " + std::to_string(pool_.size()) + " " + config_.carrier +
      " candidates, " + name_of(config_.mode) + " search, engine " + io_.engine.name() +
      ", kernel " + optimizer_->config().kernel);
  if (!resuming_ && config_.mode == SearchMode::threshold)
    say("threshold " + gp::format_double(record_.threshold) + " eV (" + record_.threshold_how +
        ")");
  run_started_ = io_.clock.now();
  elapsed_before_ = record_.elapsed;
  record_.status = "running";
  reconcile();
  for (;;) {
    poll_and_ingest();
    submit_planned();
    report_status();
    if (const auto stop = stop_reason()) {
      record_.status = *stop;
      checkpoint();
      say(*stop);
      return *stop;
    }
    const auto best = optimizer_->best();
    const bool target_reached = config_.target && best && best->y <= *config_.target;
    if (!target_reached && !exhausted_ && !clock_out() && propose()) {
      submit_planned();
      continue;
    }
    if (config_.poll_seconds > 0) io_.clock.sleep(config_.poll_seconds);
  }
}

}  // namespace ionscreen::pipeline
