// The DFT subcommands: barrier (one structure's barrier with a campaign's engine settings) and
// dft-step (the stage runner cluster/wrappers/dft.sh calls).
#include <fmt/core.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include "drivers/commands.hpp"
#include "pipeline/campaign_config.hpp"
#include "pipeline/dft/stages.hpp"
#include "pipeline/engine.hpp"
#include "pipeline/error.hpp"
#include "pipeline/process.hpp"
#include "structures/cif.hpp"
#include "structures/structure_file.hpp"

namespace ionscreen::drivers {
namespace fs = std::filesystem;
namespace pl = ionscreen::pipeline;

namespace {

/// Set by SIGINT or SIGTERM: the job runs in its own process group, which a terminal's Ctrl-C
/// does not reach, so `barrier` stops it itself.
volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

/// Prints where the job stands (pipeline/dft/stages.hpp describe_stages) whenever it changes.
class StageWatcher {
 public:
  explicit StageWatcher(fs::path dir) : dir_(std::move(dir)) {}
  void poll() {
    const std::string now = pl::dft::describe_stages(dir_);
    if (now.empty() || now == shown_) return;
    shown_ = now;
    fmt::print("{}\n", now);
    std::fflush(stdout);
  }

 private:
  fs::path dir_;
  std::string shown_;
};

}  // namespace

int dft_step(const Args& args) {
  fs::path dir;
  po::options_description opts("ionscreen dft-step options");
  opts.add_options()("help,h", "show this help")(
      "dir", path_value(&dir)->required(),
      "the job directory (job.json of a qe, cp2k or vasp job)");
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout
        << "usage: ionscreen dft-step DIR\n"
        << "One decision of a DFT/NEB job's stage runner (called in a loop by "
           "cluster/wrappers/dft.sh).\nExit 0: DIR/next_command holds the next command; exit 3: "
           "the job has ended (DIR/status).\n"
        << opts << "\nexample: ionscreen dft-step runs/qe-li/jobs/c000017-a1\n";
    return 0;
  }
  po::notify(vm);
  return pl::dft::dft_step(dir) == pl::dft::StepResult::run ? 0 : 3;
}

int barrier(const Args& args) {
  fs::path file, structure, dir;
  std::vector<std::string> overrides;
  po::options_description opts("ionscreen barrier options");
  opts.add_options()("help,h", "show this help")(
      "campaign", path_value(&file)->required(),
      "campaign file whose [engine], [dft] and [campaign] carrier to use")(
      "structure", path_value(&structure)->required(), "the structure (CIF, or POSCAR/CONTCAR)")(
      "dir", path_value(&dir)->required(),
      "the job directory (created; an unfinished job there goes on)")(
      "set", po::value(&overrides)->composing(),
      "override a setting: section.key=value (repeatable)");
  po::positional_options_description positional;
  positional.add("campaign", 1).add("structure", 1).add("dir", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout
        << "usage: ionscreen barrier CAMPAIGN.ini STRUCTURE DIR [--set section.key=value ...]\n"
        << "Computes one structure's carrier migration barrier with the campaign's engine, here "
           "and "
           "now, in DIR\n(the same job directory a campaign job gets; run it again to go on "
           "after an interruption).\n"
        << opts
        << "\nexample: ionscreen barrier tests/dft/qe_li2o.ini tests/dft/li2o.cif runs/li2o-qe\n";
    return 0;
  }
  po::notify(vm);
  const pl::CampaignConfig config = pl::load_campaign_config(file, overrides);
  const auto engine = pl::make_engine(config, fs::read_symlink("/proc/self/exe"));
  const structures::Crystal crystal = structures::read_structure(structure);
  std::set<std::string> elements;
  for (const auto& site : crystal.sites) elements.insert(site.element);
  engine->check_elements(elements);

  const std::string job_id = "barrier";
  fs::create_directories(dir);
  const auto already = engine->read_outcome(dir, job_id);
  if (already.kind == pl::JobOutcome::Kind::pending) {
    engine->write_inputs(
        {job_id, structure.stem().string(), config.carrier, structures::write_cif(crystal), 1, {}},
        dir);
    pl::ProcessSpec spec;
    spec.argv = engine->argv(dir);
    spec.working_directory = dir;
    spec.stdout_path = dir / "wrapper.log";
    spec.stderr_path = dir / "wrapper.log";
    fmt::print("{} barrier of {} in {} with engine {} (log: {})\n", config.carrier,
               structure.string(), dir.string(), config.engine, spec.stdout_path.string());
    auto process = pl::Process::start(spec);
    StageWatcher watcher(dir);
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    while (!process.try_wait()) {
      watcher.poll();
      if (interrupted) {
        process.stop(std::chrono::seconds(10));
        fmt::print("interrupted: run the same command again to go on from the last stage\n");
        return 130;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    watcher.poll();
  }
  const auto outcome = engine->read_outcome(dir, job_id);
  switch (outcome.kind) {
    case pl::JobOutcome::Kind::done:
      fmt::print("E_b = {:.4f} eV ({})\n", outcome.e_b, (dir / "result.json").string());
      return 0;
    case pl::JobOutcome::Kind::failed:
      fmt::print("failed: {}\n", outcome.reason);
      return 1;
    case pl::JobOutcome::Kind::pending:
      break;
  }
  fmt::print(
      "stopped: the wrapper ended without a final status (see {}); run the same command "
      "again to go on from the last stage\n",
      (dir / "wrapper.log").string());
  return 1;
}

}  // namespace ionscreen::drivers
