#pragma once
/// The backend a campaign config names.
#include <memory>

#include "pipeline/backend.hpp"
#include "pipeline/campaign_config.hpp"

namespace ionscreen::pipeline {

/// local: a LocalBackend running up to max_in_flight jobs; slurm: a SlurmBackend with the
/// config's site profile.
std::unique_ptr<Backend> make_backend(const CampaignConfig& config);

}  // namespace ionscreen::pipeline
