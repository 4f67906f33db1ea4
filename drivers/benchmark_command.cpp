// The benchmark subcommand: seeded virtual campaigns against a complete barrier table.
#include <fmt/core.h>
#include <omp.h>

#include <cstdio>
#include <iostream>

#include "drivers/commands.hpp"
#include "pipeline/base/data_directory.hpp"
#include "pipeline/studies/benchmark_run.hpp"

namespace ionscreen::drivers {
namespace pl = ionscreen::pipeline;

namespace {
constexpr const char* kStrategies =
    "random,bo-ard-none-ei-1,bo-additive-none-ei-1,bo-ard-posterior-ei-1,"
    "bo-additive-posterior-ei-1,bo-additive-none-lse-1,bo-additive-posterior-lse-1";
}

int benchmark(const Args& args, const pl::MpiSession& mpi) {
  pl::BenchmarkRun run;
  pl::BenchmarkConfig& c = run.config;
  c.table = pl::data_directory() / "inputs" / "landscape" / "bvse_tavorite.csv";
  std::string strategies = kStrategies;
  int threads = 0;
  po::options_description opts("ionscreen benchmark options");
  opts.add_options()("help,h", "show this help")(
      "table", path_value(&c.table, c.table),
      "CSV: key, carrier, <group>.<name> descriptors, target")(
      "target", po::value(&c.target)->default_value(c.target), "barrier column (eV)")(
      "carrier", po::value(&c.carrier)->default_value(c.carrier),
      "target rows: carrier column = this; '' for every row")(
      "source-carrier", po::value(&c.source_carrier)->default_value(c.source_carrier),
      "transfer source rows (all of them); '' for none")(
      "strategies", po::value(&strategies)->default_value(strategies),
      "comma list: random, bo-<ard|additive>-<none|hp|posterior|multitask|auto>-"
      "<ei|pi|lcb|thompson|straddle|lse>-<q>")("trials",
                                               po::value(&c.trials)->default_value(c.trials),
                                               "seeded virtual campaigns per strategy")(
      "seed", po::value(&c.seed)->default_value(c.seed), "trial t uses a hash of (seed, t)")(
      "initial", po::value(&c.initial)->default_value(c.initial), "random initial candidates")(
      "threshold", po::value(&c.threshold),
      "sub-threshold cut: 0.3 (eV) or q0.05 / 5% (default: the 17/318 quantile of the target "
      "rows)")("fraction", number_value(&run.fraction), "summary at this fraction of the space")(
      "out", path_value(&run.out, run.out), "directory for curves_<strategy>.csv and summary.csv")(
      "threads", po::value(&threads)->default_value(threads),
      "OpenMP threads over trials (0: all)")(
      "plot",
      "write PNG plots with inputs/benchmark/plot_benchmark.py (/usr/bin/python3, matplotlib)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << opts
              << "\nexample: ionscreen benchmark --trials 50 --out runs/benchmark --plot\n"
                 "         ionscreen benchmark --table inputs/demo/demo_landscape.csv --target E_b "
                 "--carrier '' --source-carrier ''\n"
                 "         mpirun -n 4 ionscreen benchmark --trials 1000 --strategies "
                 "bo-additive-posterior-ei-1\n";
    return 0;
  }
  po::notify(vm);
  if (threads > 0) omp_set_num_threads(threads);
  run.strategies = pl::parse_strategies(strategies);
  run.plot = vm.count("plot") > 0;
  pl::run_benchmark(run, mpi.rank(), mpi.size(), [](const std::string& text) {
    fmt::print("{}", text);
    std::fflush(stdout);
  });
  return 0;
}

}  // namespace ionscreen::drivers
