#include "pipeline/campaign.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "gp/pool_scoring.hpp"
#include "gp/text.hpp"
#include "pipeline/campaign_setup.hpp"
#include "pipeline/error.hpp"
#include "pipeline/fnv1a.hpp"

namespace ionscreen::pipeline {
namespace {

/// How long a new run waits for the campaign lock: longer than a scheduler command of a killed
/// run can take (Slurm's client timeouts are tens of seconds).
constexpr std::chrono::seconds kLockWait{90};

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

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

bool ended(JobState s) {
  return s != JobState::queued && s != JobState::running;
}

/// Why a job whose directory has no final status ended, in the scheduler's words.
std::string scheduler_ending(JobState s, const std::string& reason) {
  switch (s) {
    case JobState::timed_out: return "wall time reached";
    case JobState::cancelled: return "cancelled";
    case JobState::unknown: return "lost: the scheduler no longer knows the job and no process answers to its name";
    default: break;
  }
  return "the job ended without writing a final status" + (reason.empty() ? "" : " (" + reason + ")");
}

/// 8 hex digits from the directory, the time and this process: a new campaign's instance.
std::string new_instance(const std::filesystem::path& directory) {
  const std::uint64_t h = fnv1a(std::filesystem::absolute(directory).string() + "|" +
                                std::to_string(now()) + "|" + std::to_string(::getpid()));
  char out[9];
  std::snprintf(out, sizeof out, "%08llx", static_cast<unsigned long long>(h >> 32));
  return out;
}

/// " (pid N)" if the lock file names a live ionscreen process, else "" (the holder is then a
/// scheduler command that outlived its driver).
std::string live_holder(const std::filesystem::path& lock) {
  std::ifstream in(lock);
  long pid = 0;
  if (!(in >> pid) || pid <= 0 || pid == ::getpid()) return "";
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return !ec && exe.filename() == "ionscreen" ? " (pid " + std::to_string(pid) + ")" : "";
}

}  // namespace

void CampaignFileStore::save(const CampaignRecord& record) { write_campaign_file(record, file_); }

namespace {

/// The element symbols in candidate names that are formulas ("LiFeSO4F": Li Fe S O F).
std::set<std::string> formula_elements(const std::vector<std::string>& names) {
  std::set<std::string> elements;
  for (const auto& name : names)
    for (std::size_t i = 0; i < name.size(); ++i)
      if (std::isupper(static_cast<unsigned char>(name[i]))) {
        const bool two = i + 1 < name.size() && std::islower(static_cast<unsigned char>(name[i + 1]));
        elements.insert(name.substr(i, two ? 2 : 1));
      }
  return elements;
}

}  // namespace

CandidatePool open_or_build_pool(const CampaignConfig& config, const BuildProgress& progress) {
  const CampaignPaths paths(config.directory);
  if (std::filesystem::exists(paths.candidates)) return read_pool(paths.candidates);
  std::filesystem::create_directories(paths.directory);
  CandidatePool pool = build_pool(config, progress);
  write_pool(pool, paths.candidates);
  return pool;
}

Campaign::Campaign(CampaignConfig config, Backend& backend, const Engine& engine,
                   CampaignEvents events, std::shared_ptr<gp::PoolScoring> scoring)
    : config_(std::move(config)),
      paths_(config_.directory),
      backend_(backend),
      engine_(engine),
      events_(std::move(events)),
      own_store_(std::make_unique<CampaignFileStore>(paths_.campaign)),
      store_(own_store_.get()) {
  std::filesystem::create_directories(paths_.jobs);
  lock_directory();

  pool_ = open_or_build_pool(config_, [&](std::size_t done, std::size_t total) {
    if (events_.status) events_.status("building candidates " + std::to_string(done) + "/" + std::to_string(total));
  });
  if (!pool_.structures.empty()) engine_.check_elements(formula_elements(pool_.names));
  const Features features = pipeline::features(pool_);
  const bool resuming = std::filesystem::exists(paths_.campaign);
  std::optional<gp::OptimizerState> saved;
  if (resuming) {
    record_ = read_campaign_file(paths_.campaign);
    const CampaignConfig before = parse_campaign_config(record_.config_ini, paths_.campaign);
    if (const auto diff = identity_differences(before, config_); !diff.empty()) {
      std::string text;
      for (const auto& d : diff) text += "\n  " + d;
      throw InputError(config_.file.string() + " does not match the campaign in " +
                       paths_.campaign.string() + ", which was started with other settings:" + text +
                       "\nStart a new campaign (another [campaign] directory) to change them.");
    }
    if (record_.pool_fingerprint != std::to_string(pool_.fingerprint))
      throw InputError(paths_.candidates.string() + " is not the candidate table " +
                       paths_.campaign.string() + " was run on");
    record_.config_ini = to_ini(config_);  // budgets, limits and backend may change on resume
    saved = gp::state_from_text(record_.optimizer_state);
  } else {
    start_record();
  }
  auto source = load_transfer_source(config_, features, record_);
  start_optimizer(features, std::move(source), std::move(saved), std::move(scoring), resuming);
}

Campaign::Campaign(CampaignConfig config, CandidatePool pool, std::optional<gp::SourceTask> source,
                   Backend& backend, const Engine& engine, CampaignStore& store,
                   CampaignEvents events)
    : config_(std::move(config)),
      paths_(config_.directory),
      backend_(backend),
      engine_(engine),
      events_(std::move(events)),
      store_(&store),
      pool_(std::move(pool)) {
  start_record();
  start_optimizer(pipeline::features(pool_), std::move(source), std::nullopt, nullptr, false);
}

void Campaign::start_record() {
  record_.name = config_.name;
  record_.instance = new_instance(paths_.directory);
  record_.config_ini = to_ini(config_);
  record_.pool_fingerprint = std::to_string(pool_.fingerprint);
  record_.pool_size = static_cast<std::int64_t>(pool_.size());
  record_.created = now();
  if (config_.mode == "threshold") {
    const ResolvedThreshold t = resolve_threshold(config_);
    record_.threshold = t.value;
    record_.threshold_how = t.how;
  }
}

void Campaign::start_optimizer(const Features& features, std::optional<gp::SourceTask> source,
                               std::optional<gp::OptimizerState> saved,
                               std::shared_ptr<gp::PoolScoring> scoring, bool resuming) {
  optimizer_.emplace(optimizer_config(config_, features, record_.threshold), features.X,
                     features.groups, std::move(source), std::move(saved));
  if (scoring) optimizer_->set_pool_scoring(std::move(scoring));
  if (events_.line)
    events_.line((resuming ? "resuming " : "starting ") + std::string("campaign '") + config_.name +
                 "' in " + paths_.directory.string() + ": " + std::to_string(pool_.size()) +
                 " " + config_.carrier + " candidates, " + config_.mode + " search, engine " +
                 engine_.name() + ", kernel " + optimizer_->config().kernel);
  if (!resuming) {
    if (config_.mode == "threshold" && events_.line)
      events_.line("threshold " + gp::format_double(record_.threshold) + " eV (" + record_.threshold_how + ")");
    checkpoint();
  }
}

void Campaign::lock_directory() {
  // Under Slurm the lock is inherited by the scheduler commands this process runs: an sbatch
  // left running by a killed driver still holds it, so a resume waits until that submission has
  // either reached Slurm (and is found by name) or failed, and never submits the job again. Local
  // jobs must not inherit it (they run for hours; a resume finds them by name instead).
  const int cloexec = config_.backend == "slurm" ? 0 : O_CLOEXEC;
  lock_fd_ = ::open(paths_.lock.c_str(), O_RDWR | O_CREAT | cloexec, 0644);
  if (lock_fd_ < 0)
    throw InputError(paths_.lock.string() + ": cannot open the campaign lock: " + std::strerror(errno));
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  bool said = false;
  while (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = live_holder(paths_.lock);
    if (!holder.empty() || std::chrono::steady_clock::now() > deadline)
      throw InputError(paths_.directory.string() + ": another ionscreen" + holder +
                       " is running this campaign (it holds " + paths_.lock.string() +
                       "); wait for it or stop it first");
    if (!said && events_.line)
      events_.line("waiting for a scheduler command of the previous run to finish");
    said = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0)
    throw InputError(paths_.lock.string() + ": cannot write: " + std::strerror(errno));
}

Campaign::~Campaign() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string Campaign::submission_name(const JobRecord& job) const {
  return "ionscreen-" + config_.name + "-" + record_.instance + "-" + job.job_id;
}

int Campaign::in_flight() const {
  return static_cast<int>(std::count_if(record_.jobs.begin(), record_.jobs.end(), [](const JobRecord& j) {
    return j.state == "planned" || j.state == "submitted";
  }));
}

std::vector<Eigen::Index> Campaign::candidates_in_flight() const {
  std::vector<Eigen::Index> out;
  for (const auto& j : record_.jobs)
    if (j.state == "planned" || j.state == "submitted") out.push_back(j.candidate);
  return out;
}

void Campaign::checkpoint() {
  record_.optimizer_state = gp::to_text(optimizer_->state());
  if (run_started_ > 0) record_.elapsed = elapsed_before_ + (now() - run_started_);
  store_->save(record_);
}

JobRecord& Campaign::plan(std::int64_t candidate, int attempt) {
  JobRecord job;
  job.job_id = job_id(candidate, attempt);
  job.candidate = candidate;
  job.attempt = attempt;
  job.engine = engine_.name();
  job.created = now();
  job.directory = "jobs/" + job.job_id;
  record_.jobs.push_back(job);
  return record_.jobs.back();
}

void Campaign::submit(JobRecord& job) {
  const std::filesystem::path dir = paths_.directory / job.directory;
  if (engine_.needs_directory()) std::filesystem::create_directories(dir);
  const auto i = static_cast<std::size_t>(job.candidate);
  const std::filesystem::path previous =
      job.attempt > 1 ? paths_.directory / "jobs" / job_id(job.candidate, job.attempt - 1) : "";
  engine_.write_inputs({job.job_id, pool_.names[i], pool_.carrier, pool_.structures[i], job.attempt, previous}, dir);
  Submission s;
  s.job_id = job.job_id;
  s.name = submission_name(job);
  s.directory = dir;
  s.argv = engine_.argv(dir);
  s.time_limit_minutes = config_.time_limit_minutes;
  job.scheduler_id = backend_.submit(s);
  scheduler_backoff_ = 0;
  job.state = "submitted";
  job.submitted = now();
  checkpoint();
  if (events_.line)
    events_.line("submitted " + job.job_id + " " + pool_.names[i] + " as " + job.scheduler_id);
}

void Campaign::submit_planned() {
  if (now() < scheduler_retry_at_) return;
  try {
    for (auto& job : record_.jobs)
      if (job.state == "planned") submit(job);
  } catch (const BackendError& e) {
    scheduler_trouble("submit", e.what());
  }
}

void Campaign::scheduler_trouble(const char* what, const std::string& message) {
  // A scheduler's bad moment (slurmctld restarting, a full queue) is not the campaign's end: the
  // job stays planned (or submitted) and the call is tried again, less and less often.
  scheduler_backoff_ = std::min(std::max(2.0 * scheduler_backoff_, config_.poll_seconds), 300.0);
  scheduler_retry_at_ = now() + scheduler_backoff_;
  if (events_.line)
    events_.line(std::string("could not ") + what + " (" + message + "); trying again in " +
                 std::to_string(static_cast<int>(std::ceil(scheduler_backoff_))) + " s");
}

void Campaign::fail_attempt(JobRecord& job, const std::string& reason, bool retryable) {
  job.state = "failed";
  job.reason = reason;
  job.finished = now();
  const std::string& name = pool_.names[static_cast<std::size_t>(job.candidate)];
  if (retryable && job.attempt <= config_.retries) {
    const std::int64_t candidate = job.candidate;
    const int attempt = job.attempt + 1;
    if (events_.line)
      events_.line("attempt " + std::to_string(attempt - 1) + " of " + name + " failed (" + reason +
                   "); retrying");
    plan(candidate, attempt);  // invalidates `job`
    return;
  }
  optimizer_->observe_failure(job.candidate);
  if (events_.line) events_.line(name + " failed for good: " + reason);
}

void Campaign::ingest(JobRecord& job, JobState scheduler_state, const std::string& scheduler_reason) {
  const JobOutcome outcome = engine_.read_outcome(paths_.directory / job.directory, job.job_id);
  exhausted_ = false;  // new information: the model may find more to do
  if (outcome.kind == JobOutcome::Kind::done) {
    job.state = "done";
    job.e_b = outcome.e_b;
    job.finished = now();
    optimizer_->observe(job.candidate, outcome.e_b);
    if (events_.line)
      events_.line("result " + job.job_id + " " + pool_.names[static_cast<std::size_t>(job.candidate)] +
                   " E_b = " + gp::format_double(outcome.e_b) + " eV");
  } else if (outcome.kind == JobOutcome::Kind::failed) {
    fail_attempt(job, outcome.reason, outcome.retryable);
  } else {
    fail_attempt(job, scheduler_ending(scheduler_state, scheduler_reason), true);
  }
  checkpoint();
}

void Campaign::reconcile() {
  for (std::size_t k = 0; k < record_.jobs.size(); ++k) {
    JobRecord& job = record_.jobs[k];
    if (job.state != "planned") continue;
    const JobOutcome outcome = engine_.read_outcome(paths_.directory / job.directory, job.job_id);
    if (outcome.kind != JobOutcome::Kind::pending) {  // it ran, and its outcome is there
      if (events_.line) events_.line("recovered " + job.job_id + " from its directory");
      ingest(job, JobState::finished, "");
      continue;
    }
    const auto found = backend_.find_by_name(submission_name(job));
    if (!found.empty()) {
      job.scheduler_id = found.back();
      job.state = "submitted";
      job.submitted = now();
      if (events_.line) events_.line("found " + job.job_id + " in the scheduler as " + job.scheduler_id);
    }
  }
  checkpoint();
}

void Campaign::poll_and_ingest() {
  std::vector<std::string> ids;
  for (const auto& job : record_.jobs)
    if (job.state == "submitted") ids.push_back(job.scheduler_id);
  if (ids.empty() || now() < scheduler_retry_at_) return;
  std::map<std::string, JobReport> reports;
  try {
    reports = backend_.poll(ids);
    scheduler_backoff_ = 0;
  } catch (const BackendError& e) {
    scheduler_trouble("poll", e.what());
    return;
  }
  bool changed = false;
  // Index loop: ingest may append a retry to record_.jobs.
  for (std::size_t k = 0; k < record_.jobs.size(); ++k) {
    if (record_.jobs[k].state != "submitted") continue;
    const auto it = reports.find(record_.jobs[k].scheduler_id);
    const JobReport report = it != reports.end() ? it->second : JobReport{};
    if (!ended(report.state)) {
      JobRecord& job = record_.jobs[k];
      // A job adopted after a restart has no wall-time limit of its own backend: apply ours.
      if (job.scheduler_id.starts_with("pid-") &&
          now() - job.submitted > 60.0 * (config_.time_limit_minutes + 1))
        backend_.cancel(job.scheduler_id);
      const std::string state = to_string(report.state);
      changed |= job.scheduler_state != state || job.scheduler_reason != report.reason;
      job.scheduler_state = state;
      job.scheduler_reason = report.reason;
      continue;
    }
    if (report.state == JobState::unknown) {
      // The scheduler forgot it (or we restarted): the directory or a process by name may know.
      JobRecord& job = record_.jobs[k];
      const JobOutcome outcome = engine_.read_outcome(paths_.directory / job.directory, job.job_id);
      if (outcome.kind == JobOutcome::Kind::pending) {
        const auto found = backend_.find_by_name(submission_name(job));
        if (!found.empty() && found.back() != job.scheduler_id) {
          job.scheduler_id = found.back();
          changed = true;
          continue;
        }
      }
    }
    record_.jobs[k].scheduler_state = to_string(report.state);
    ingest(record_.jobs[k], report.state, report.reason);
    changed = false;
  }
  if (changed) checkpoint();
}

bool Campaign::propose() {
  const int flying = in_flight();
  int room = config_.max_in_flight - flying;
  const auto finals = static_cast<int>(optimizer_->state().observations.size() +
                                       optimizer_->state().failed.size());
  const int budget = config_.budget > 0 ? config_.budget : static_cast<int>(pool_.size());
  room = std::min({room, config_.batch, budget - finals - flying});
  if (room <= 0) return false;

  DecisionRecord d;
  d.index = static_cast<std::int64_t>(record_.decisions.size());
  d.time = now();
  d.rng_state = optimizer_->state().rng;
  d.pool_fingerprint = record_.pool_fingerprint;
  d.kernel = optimizer_->state().kernel_spec;
  std::vector<Eigen::Index> named;
  if (record_.decisions.empty() && !config_.initial_candidates.empty()) {
    for (const auto& n : config_.initial_candidates)
      named.push_back(static_cast<Eigen::Index>(pool_.index(n)));
    d.reason = "user-named initial candidates";
    const double nan = std::nan("");
    for (const auto i : named) d.picks.push_back({i, nan, nan, nan});
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
    for (const auto& pick : p.picks) d.picks.push_back({pick.index, pick.acquisition, pick.mean, pick.variance});
  }
  for (const auto& pick : d.picks) plan(pick.candidate, 1);
  record_.decisions.push_back(std::move(d));
  checkpoint();  // the decision is durable before any job is submitted
  const auto& made = record_.decisions.back();
  if (events_.line) {
    std::string names;
    for (const auto& pick : made.picks) names += " " + pool_.names[static_cast<std::size_t>(pick.candidate)];
    events_.line("proposal " + std::to_string(made.index) + " (" + made.reason + "):" + names);
  }
  return true;
}

std::vector<gp::Pick> Campaign::unconfirmed_hits(int count) const {
  std::vector<bool> taken(pool_.size(), false);
  for (const auto& o : optimizer_->state().observations) taken[static_cast<std::size_t>(o.id)] = true;
  for (const auto id : optimizer_->state().failed) taken[static_cast<std::size_t>(id)] = true;
  for (const auto id : optimizer_->state().pending) taken[static_cast<std::size_t>(id)] = true;
  for (const auto id : candidates_in_flight()) taken[static_cast<std::size_t>(id)] = true;
  std::vector<gp::Pick> picks;
  const auto& labels = optimizer_->labels();
  const double nan = std::nan("");
  for (std::size_t i = 0; i < labels.size() && static_cast<int>(picks.size()) < count; ++i)
    if (labels[i] == gp::Label::below && !taken[i])
      picks.push_back({static_cast<Eigen::Index>(i), nan, nan, nan});
  return picks;
}

std::optional<std::string> Campaign::stop_reason() const {
  const auto& state = optimizer_->state();
  const auto finals = state.observations.size() + state.failed.size();
  const bool idle = in_flight() == 0;
  if (config_.budget > 0 && finals >= static_cast<std::size_t>(config_.budget) && idle)
    return "finished: evaluation budget of " + std::to_string(config_.budget) + " reached";
  if (config_.has_target && idle)
    if (const auto best = optimizer_->best(); best && best->y <= config_.target)
      return "finished: target " + gp::format_double(config_.target) + " eV reached";
  if (exhausted_ && idle) return "finished: " + exhausted_reason_;
  if (finals >= pool_.size() && idle) return "finished: every candidate evaluated";
  if (config_.wall_clock_seconds > 0 && elapsed_before_ + (now() - run_started_) >= config_.wall_clock_seconds)
    return "stopped: wall-clock limit reached (resume to go on)";
  return std::nullopt;
}

void Campaign::report_status() const {
  if (!events_.status) return;
  const auto& state = optimizer_->state();
  std::ostringstream s;
  s << config_.name << ": " << state.observations.size() << " done, " << state.failed.size()
    << " failed, " << in_flight() << " in flight of " << pool_.size();
  if (const auto best = optimizer_->best())
    s << "; best " << pool_.names[static_cast<std::size_t>(best->id)] << " " << gp::format_double(best->y) << " eV";
  if (config_.mode == "threshold" && !record_.decisions.empty() && record_.decisions.back().undecided >= 0) {
    std::size_t hits = 0;
    for (const auto& o : state.observations) hits += o.y < record_.threshold;
    s << "; " << hits << " below threshold, " << record_.decisions.back().undecided << " undecided";
  }
  events_.status(s.str());
}

std::string Campaign::run() {
  run_started_ = now();
  elapsed_before_ = record_.elapsed;
  record_.status = "running";
  reconcile();
  const bool target_mode = config_.has_target;
  for (;;) {
    poll_and_ingest();
    submit_planned();
    report_status();
    if (const auto stop = stop_reason()) {
      record_.status = *stop;
      checkpoint();
      if (events_.line) events_.line(*stop);
      return *stop;
    }
    const auto best = optimizer_->best();
    const bool target_reached = target_mode && best && best->y <= config_.target;
    const bool clock_out = config_.wall_clock_seconds > 0 &&
                           elapsed_before_ + (now() - run_started_) >= config_.wall_clock_seconds;
    if (!target_reached && !exhausted_ && !clock_out && propose()) {
      submit_planned();
      continue;
    }
    if (config_.poll_seconds > 0)
      std::this_thread::sleep_for(std::chrono::duration<double>(config_.poll_seconds));
  }
}

}  // namespace ionscreen::pipeline
