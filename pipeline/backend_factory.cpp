#include "pipeline/backend_factory.hpp"

#include "pipeline/error.hpp"
#include "pipeline/local_backend.hpp"
#include "pipeline/slurm_backend.hpp"

namespace ionscreen::pipeline {

std::unique_ptr<Backend> make_backend(const CampaignConfig& config) {
  if (config.backend == "local") return std::make_unique<LocalBackend>(config.max_in_flight);
  if (config.backend == "slurm")
    return std::make_unique<SlurmBackend>(load_slurm_profile(config.slurm_profile));
  throw InputError(config.file.string() + ": [jobs] backend = '" + config.backend +
                   "': expected local or slurm");
}

}  // namespace ionscreen::pipeline
