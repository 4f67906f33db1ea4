// The benchmark subcommand: seeded virtual campaigns against a complete barrier table.
#include <fmt/core.h>
#include <omp.h>

#include <chrono>
#include <iostream>
#include <sstream>

#include "drivers/commands.hpp"
#include "pipeline/benchmark.hpp"
#include "pipeline/error.hpp"
#include "pipeline/process.hpp"

namespace ionscreen::drivers {
namespace pl = ionscreen::pipeline;

namespace {
constexpr const char* kStrategies =
    "random,bo-ard-none-ei-1,bo-additive-none-ei-1,bo-ard-posterior-ei-1,"
    "bo-additive-posterior-ei-1,bo-additive-none-lse-1,bo-additive-posterior-lse-1";
}

int benchmark(const Args& args, const pl::MpiSession& mpi) {
  pl::BenchmarkConfig c;
  c.table = pl::data_directory() / "inputs" / "landscape" / "bvse_tavorite.csv";
  std::string strategies = kStrategies;
  std::filesystem::path out = "benchmark";
  int threads = 0;
  double fraction = 0.3;
  po::options_description opts("ionscreen benchmark options");
  opts.add_options()("help,h", "show this help")
      ("table", path_value(&c.table, c.table), "CSV: key, carrier, <group>.<name> descriptors, target")
      ("target", po::value(&c.target)->default_value(c.target), "barrier column (eV)")
      ("carrier", po::value(&c.carrier)->default_value(c.carrier), "target rows: carrier column = this")
      ("source-carrier", po::value(&c.source_carrier)->default_value(c.source_carrier),
       "transfer source rows (all of them); '' for none")
      ("strategies", po::value(&strategies)->default_value(strategies),
       "comma list: random, bo-<ard|additive>-<none|hp|posterior|multitask|auto>-"
       "<ei|pi|lcb|thompson|straddle|lse>-<q>")
      ("trials", po::value(&c.trials)->default_value(c.trials), "seeded virtual campaigns per strategy")
      ("seed", po::value(&c.seed)->default_value(c.seed), "trial t uses a hash of (seed, t)")
      ("initial", po::value(&c.initial)->default_value(c.initial), "random initial candidates")
      ("threshold", po::value(&c.threshold),
       "sub-threshold cut: 0.3 (eV) or q0.05 / 5% (default: the 17/318 quantile of the target rows)")
      ("fraction", po::value(&fraction)->default_value(fraction), "summary at this fraction of the space")
      ("out", path_value(&out, out), "directory for curves_<strategy>.csv and summary.csv")
      ("threads", po::value(&threads)->default_value(threads), "OpenMP threads over trials (0: all)")
      ("plot", "write PNG plots with inputs/benchmark/plot_benchmark.py (/usr/bin/python3, matplotlib)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << opts
              << "\nexample: ionscreen benchmark --trials 50 --out runs/benchmark --plot\n"
                 "         mpirun -n 4 ionscreen benchmark --trials 1000 --strategies "
                 "bo-additive-posterior-ei-1\n";
    return 0;
  }
  po::notify(vm);
  if (c.trials < 1) throw pl::InputError("--trials must be >= 1");
  if (!(fraction > 0 && fraction <= 1)) throw pl::InputError("--fraction must be in (0, 1]");
  if (threads > 0) omp_set_num_threads(threads);
  std::vector<pl::Strategy> list;
  std::stringstream in(strategies);
  for (std::string s; std::getline(in, s, ',');) list.push_back(pl::parse_strategy(s));

  const bool root = mpi.rank() == 0;
  const pl::Landscape landscape = pl::load_landscape(c);
  if (root) {
    std::filesystem::create_directories(out);
    fmt::print("{} {} rows of {} ({} with a finite {}); optimum {} = {:.4f} eV; {} trials from "
               "seed {} on {} rank(s)\n",
               landscape.pool.size(), c.carrier, c.table.string(),
               (landscape.values.array().isFinite()).count(), c.target,
               landscape.pool.names[static_cast<std::size_t>(landscape.optimum)],
               landscape.values[landscape.optimum], c.trials, c.seed, mpi.size());
  }
  std::vector<pl::SummaryRow> rows;
  for (const auto& s : list) {
    const auto start = std::chrono::steady_clock::now();
    const auto trials = pl::run_trials(landscape, s, c, mpi.rank(), mpi.size());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!root) continue;
    const pl::Curves curves = pl::curves(landscape, trials);
    pl::write_curves(out / ("curves_" + s.name + ".csv"), landscape, curves);
    rows.push_back(pl::summarise(s, landscape, curves, fraction, seconds));
    fmt::print("{}: {} trials in {:.1f} s\n", s.name, c.trials, seconds);
  }
  if (!root) return 0;
  pl::write_summary(out / "summary.csv", rows);
  fmt::print("\n{}", pl::summary_table(landscape, rows, fraction));
  fmt::print("curves and summary.csv in {}\n", out.string());
  if (vm.count("plot")) {
    const auto script = pl::data_directory() / "inputs" / "benchmark" / "plot_benchmark.py";
    const auto r = pl::run_argv({"/usr/bin/python3", script.string(), out.string()});
    std::cout << r.out;
    if (r.exit_code != 0) {
      std::cerr << r.err;
      throw std::runtime_error(script.string() + " failed (exit " + std::to_string(r.exit_code) + ")");
    }
  }
  return 0;
}

}  // namespace ionscreen::drivers
