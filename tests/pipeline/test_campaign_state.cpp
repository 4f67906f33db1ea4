// The campaign state machine (pipeline/campaign/campaign.hpp) driven in this process: a fake
// scheduler the test controls, an engine whose outcomes the test writes, a store that keeps
// every checkpoint, and a clock that moves only when the campaign waits. Submission, polling,
// lost jobs, retries, scheduler trouble, stop rules and resume, in milliseconds. The real
// thing (wrappers, processes, Slurm, HDF5) runs in tests/campaign/.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pipeline/campaign/campaign.hpp"
#include "pipeline/studies/table_oracle.hpp"

namespace pl = ionscreen::pipeline;
using Catch::Contains;

namespace {

/// The barrier of candidate i of the test pool: smooth in its two descriptors, one minimum.
double truth(std::size_t i) {
  const double a = 0.1 * static_cast<double>(i % 6), b = 0.2 * static_cast<double>(i / 6);
  return 0.2 + (a - 0.3) * (a - 0.3) + 0.5 * (b - 0.6) * (b - 0.6);
}

/// 30 candidates "c0" .. "c29" with descriptors in two groups (M, X).
pl::CandidatePool test_pool() {
  pl::CandidatePool pool;
  pool.carrier = "Na";
  pool.source = "test pool";
  pool.descriptor_names = {"M.a", "X.b"};
  pool.descriptors.resize(30, 2);
  for (std::size_t i = 0; i < 30; ++i) {
    pool.names.push_back(std::string("c").append(std::to_string(i)));
    pool.descriptors(static_cast<Eigen::Index>(i), 0) = 0.1 * static_cast<double>(i % 6);
    pool.descriptors(static_cast<Eigen::Index>(i), 1) = 0.2 * static_cast<double>(i / 6);
  }
  pool.structures.assign(pool.names.size(), "");
  pool.fingerprint = pl::fingerprint(pool);
  return pool;
}

pl::CampaignConfig test_config() {
  pl::CampaignConfig c;
  c.name = "unit";
  c.directory = "/nonexistent/unit-campaign";  // a Campaign never touches it (FakeEngine)
  c.carrier = "Na";
  c.seed = 7;
  c.initial = 3;
  c.max_in_flight = 2;
  c.batch = 2;
  c.retries = 1;
  c.poll_seconds = 1.0;
  c.engine.kind = pl::EngineKind::table;
  return c;
}

/// Every checkpoint, in order.
class MemoryStore : public pl::CampaignStore {
 public:
  void save(const pl::CampaignRecord& record) override { saved.push_back(record); }
  std::vector<pl::CampaignRecord> saved;
};

/// A clock that moves only when the campaign waits; `on_wait` lets the world go on meanwhile.
class FakeClock : public pl::Clock {
 public:
  double now() const override { return t; }
  void sleep(double seconds) override {
    t += seconds;
    ++waits;
    if (on_wait) on_wait();
  }
  double t = 1.7e9;
  int waits = 0;
  std::function<void()> on_wait;
};

/// Outcomes the test writes, by job id; nothing is written anywhere.
class FakeEngine : public pl::Engine {
 public:
  std::string name() const override { return "fake"; }
  bool needs_directory() const override { return false; }
  void write_inputs(const pl::JobSpec& job, const std::filesystem::path&) const override {
    candidates[job.job_id] = job.candidate;
  }
  std::vector<std::string> argv(const std::filesystem::path&) const override { return {"true"}; }
  pl::JobOutcome read_outcome(const std::filesystem::path&,
                              const std::string& job_id) const override {
    const auto it = outcomes.find(job_id);
    return it == outcomes.end() ? pl::JobOutcome{pl::JobPending{}} : it->second;
  }
  mutable std::map<std::string, std::string> candidates;  ///< job id -> candidate name
  std::map<std::string, pl::JobOutcome> outcomes;
};

/// A scheduler the test controls. A job is queued when submitted; on each wait of the clock
/// (advance()) a queued job starts and a running one finishes, its engine outcome then being
/// `result(job id, candidate index)` (the truth, unless a test says otherwise). Ids "fake-N".
class FakeScheduler : public pl::Backend {
 public:
  FakeScheduler(FakeEngine& engine, const pl::CampaignStore* store = nullptr)
      : engine_(engine), store_(dynamic_cast<const MemoryStore*>(store)) {}

  std::string submit(const pl::Submission& s) override {
    if (refuse_for_good)
      throw pl::SchedulerError("sbatch: error: invalid partition specified: gpu", true);
    if (refuse > 0) {
      --refuse;
      throw pl::SchedulerError("sbatch: error: Slurm controller not responding");
    }
    // Durable before the action: the latest checkpoint already holds this job as planned.
    if (store_ != nullptr) {
      bool planned = false;
      for (const auto& j : store_->saved.back().jobs)
        planned |= j.job_id == s.job_id && j.state == pl::LedgerState::planned;
      planned_before_submit &= planned;
    }
    submissions.push_back(s);
    const std::string id = "fake-" + std::to_string(next_id++);
    jobs[id] = {s.name, s.job_id, pl::JobState::queued};
    return id;
  }
  std::map<std::string, pl::JobReport> poll(const std::vector<std::string>& ids) override {
    ++polls;
    largest_poll = std::max(largest_poll, ids.size());
    if (refuse_polls > 0) {
      --refuse_polls;
      throw pl::SchedulerError("squeue: error: Socket timed out");
    }
    std::map<std::string, pl::JobReport> out;
    for (const auto& id : ids) {
      const auto it = jobs.find(id);
      out[id] = {id, it == jobs.end() ? pl::JobState::unknown : it->second.state, ""};
    }
    return out;
  }
  void cancel(const std::string& id) override {
    if (jobs.count(id)) jobs[id].state = pl::JobState::cancelled;
  }
  std::vector<std::string> find_by_name(const std::string& prefix) override {
    std::vector<std::string> out;
    for (const auto& [id, job] : jobs)
      if (job.name.starts_with(prefix)) out.push_back(id);
    return out;
  }

  /// One step of the world: queued jobs start, running ones finish with their outcome.
  void advance() {
    for (auto& [id, job] : jobs) {
      if (job.state == pl::JobState::running) {
        job.state = pl::JobState::finished;
        const std::string name = engine_.candidates.at(job.job_id);
        engine_.outcomes[job.job_id] = result(job.job_id, std::stoul(name.substr(1)));
      } else if (job.state == pl::JobState::queued) {
        job.state = pl::JobState::running;
      }
    }
  }
  /// Forget a job, as a scheduler that lost it would.
  void lose(const std::string& id) { jobs.erase(id); }
  /// How often a (candidate, attempt) job id was submitted.
  int submitted(const std::string& job_id) const {
    int n = 0;
    for (const auto& s : submissions) n += s.job_id == job_id;
    return n;
  }

  struct Job {
    std::string name, job_id;
    pl::JobState state;
  };
  std::function<pl::JobOutcome(const std::string&, std::size_t)> result =
      [](const std::string&, std::size_t i) { return pl::JobOutcome{pl::JobDone{truth(i)}}; };
  std::map<std::string, Job> jobs;
  std::vector<pl::Submission> submissions;
  int next_id = 1;
  int refuse = 0;                ///< refuse this many submissions
  int refuse_polls = 0;          ///< fail this many polls
  bool refuse_for_good = false;  ///< refuse every submission as a configuration error
  int polls = 0;
  std::size_t largest_poll = 0;  ///< most ids asked about in one call
  bool planned_before_submit = true;

 private:
  FakeEngine& engine_;
  const MemoryStore* store_;
};

/// A campaign with all four fakes wired together.
struct Rig {
  explicit Rig(pl::CampaignConfig config_) : config(std::move(config_)) {
    clock.on_wait = [this] { scheduler.advance(); };
  }
  pl::Campaign campaign(std::optional<pl::CampaignRecord> resumed = std::nullopt) {
    return pl::Campaign(config, test_pool(),
                        pl::CampaignIo{scheduler, engine, store, clock, events},
                        std::move(resumed));
  }
  pl::CampaignConfig config;
  FakeEngine engine;
  MemoryStore store;
  FakeScheduler scheduler{engine, &store};
  FakeClock clock;
  std::vector<std::string> lines;
  pl::CampaignEvents events{[this](const std::string& l) { lines.push_back(l); }, {}};
};

int count(const pl::CampaignRecord& r, pl::LedgerState state) {
  int n = 0;
  for (const auto& j : r.jobs) n += j.state == state;
  return n;
}

/// Every (candidate, attempt) of the ledger was submitted at most once.
void check_exactly_once(const FakeScheduler& scheduler, const pl::CampaignRecord& record) {
  std::set<std::string> ids;
  for (const auto& s : scheduler.submissions) {
    INFO(s.job_id);
    CHECK(ids.insert(s.job_id).second);
  }
  for (const auto& j : record.jobs)
    if (j.state != pl::LedgerState::planned) CHECK(ids.count(j.job_id) == 1);
}

}  // namespace

TEST_CASE("campaign: proposes, submits, polls and ingests until the budget", "[unit][campaign]") {
  auto config = test_config();
  config.budget = 8;
  Rig rig(config);
  auto campaign = rig.campaign();
  CHECK(rig.store.saved.empty());  // constructing touches nothing
  CHECK(campaign.run() == "finished: evaluation budget of 8 reached");
  const auto& r = campaign.record();
  CHECK(count(r, pl::LedgerState::done) == 8);
  CHECK(r.jobs.size() == 8);
  for (const auto& j : r.jobs) {
    CHECK(j.e_b == truth(static_cast<std::size_t>(j.candidate)));
    CHECK(j.scheduler_state == pl::JobState::finished);
  }
  check_exactly_once(rig.scheduler, r);
  CHECK(rig.scheduler.planned_before_submit);  // every decision durable before its job
  CHECK(rig.store.saved.back().status == r.status);
  CHECK(r.decisions.front().reason == "initial design");
  // Never more in flight than allowed: each proposal waits for room.
  for (const auto& saved : rig.store.saved)
    CHECK(count(saved, pl::LedgerState::planned) + count(saved, pl::LedgerState::submitted) <= 2);
  // One poll call asks about every job in flight at once.
  CHECK(rig.scheduler.largest_poll == 2);
}

TEST_CASE("campaign: a lost job is retried as a new attempt, then failed for good",
          "[unit][campaign]") {
  auto config = test_config();
  config.budget = 4;
  config.retries = 1;
  Rig rig(config);
  // The scheduler forgets every job of candidate 5 (or whichever comes first) once it runs.
  std::string lost_candidate;
  rig.clock.on_wait = [&] {
    rig.scheduler.advance();
    for (const auto& [id, job] : std::map(rig.scheduler.jobs)) {
      const std::string name = rig.engine.candidates.at(job.job_id);
      if (lost_candidate.empty()) lost_candidate = name;
      if (name == lost_candidate && job.state == pl::JobState::running) rig.scheduler.lose(id);
    }
  };
  auto campaign = rig.campaign();
  CHECK(campaign.run() == "finished: evaluation budget of 4 reached");
  const auto& r = campaign.record();
  std::vector<const pl::JobRecord*> lost;
  for (const auto& j : r.jobs)
    if ("c" + std::to_string(j.candidate) == lost_candidate) lost.push_back(&j);
  REQUIRE(lost.size() == 2);  // attempt 1 and its one retry
  CHECK(lost[0]->attempt == 1);
  CHECK(lost[1]->attempt == 2);
  for (const auto* j : lost) {
    CHECK(j->state == pl::LedgerState::failed);
    CHECK_THAT(j->reason, Contains("lost: the scheduler no longer knows the job"));
  }
  CHECK(count(r, pl::LedgerState::done) == 3);  // the budget counts the failure for good
  check_exactly_once(rig.scheduler, r);
  CHECK_THAT(rig.lines.back(), Contains("budget"));
  bool said = false;
  for (const auto& l : rig.lines) said |= l.find("failed for good") != std::string::npos;
  CHECK(said);
}

TEST_CASE("campaign: an engine's final failure is not retried, a retryable one is",
          "[unit][campaign]") {
  auto config = test_config();
  config.budget = 6;
  config.retries = 2;
  Rig rig(config);
  rig.scheduler.result = [](const std::string& job_id, std::size_t i) -> pl::JobOutcome {
    if (i % 3 == 0) return pl::JobFailed{"no percolating path below 10 eV", false};
    if (i % 3 == 1 && job_id.ends_with("-a01")) return pl::JobFailed{"result.json: garbage", true};
    return pl::JobDone{truth(i)};
  };
  auto campaign = rig.campaign();
  campaign.run();
  for (const auto& j : campaign.record().jobs) {
    INFO(j.job_id);
    if (j.candidate % 3 == 0) {
      CHECK(j.attempt == 1);  // final at once
      CHECK(j.state == pl::LedgerState::failed);
    } else if (j.candidate % 3 == 1) {
      CHECK(j.state == (j.attempt == 1 ? pl::LedgerState::failed : pl::LedgerState::done));
    } else {
      CHECK(j.state == pl::LedgerState::done);
    }
  }
  check_exactly_once(rig.scheduler, campaign.record());
}

TEST_CASE("campaign: scheduler errors are retried with a growing delay", "[unit][campaign]") {
  auto config = test_config();
  config.budget = 4;
  Rig rig(config);
  rig.scheduler.refuse = 3;
  rig.scheduler.refuse_polls = 2;
  auto campaign = rig.campaign();
  const double start = rig.clock.now();
  CHECK(campaign.run() == "finished: evaluation budget of 4 reached");
  check_exactly_once(rig.scheduler, campaign.record());
  int complaints = 0;
  for (const auto& l : rig.lines) complaints += l.starts_with("could not ");
  CHECK(complaints == 5);
  // Back-off 1, 2, 4 s for the submissions: at least 7 s of waiting before the first job ran.
  CHECK(rig.clock.now() - start >= 7.0);
}

TEST_CASE("campaign: a refusal trying again cannot cure stops the run, the job still planned",
          "[unit][campaign]") {
  // Review finding D12: a wrong partition was retried for ever.
  Rig rig(test_config());
  rig.scheduler.refuse_for_good = true;
  auto campaign = rig.campaign();
  CHECK_THROWS_AS(campaign.run(), pl::SchedulerError);
  const auto& saved = rig.store.saved.back();
  CHECK_THAT(saved.status, Contains("stopped: ") && Contains("invalid partition"));
  CHECK(count(saved, pl::LedgerState::planned) == 2);  // a resume after the fix submits them
  CHECK(rig.scheduler.submissions.empty());
  CHECK(rig.clock.waits == 0);  // no back-off: it ends at once
}

TEST_CASE("campaign: stop rules", "[unit][campaign]") {
  SECTION("a target reached") {
    auto config = test_config();
    double best = 1e9;
    for (std::size_t i = 0; i < 30; ++i) best = std::min(best, truth(i));
    config.target = best + 1e-12;
    Rig rig(config);
    auto campaign = rig.campaign();
    CHECK_THAT(campaign.run(), Contains("finished: target"));
    double found = 1e9;
    for (const auto& j : campaign.record().jobs) found = std::min(found, j.e_b);
    CHECK(found == best);
    CHECK(campaign.record().jobs.size() < 30);
  }
  SECTION("every candidate evaluated") {
    auto config = test_config();
    config.max_in_flight = 8;
    config.batch = 8;
    Rig rig(config);
    auto campaign = rig.campaign();
    const std::string status = campaign.run();
    CHECK(count(campaign.record(), pl::LedgerState::done) == 30);
    CHECK_THAT(status, Contains("finished"));
  }
  SECTION("the wall clock, and resume goes on from where it stopped") {
    auto config = test_config();
    config.wall_clock_seconds = 5;
    config.budget = 10;
    Rig rig(config);
    auto first = rig.campaign();
    CHECK(first.run() == "stopped: wall-clock limit reached (resume to go on)");
    const pl::CampaignRecord stopped = first.record();
    CHECK(stopped.elapsed >= 5.0);
    CHECK(count(stopped, pl::LedgerState::done) < 10);
    // Resume with a longer limit: the same ledger grows to the budget, nothing resubmitted.
    rig.config.wall_clock_seconds = 0;
    auto second = rig.campaign(stopped);
    CHECK(second.run() == "finished: evaluation budget of 10 reached");
    CHECK(second.record().instance == stopped.instance);
    CHECK(second.record().elapsed > stopped.elapsed);
    check_exactly_once(rig.scheduler, second.record());
  }
}

TEST_CASE("campaign: resume reconciles planned jobs with the directories and the scheduler",
          "[unit][campaign]") {
  auto config = test_config();
  config.budget = 6;
  Rig rig(config);
  auto first = rig.campaign();
  first.run();
  // The checkpoint written right after the second proposal was decided: its jobs are planned,
  // and a driver killed there never recorded their submission.
  const pl::CampaignRecord* crash = nullptr;
  for (const auto& saved : rig.store.saved)
    if (saved.decisions.size() == 2 && count(saved, pl::LedgerState::planned) ==
                                           static_cast<int>(saved.decisions.back().picks.size())) {
      crash = &saved;
      break;
    }
  REQUIRE(crash != nullptr);
  const pl::CampaignRecord at_crash = *crash;
  std::set<std::string> planned, submitted_before;
  for (const auto& j : at_crash.jobs)
    (j.state == pl::LedgerState::planned ? planned : submitted_before).insert(j.job_id);
  REQUIRE(!planned.empty());

  // After the resume: no (candidate, attempt) submitted twice, counting the run before the crash;
  // every ledger entry once.
  const auto check_resumed = [&](const FakeScheduler& scheduler, const pl::CampaignRecord& done) {
    std::set<std::string> ids = submitted_before;
    for (const auto& s : scheduler.submissions) {
      INFO(s.job_id);
      CHECK(ids.insert(s.job_id).second);
    }
    std::set<std::string> ledger;
    for (const auto& j : done.jobs) CHECK(ledger.insert(j.job_id).second);
    CHECK(count(done, pl::LedgerState::done) == 6);
  };

  SECTION("a job the scheduler knows by name is adopted, never submitted again") {
    Rig again(config);
    again.engine.candidates = rig.engine.candidates;
    for (const auto& [id, job] : rig.scheduler.jobs)  // the scheduler still has them
      if (planned.count(job.job_id))
        again.scheduler.jobs[id] = {job.name, job.job_id, pl::JobState::running};
    again.scheduler.next_id = 1000;
    auto resumed = again.campaign(at_crash);
    resumed.run();
    for (const auto& id : planned) CHECK(again.scheduler.submitted(id) == 0);
    std::size_t adopted = 0;
    for (const auto& l : again.lines)
      adopted += l.find("in the scheduler as fake-") != std::string::npos;
    CHECK(adopted == planned.size());
    check_resumed(again.scheduler, resumed.record());
  }
  SECTION("a job whose directory holds its outcome is ingested, not submitted") {
    Rig again(config);
    for (const auto& id : planned) again.engine.outcomes[id] = pl::JobDone{0.123};
    auto resumed = again.campaign(at_crash);
    resumed.run();
    for (const auto& id : planned) CHECK(again.scheduler.submitted(id) == 0);
    for (const auto& j : resumed.record().jobs)
      if (planned.count(j.job_id)) {
        CHECK(j.state == pl::LedgerState::done);
        CHECK(j.e_b == 0.123);
      }
    check_resumed(again.scheduler, resumed.record());
  }
  SECTION("a job nobody knows is submitted, once") {
    Rig again(config);
    auto resumed = again.campaign(at_crash);
    // The jobs submitted before the crash are gone with their scheduler: lost, then retried.
    resumed.run();
    for (const auto& id : planned) CHECK(again.scheduler.submitted(id) == 1);
    std::set<std::string> ids;
    for (const auto& s : again.scheduler.submissions) CHECK(ids.insert(s.job_id).second);
    for (const auto& id : submitted_before) CHECK(again.scheduler.submitted(id) == 0);
  }
}

TEST_CASE("campaign: the in-process oracle gives the same decisions for the same seed",
          "[unit][campaign]") {
  auto config = test_config();
  config.poll_seconds = 0;
  config.budget = 10;
  auto barriers = std::make_shared<pl::Barriers>();
  const auto pool = test_pool();
  for (std::size_t i = 0; i < pool.size(); ++i) (*barriers)[pool.names[i]] = truth(i);
  const auto order = [&] {
    pl::TableOracle oracle(barriers);
    pl::NoStore store;
    FakeClock clock;
    pl::Campaign campaign(config, pool, pl::CampaignIo{oracle, oracle, store, clock});
    campaign.run();
    std::vector<std::int64_t> out;
    for (const auto& j : campaign.record().jobs) out.push_back(j.candidate);
    CHECK(clock.waits == 0);  // an oracle finishes every job at once: no waiting
    return out;
  };
  const auto a = order();
  CHECK(a.size() == 10);
  CHECK(order() == a);
}
