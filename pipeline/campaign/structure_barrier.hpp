#pragma once
/// `ionscreen barrier`: one structure's carrier migration barrier, computed here and now with a
/// campaign's engine and settings, in a job directory like the one a campaign job gets. Running
/// it again goes on from the last complete stage.
#include <filesystem>
#include <functional>
#include <string>

#include "pipeline/campaign/config.hpp"
#include "pipeline/jobs/engine.hpp"

namespace ionscreen::pipeline {

struct StructureBarrier {
  CampaignConfig config;            ///< its [engine], [dft] and [campaign] carrier are used
  std::filesystem::path structure;  ///< CIF, or POSCAR/CONTCAR
  std::filesystem::path dir;        ///< the job directory (made if absent)
  std::filesystem::path program;    ///< the ionscreen binary the wrapper calls
};

/// What became of it.
struct BarrierResult {
  JobOutcome outcome;        ///< pending when the wrapper stopped without a final status
  bool interrupted = false;  ///< `interrupted()` turned true: the job was stopped
};

/// Runs the job (unless `dir` already holds its outcome) and waits for it, telling `print` where
/// it stands whenever that changes; `interrupted` is asked twice a second and stops the job (its
/// process group) when it answers true. InputError for a bad structure, settings, or an element
/// the engine lacks.
BarrierResult compute_barrier(const StructureBarrier& request,
                              const std::function<bool()>& interrupted,
                              const std::function<void(const std::string&)>& print);

}  // namespace ionscreen::pipeline
