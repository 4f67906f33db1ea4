#pragma once
/// A campaign directory (docs/campaign_file.md): the side of `run` and `resume` that touches the
/// file system. It makes the directory, takes its lock, reads or builds the candidate pool, reads
/// the campaign file and checks it against the settings, and then runs the state machine
/// (campaign/campaign.hpp) with the campaign file as its store.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "pipeline/backends/backend.hpp"
#include "pipeline/campaign/campaign.hpp"
#include "pipeline/campaign/config.hpp"
#include "pipeline/jobs/engine.hpp"
#include "pipeline/pool/candidate_pool.hpp"
#include "pipeline/pool/space_pool.hpp"
#include "pipeline/store/campaign_file.hpp"

namespace ionscreen::pipeline {

/// The lock of a campaign directory (an flock on the directory itself), held while this object
/// lives.
/// Under Slurm the lock is inherited by the scheduler commands this process runs: an sbatch left
/// running by a killed driver still holds it, so a resume waits (up to 90 s) until that
/// submission has either reached Slurm (and is found by name) or failed, and never submits the
/// job again. Local jobs do not inherit it (they run for hours; a resume finds them by name).
class CampaignLock {
 public:
  /// Takes the lock. ConflictError naming the holder's pid when another ionscreen holds it (or
  /// anything still holds it after 90 s); IoError when the directory cannot be opened.
  /// `say` is told when the wait begins.
  CampaignLock(const CampaignPaths& paths, BackendKind backend,
               const std::function<void(const std::string&)>& say);
  ~CampaignLock();
  CampaignLock(const CampaignLock&) = delete;
  CampaignLock& operator=(const CampaignLock&) = delete;

 private:
  int fd_ = -1;
};

/// The pool a config names, built: its space's compositions for its carrier, or its table's rows.
CandidatePool build_pool(const CampaignConfig& config, const BuildProgress& progress = {});

/// The candidate pool of a campaign directory: read from candidates.h5, or built and written
/// there (making the directory) if it does not exist yet (what `ionscreen enumerate` does).
CandidatePool open_or_build_pool(const CampaignConfig& config, const BuildProgress& progress = {});

/// How a campaign run ended.
struct CampaignRun {
  std::string status;  ///< "finished: ...", "stopped: ..."
  CampaignRecord record;
  CandidatePool pool;
};

/// `run` (resuming = false) or `resume` the campaign in config.directory until a stop rule holds.
/// InputError when a new campaign's directory already holds one or a resumed one holds none,
/// when the pool or the settings differ from those the campaign was started with (listing the
/// differences), or when the engine lacks something for the pool's elements; ConflictError when
/// another ionscreen runs it.
CampaignRun run_campaign_directory(const CampaignConfig& config, bool resuming, Backend& backend,
                                   const Engine& engine, const CampaignEvents& events,
                                   std::shared_ptr<gp::PoolScoring> scoring = nullptr);

}  // namespace ionscreen::pipeline
