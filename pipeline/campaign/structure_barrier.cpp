#include "pipeline/campaign/structure_barrier.hpp"

#include <fmt/core.h>

#include <chrono>
#include <set>
#include <thread>

#include "pipeline/backends/process.hpp"
#include "pipeline/campaign/factories.hpp"
#include "pipeline/jobs/dft/stages.hpp"
#include "structures/cif.hpp"
#include "structures/structure_file.hpp"

namespace ionscreen::pipeline {
namespace fs = std::filesystem;
namespace {

constexpr const char* kJobId = "barrier";

/// Tells `print` where the DFT job in `dir` stands (jobs/dft/stages.hpp) whenever it changes.
class StageWatcher {
 public:
  StageWatcher(fs::path dir, const std::function<void(const std::string&)>& print)
      : dir_(std::move(dir)), print_(print) {}
  void poll() {
    const std::string now = dft::describe_stages(dir_);
    if (now.empty() || now == shown_) return;
    shown_ = now;
    print_(now + "\n");
  }

 private:
  fs::path dir_;
  const std::function<void(const std::string&)>& print_;
  std::string shown_;
};

}  // namespace

BarrierResult compute_barrier(const StructureBarrier& request,
                              const std::function<bool()>& interrupted,
                              const std::function<void(const std::string&)>& print) {
  const CampaignConfig& config = request.config;
  const auto engine = make_engine(config, request.program);
  const structures::Crystal crystal = structures::read_structure(request.structure);
  std::set<std::string> elements;
  for (const auto& site : crystal.sites) elements.insert(site.element);
  engine->check_elements(elements);

  fs::create_directories(request.dir);
  if (!std::holds_alternative<JobPending>(engine->read_outcome(request.dir, kJobId)))
    return {engine->read_outcome(request.dir, kJobId), false};
  engine->write_inputs({kJobId,
                        request.structure.stem().string(),
                        config.carrier,
                        structures::write_cif(crystal),
                        1,
                        {}},
                       request.dir);
  ProcessSpec spec;
  spec.argv = engine->argv(request.dir);
  spec.working_directory = request.dir;
  spec.stdout_path = request.dir / "wrapper.log";
  spec.stderr_path = request.dir / "wrapper.log";
  print(fmt::format("{} barrier of {} in {} with engine {} (log: {})\n", config.carrier,
                    request.structure.string(), request.dir.string(), name_of(config.engine.kind),
                    spec.stdout_path.string()));
  auto process = Process::start(spec);
  StageWatcher watcher(request.dir, print);
  while (!process.try_wait()) {
    watcher.poll();
    if (interrupted()) {
      process.stop(std::chrono::seconds(10));
      return {JobPending{}, true};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  watcher.poll();
  return {engine->read_outcome(request.dir, kJobId), false};
}

}  // namespace ionscreen::pipeline
