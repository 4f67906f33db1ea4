#pragma once
/// The backend and the engine a campaign config names.
#include <filesystem>
#include <memory>

#include "pipeline/backends/backend.hpp"
#include "pipeline/campaign/config.hpp"
#include "pipeline/jobs/engine.hpp"

namespace ionscreen::pipeline {

/// local: a LocalBackend running up to max_in_flight jobs; slurm: a SlurmBackend with the
/// config's site profile.
std::unique_ptr<Backend> make_backend(const CampaignConfig& config);

/// The engine of config.engine with its [dft] settings (jobs/engine_factory.hpp); `program` is
/// the ionscreen binary the job wrappers call. With the local backend, a DFT code's programs
/// must be runnable here unless the site profile has a setup script.
std::unique_ptr<Engine> make_engine(const CampaignConfig& config,
                                    const std::filesystem::path& program);

}  // namespace ionscreen::pipeline
