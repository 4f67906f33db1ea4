// The DFT subcommands: barrier (one structure's barrier with a campaign's engine settings) and
// dft-step (the stage runner cluster/wrappers/dft.sh calls).
#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "drivers/commands.hpp"
#include "drivers/exit_codes.hpp"
#include "pipeline/campaign/structure_barrier.hpp"
#include "pipeline/jobs/dft/stages.hpp"

namespace ionscreen::drivers {
namespace fs = std::filesystem;
namespace pl = ionscreen::pipeline;

namespace {

/// Set by SIGINT or SIGTERM.
volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

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
  return pl::dft::dft_step(dir) == pl::dft::StepResult::run ? kSuccess : kJobEnded;
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
  const pl::StructureBarrier request{pl::load_campaign_config(file, overrides), structure, dir,
                                     fs::read_symlink("/proc/self/exe")};
  // The job runs in its own process group, which a terminal's Ctrl-C does not reach, so
  // `barrier` stops it itself.
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const pl::BarrierResult result = pl::compute_barrier(
      request, [] { return interrupted != 0; },
      [](const std::string& text) {
        fmt::print("{}", text);
        std::fflush(stdout);
      });
  if (result.interrupted) {
    fmt::print("interrupted: run the same command again to go on from the last stage\n");
    return kInterrupted;
  }
  if (const auto* done = std::get_if<pl::JobDone>(&result.outcome)) {
    fmt::print("E_b = {:.4f} eV ({})\n", done->e_b, (dir / "result.json").string());
    return kSuccess;
  }
  if (const auto* failed = std::get_if<pl::JobFailed>(&result.outcome)) {
    fmt::print("failed: {}\n", failed->reason);
    return kInternal;
  }
  fmt::print(
      "stopped: the wrapper ended without a final status (see {}); run the same command "
      "again to go on from the last stage\n",
      (dir / "wrapper.log").string());
  return kInternal;
}

}  // namespace ionscreen::drivers
