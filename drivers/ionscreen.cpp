// ionscreen: the command-line entry point. Dispatches to a subcommand (drivers/commands.hpp)
// and maps errors to exit codes (drivers/exit_codes.hpp).
#include <iostream>

#include "drivers/allocator.hpp"
#include "drivers/commands.hpp"
#include "drivers/exit_codes.hpp"
#include "pipeline/mpi/mpi_session.hpp"

namespace {

constexpr const char* kUsage = R"(usage: ionscreen <command> [options]

campaign commands (settings from an INI campaign file; examples in inputs/campaigns/):
  enumerate  build the candidate pool (structures, descriptors) into the campaign directory
             example: ionscreen enumerate inputs/campaigns/demo_li.ini
  run        start a campaign and run it until a stop rule holds; under mpirun, rank 0 runs
             the campaign and every rank scores a share of the candidate pool
             example: ionscreen run inputs/campaigns/demo_li.ini --set jobs.max_in_flight=4
                      mpirun -n 4 ionscreen run big_pool.ini
  resume     continue a campaign after a stop, a crash or a kill: nothing is lost or run twice
             example: ionscreen resume inputs/campaigns/demo_li.ini
  status     jobs by state, best E_b, threshold hits, undecided candidates, pending reasons
             example: ionscreen status runs/demo-li
  export     a campaign's results, job ledger or decisions as CSV
             example: ionscreen export runs/demo-li --table results --out demo-li.csv

tools:
  barrier    one structure's carrier migration barrier with a campaign's engine (bvse, or the
             DFT/NEB codes qe, cp2k, vasp: end points relaxed, then CI-NEB), run here and now
             example: ionscreen barrier tests/dft/qe_li2o.ini tests/dft/li2o.cif runs/li2o-qe
  benchmark  seeded virtual campaigns (the campaign code, table engine in-process) against a
             complete barrier table, per strategy against random search; CSV curves and plots
             example: ionscreen benchmark --trials 50 --out runs/benchmark --plot
  bvse       bond-valence site energy barriers E_1D, E_2D, E_3D of a carrier in one structure
             example: ionscreen bvse inputs/prototypes/LiFeSO4F_tavorite.cif --carrier Li
                        --oxidation-states Li:1,Fe:2,S:6,O:-2,F:-1
  job        run one job directory with a built-in engine (bvse, table): what the job wrappers
             in cluster/wrappers/ call
             example: ionscreen job runs/demo-li/jobs/c000017-a1
  dft-step   one decision of a DFT/NEB job's stage runner: what cluster/wrappers/dft.sh calls
             example: ionscreen dft-step runs/qe-li/jobs/c000017-a1
  landscape  relax every composition of a candidate space and compute its BVSE barriers
             example: ionscreen landscape --out inputs/landscape/bvse_tavorite.csv

run 'ionscreen <command> --help' for the options of a command.
exit codes: 0 success; 1 internal error (a bug); 2 bad input (the message names the file, key and
value); 3 dft-step: the job has ended; 4 numerical failure; 5 scheduler failure; 6 I/O failure
(disk full, permission, a program that cannot start); 7 another ionscreen holds the campaign;
130 interrupted.
)";

}  // namespace

int main(int argc, char** argv) {
  ionscreen::drivers::keep_large_blocks_in_heap();
  const std::string command = argc > 1 ? argv[1] : "";
  // Under mpirun, every rank runs this main: for run and resume, rank 0 runs the campaign and the
  // others score shares of the candidate pool; benchmark deals its trials over the ranks (and
  // starts no job processes). No other command uses MPI (the job processes a campaign starts
  // inherit mpirun's environment and must not join its MPI job).
  const ionscreen::pipeline::MpiSession mpi(
      argc, argv, command == "run" || command == "resume" || command == "benchmark");
  const std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
  try {
    namespace d = ionscreen::drivers;
    if (command == "run") return d::run(args, mpi);
    if (command == "resume") return d::resume(args, mpi);
    if (command == "enumerate") return d::enumerate(args);
    if (command == "status") return d::status(args);
    if (command == "export") return d::export_tables(args);
    if (command == "benchmark") return d::benchmark(args, mpi);
    if (command == "bvse") return d::bvse(args);
    if (command == "landscape") return d::landscape(args);
    if (command == "job") return d::job(args);
    if (command == "barrier") return d::barrier(args);
    if (command == "dft-step") return d::dft_step(args);
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << (command.empty() ? "" : "ionscreen: unknown command '" + command + "'\n")
              << kUsage;
    return 2;
  } catch (...) {
    return ionscreen::drivers::report_current_error(command);
  }
}
