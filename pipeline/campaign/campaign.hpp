#pragma once
/// The campaign state machine: propose -> submit -> poll -> ingest -> refit -> propose ..., in
/// optimum or threshold mode, until a stop rule holds (evaluation budget, target reached, nothing
/// undecided, pool exhausted, wall-clock limit). In threshold mode, "nothing undecided" also
/// requires every candidate the model labels below the threshold to have been computed: a
/// reported hit is always a calculated one.
///
/// Every decision is durable before its action (docs/campaign_file.md):
///  1. propose: decision record + planned jobs + optimiser state -> checkpoint;
///  2. per planned job: inputs written (idempotent), submitted under the name
///     ionscreen-<name>-<instance>-<job id>, scheduler id -> checkpoint;
///  3. poll all submitted jobs in one backend call; each ended job's directory is read, and its
///     observation (or failure, or retry as a new planned attempt) -> checkpoint.
/// Resume reconciles the ledger with the job directories and the scheduler: a planned job whose
/// directory already has a final status is ingested, one the scheduler knows by name is adopted,
/// any other is submitted (its first submission as far as anyone can tell); a submitted job the
/// scheduler no longer knows is read from its directory or, if that has no final status and no
/// process answers to its name, recorded as lost and retried. The same (candidate, attempt) is
/// never submitted twice. A scheduler error (sbatch or squeue failing) is logged and the call
/// retried with a growing delay (up to 5 minutes); the campaign goes on.
///
/// A Campaign touches nothing but what it is given (CampaignIo): it makes no directory, takes no
/// lock and builds no pool (campaign/directory.hpp does that for `run` and `resume`), so unit
/// tests drive it with a fake backend, engine, store and clock.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gp/optimizer.hpp"
#include "pipeline/backends/backend.hpp"
#include "pipeline/campaign/clock.hpp"
#include "pipeline/campaign/config.hpp"
#include "pipeline/campaign/setup.hpp"
#include "pipeline/jobs/engine.hpp"
#include "pipeline/pool/candidate_pool.hpp"
#include "pipeline/store/campaign_file.hpp"

namespace ionscreen::gp {
class PoolScoring;
}

namespace ionscreen::pipeline {

/// What the campaign reports as it goes: plain lines for logs, and a one-line summary of the
/// current state for a terminal's status line.
struct CampaignEvents {
  std::function<void(const std::string&)> line;
  std::function<void(const std::string&)> status;
};

/// Where a campaign's record goes at every checkpoint: the campaign file for real runs
/// (CampaignFileStore), nowhere for virtual campaigns that only need the decisions (NoStore).
class CampaignStore {
 public:
  virtual ~CampaignStore() = default;
  virtual void save(const CampaignRecord& record) = 0;
};

/// campaign.h5, written atomically (write_campaign_file).
class CampaignFileStore : public CampaignStore {
 public:
  explicit CampaignFileStore(std::filesystem::path file) : file_(std::move(file)) {}
  void save(const CampaignRecord& record) override;

 private:
  std::filesystem::path file_;
};

/// Keeps nothing: the record lives in the Campaign object only.
class NoStore : public CampaignStore {
 public:
  void save(const CampaignRecord&) override {}
};

/// Everything a campaign acts through.
struct CampaignIo {
  Backend& backend;
  const Engine& engine;
  CampaignStore& store;
  Clock& clock;
  CampaignEvents events = {};
  std::shared_ptr<gp::PoolScoring> scoring = nullptr;  ///< shares the pool scoring (MPI ranks)
};

class Campaign {
 public:
  /// A campaign over `pool`. `resumed`: the record of a campaign file to go on from (its settings
  /// already checked against `config`, its pool fingerprint against `pool`); nothing: a new
  /// campaign, whose record starts now. Job directories are config.directory/jobs/<job id>
  /// (made only if the engine needs them). A quantile threshold is resolved for a new campaign
  /// (a virtual campaign gives an absolute one).
  Campaign(CampaignConfig config, CandidatePool pool, CampaignIo io,
           std::optional<CampaignRecord> resumed = std::nullopt,
           std::optional<TransferSource> source = std::nullopt);
  Campaign(const Campaign&) = delete;
  Campaign& operator=(const Campaign&) = delete;

  /// Runs until a stop rule holds; returns the final status ("finished: ...", "stopped: ...").
  std::string run();

  const CampaignRecord& record() const { return record_; }
  const CandidatePool& pool() const { return pool_; }

 private:
  void start_record();
  void reconcile();
  void poll_and_ingest();
  void ingest(JobRecord& job, JobState scheduler_state, const std::string& scheduler_reason);
  void fail_attempt(JobRecord& job, const std::string& reason, bool retryable);
  void submit_planned();
  void scheduler_trouble(const char* what, const std::string& message);
  void submit(JobRecord& job);
  bool propose();
  std::vector<gp::Pick> unconfirmed_hits(int count) const;
  std::optional<std::string> stop_reason() const;
  bool clock_out() const;
  void checkpoint();
  void report_status() const;
  void say(const std::string& line) const;
  JobRecord& plan(std::int64_t candidate, int attempt);
  std::string submission_name(const JobRecord& job) const;
  std::filesystem::path job_directory(const JobRecord& job) const;
  int in_flight() const;
  std::vector<Eigen::Index> candidates_in_flight() const;

  CampaignConfig config_;
  CampaignPaths paths_;
  CandidatePool pool_;
  CampaignIo io_;
  CampaignRecord record_;
  bool resuming_ = false;
  std::optional<gp::Optimizer> optimizer_;
  double run_started_ = 0;         ///< Unix seconds when this run() began
  double elapsed_before_ = 0;      ///< record_.elapsed when this run() began
  double scheduler_retry_at_ = 0;  ///< no scheduler call before this (Unix seconds)
  double scheduler_backoff_ = 0;   ///< seconds, doubled after each scheduler error
  bool exhausted_ = false;         ///< the optimiser has nothing more to propose
  std::string exhausted_reason_;
};

}  // namespace ionscreen::pipeline
