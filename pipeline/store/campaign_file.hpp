#pragma once
/// The campaign file <campaign>/campaign.h5: the single source of truth and the checkpoint
/// (schema: docs/campaign_file.md). It holds the config snapshot, the job ledger, the decision
/// record of every proposal and the optimiser's state; the candidate pool lives in the immutable
/// candidates.h5 next to it, reached through the external link /candidates. Every checkpoint
/// rewrites campaign.h5 whole through a temporary file, fsync and rename (the ledger is small:
/// milliseconds), after keeping the previous one as campaign.h5.prev.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/backends/backend.hpp"
#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {

inline constexpr int kCampaignSchemaVersion = 1;

/// The campaign directory's files.
struct CampaignPaths {
  std::filesystem::path directory, campaign, candidates, jobs;
  explicit CampaignPaths(const std::filesystem::path& dir)
      : directory(dir),
        campaign(dir / "campaign.h5"),
        candidates(dir / "candidates.h5"),
        jobs(dir / "jobs") {}
};

/// Where one (candidate, attempt) stands: planned (decided, durable, not known to be submitted),
/// submitted (the scheduler has it: scheduler_id set), done (E_b recorded), failed (this attempt
/// failed; `reason` says why; a later attempt may follow).
enum class LedgerState { planned, submitted, done, failed };
template <>
struct EnumNames<LedgerState> {
  static constexpr std::pair<LedgerState, const char*> values[] = {
      {LedgerState::planned, "planned"},
      {LedgerState::submitted, "submitted"},
      {LedgerState::done, "done"},
      {LedgerState::failed, "failed"}};
};

/// One (candidate, attempt) of the ledger.
struct JobRecord {
  std::string job_id;  ///< "c0000017-a01"
  std::int64_t candidate = 0;
  int attempt = 1;
  std::string engine;
  LedgerState state = LedgerState::planned;
  std::string scheduler_id;                         ///< "" until known
  std::optional<JobState> scheduler_state;          ///< last polled (nothing before the first poll)
  std::string scheduler_reason;                     ///< e.g. Slurm's pending reason
  double created = 0, submitted = 0, finished = 0;  ///< Unix seconds (0: not yet)
  std::string directory;  ///< relative to the campaign directory ("jobs/c0000017-a01")
  double e_b = 0;         ///< eV, when done
  std::string reason;     ///< why it failed
  /// Planned or submitted: not yet ended.
  bool in_flight() const {
    return state == LedgerState::planned || state == LedgerState::submitted;
  }
};

/// One proposal: the model behind it and what it picked.
struct DecisionRecord {
  std::int64_t index = 0;
  double time = 0;     ///< Unix seconds
  std::string reason;  ///< "initial design", "ei", "lse", "user-named initial candidates"
  std::string kernel;
  std::string hyperparameters;  ///< "name=value" lines (exact decimal text)
  std::string transfer_used;
  double log_likelihood = 0;
  bool fit_fell_back = false;
  std::string rng_state;  ///< the optimiser's RNG before the proposal
  std::string pool_fingerprint;
  std::int64_t below = -1, above = -1, undecided = -1;  ///< threshold labels (-1: not threshold)
  struct Pick {
    std::int64_t candidate;
    double acquisition, mean, variance;
  };
  std::vector<Pick> picks;
};

struct CampaignRecord {
  std::string name;
  std::string instance;    ///< 8 hex digits, new for every campaign started: in every job name, so
                           ///< jobs of an earlier campaign with the same name are never adopted
  std::string config_ini;  ///< the settings the campaign was started with (to_ini)
  std::string pool_fingerprint;  ///< of candidates.h5
  std::int64_t pool_size = 0;
  std::string status = "running";  ///< running | finished: <why> | stopped: <why>
  double created = 0;
  double elapsed = 0;           ///< seconds of running so far, over every run and resume
  double threshold = 0;         ///< eV, threshold mode
  std::string threshold_how;    ///< "absolute" or "5.35% quantile of <table> (<column>, <where>)"
  std::string transfer_source;  ///< source campaign file ("" without transfer)
  std::string transfer_source_name, transfer_source_fingerprint;
  std::int64_t transfer_source_observations = 0;
  std::vector<JobRecord> jobs;
  std::vector<DecisionRecord> decisions;
  std::string optimizer_state;  ///< gp::to_text(OptimizerState)
};

/// Write `record` as `file` (atomically, keeping the previous file as `file`.prev). The external
/// link /candidates points to candidates.h5 in the same folder.
void write_campaign_file(const CampaignRecord& record, const std::filesystem::path& file);

/// A campaign or pool file whose bytes are damaged or cut: its checksum fails, HDF5 cannot read
/// it, or its tables do not fit together.
class DamagedFileError : public InputError {
 public:
  explicit DamagedFileError(const std::string& message) : InputError(message) {}
};

/// Read a campaign file. DamagedFileError naming the file and what is wrong for a file that is
/// not HDF5, truncated or damaged (a checksum that does not match: store/hdf5_file.hpp);
/// InputError for a file that is not an ionscreen campaign, or from a newer schema.
CampaignRecord read_campaign_file(const std::filesystem::path& file);

/// What read_campaign_file_or_previous read.
struct CampaignRead {
  CampaignRecord record;
  bool from_previous = false;  ///< `file` was damaged: this is `file`.prev, one checkpoint older
  std::string damage;          ///< why `file` could not be read (from_previous only)
};
/// `file`, or, when it is damaged, the previous checkpoint `file`.prev if that reads whole
/// (nothing is changed on disk). DamagedFileError naming both when neither reads.
CampaignRead read_campaign_file_or_previous(const std::filesystem::path& file);

}  // namespace ionscreen::pipeline
