#include "pipeline/campaign/factories.hpp"

#include "pipeline/backends/local_backend.hpp"
#include "pipeline/backends/slurm_backend.hpp"
#include "pipeline/jobs/engine_factory.hpp"

namespace ionscreen::pipeline {

std::unique_ptr<Backend> make_backend(const CampaignConfig& config) {
  switch (config.backend) {
    case BackendKind::slurm:
      return std::make_unique<SlurmBackend>(load_slurm_profile(config.slurm_profile));
    case BackendKind::local:
      break;
  }
  return std::make_unique<LocalBackend>(config.max_in_flight);
}

std::unique_ptr<Engine> make_engine(const CampaignConfig& config,
                                    const std::filesystem::path& program) {
  EngineContext context;
  context.origin = config.file;
  context.program = program;
  context.inputs = config.inputs;
  context.seed = config.seed;
  context.programs_run_here = config.backend == BackendKind::local;
  return make_engine(config.engine, config.dft, context);
}

}  // namespace ionscreen::pipeline
