// The tool subcommands: replay, bvse, landscape, job.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>

#include "drivers/commands.hpp"
#include "pipeline/builtin_job.hpp"
#include "pipeline/bvse_command.hpp"
#include "pipeline/error.hpp"
#include "pipeline/landscape.hpp"
#include "pipeline/replay.hpp"

namespace ionscreen::drivers {
namespace {

using ionscreen::pipeline::ReplayConfig;
using ionscreen::pipeline::ReplayResult;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
template <class T>
double mean(const std::vector<T>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

void print(const ReplayConfig& c, const ReplayResult& r) {
  clear_status_line();
  const auto as_double = [](const std::vector<int>& v) { return std::vector<double>(v.begin(), v.end()); };
  fmt::print("table {}{}: {} candidates, lowest {} {} = {:.3f}\n", c.table.string(),
             c.where.empty() ? "" : " where " + c.where, r.pool_size, c.target, r.best_key,
             r.best_value);
  fmt::print("{} descriptors{}; kernel {}\n{} seeded trials from seed {}; {} random initial "
             "candidates\n\n",
             r.descriptors, r.dropped.empty() ? "" : fmt::format(" ({} constant ones dropped)", r.dropped.size()),
             r.kernel, c.trials, c.seed, c.initial_design);
  fmt::print("optimum search: evaluations until the lowest {} is found\n", c.target);
  fmt::print("  {:<22} {:>8} {:>8} {:>8}\n", "strategy", "median", "mean", "worst");
  for (const auto& [name, v] : {std::pair{"Bayesian opt. (EI)", &r.bo_to_optimum},
                                std::pair{"random search", &r.random_to_optimum}})
    fmt::print("  {:<22} {:>8.1f} {:>8.1f} {:>8}\n", name, median(as_double(*v)), mean(*v),
               *std::max_element(v->begin(), v->end()));
  fmt::print("  BO needed {:.1f}% of the table on average; random search {:.1f}%\n\n",
             100.0 * mean(r.bo_to_optimum) / double(r.pool_size),
             100.0 * mean(r.random_to_optimum) / double(r.pool_size));
  fmt::print("threshold search (LSE, all labels at 95% confidence): every candidate with {} < {:.3f}\n",
             c.target, r.threshold);
  fmt::print("  threshold = the {:.0f}% quantile of the table: {} qualifying candidates\n",
             100.0 * c.threshold_quantile, r.below_threshold.size());
  fmt::print("  evaluations until nothing was undecided: median {:.0f} of {} ({:.0f}%)\n",
             median(as_double(r.lse_evaluations)), r.pool_size,
             100.0 * median(as_double(r.lse_evaluations)) / double(r.pool_size));
  fmt::print("  qualifying candidates labelled below: mean recall {:.1f}%\n",
             100.0 * mean(r.lse_recall));
  fmt::print("  found in trial 1:");
  for (const auto& key : r.found_first_trial) fmt::print(" {}", key);
  fmt::print("\n");
}

}  // namespace

int replay(const Args& args) {
  ReplayConfig c;
  po::options_description opts("ionscreen replay options");
  opts.add_options()("help,h", "show this help")
      ("table", path_value(&c.table)->required(), "CSV: key column, <group>.<name> descriptors, target")
      ("target", po::value(&c.target)->default_value(c.target), "target column (eV)")
      ("where", po::value(&c.where), "keep only rows with column=value, e.g. carrier=Na")
      ("kernel", po::value(&c.kernel)->default_value(c.kernel),
       "kernel spec over the groups; auto: sum(se[g]) over the groups present")
      ("trials", po::value(&c.trials)->default_value(c.trials), "seeded trials per strategy")
      ("seed", po::value(&c.seed)->default_value(c.seed), "seed of the first trial")
      ("initial", po::value(&c.initial_design)->default_value(c.initial_design), "random initial candidates")
      ("restarts", po::value(&c.restarts)->default_value(c.restarts), "hyperparameter fit restarts")
      ("threshold-quantile", po::value(&c.threshold_quantile)->default_value(c.threshold_quantile),
       "threshold search: t at this quantile of the table");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << opts << "\nexample: ionscreen replay --table inputs/demo/demo_landscape.csv\n";
    return 0;
  }
  po::notify(vm);
  if (c.trials < 1) throw ionscreen::pipeline::InputError("--trials must be >= 1");
  print(c, run_replay(c, show_progress));
  return 0;
}

namespace {
std::string energy(double e) { return std::isfinite(e) ? fmt::format("{:.4f} eV", e) : "none below 10 eV"; }

}  // namespace

int bvse(const Args& args) {
  ionscreen::pipeline::BvseCommand c;
  po::options_description opts("ionscreen bvse options");
  opts.add_options()("help,h", "show this help")
      ("structure", path_value(&c.structure), "CIF (with oxidation states) or POSCAR")
      ("carrier", po::value(&c.carrier)->default_value(c.carrier), "mobile ion: Li or Na")
      ("oxidation", po::value(&c.oxidation)->default_value(c.oxidation), "its oxidation state")
      ("grid", po::value(&c.grid_spacing)->default_value(c.grid_spacing), "grid spacing, Å")
      ("cube", path_value(&c.cube), "write the energy grid as a Gaussian cube file")
      ("oxidation-states", po::value(&c.oxidation_states),
       "for sites the file leaves without one, e.g. Li:1,Fe:2,S:6,O:-2,F:-1")
      ("inputs", path_value(&c.inputs, c.inputs), "folder with elements/ and bvse/");
  po::positional_options_description positional;
  positional.add("structure", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: ionscreen bvse STRUCTURE [options]\n" << opts
              << "\nexample: ionscreen bvse inputs/prototypes/LiFeSO4F_tavorite.cif --carrier Li "
                 "--oxidation-states Li:1,Fe:2,S:6,O:-2,F:-1\n";
    return 0;
  }
  po::notify(vm);
  if (c.structure.empty()) throw po::required_option("structure");
  const auto r = ionscreen::pipeline::run_bvse(c);
  fmt::print("{} {}+ in {} (grid {}x{}x{}, {} Å)\n", "BVSE barriers of", c.carrier,
             c.structure.string(), r.grid[0], r.grid[1], r.grid[2], c.grid_spacing);
  fmt::print("  E_1D {}\n  E_2D {}\n  E_3D {}\n", energy(r.e1d), energy(r.e2d), energy(r.e3d));
  if (!c.cube.empty()) fmt::print("  energy grid written to {}\n", c.cube.string());
  return 0;
}

int job(const Args& args) {
  std::filesystem::path dir;
  std::filesystem::path inputs = "inputs";
  po::options_description opts("ionscreen job options");
  opts.add_options()("help,h", "show this help")
      ("dir", path_value(&dir)->required(), "the job directory (job.json in; status, result.json out)")
      ("inputs", path_value(&inputs, inputs), "folder with elements/ and bvse/");
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: ionscreen job DIR [--inputs FOLDER]\n" << opts
              << "\nexample: ionscreen job runs/demo-li/jobs/c000017-a1\n";
    return 0;
  }
  po::notify(vm);
  return ionscreen::pipeline::run_builtin_job(dir, inputs) ? 0 : 1;
}

int landscape(const Args& args) {
  ionscreen::pipeline::LandscapeConfig c;
  std::filesystem::path out = "inputs/landscape/bvse_tavorite.csv";
  po::options_description opts("ionscreen landscape options");
  opts.add_options()("help,h", "show this help")
      ("out", path_value(&out, out), "CSV to write")
      ("space", path_value(&c.space, c.space), "candidate space file")
      ("grid", po::value(&c.grid_spacing)->default_value(c.grid_spacing), "BVSE grid spacing, Å")
      ("inputs", path_value(&c.inputs, c.inputs), "folder with elements/, bvse/, prototypes/");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << opts << "\nexample: ionscreen landscape --out inputs/landscape/bvse_tavorite.csv\n";
    return 0;
  }
  po::notify(vm);
  const auto land = ionscreen::pipeline::compute_landscape(
      c, [](const std::string& carrier, std::size_t done, std::size_t total) {
        show_progress(carrier == "Li" ? "Li landscape" : "Na landscape", int(done), int(total));
      });
  clear_status_line();
  ionscreen::pipeline::write_landscape(land, c, out);
  const auto s = ionscreen::pipeline::summarize(land);
  fmt::print("{} compounds written to {} ({} left out: no bond-valence parameters)\n",
             land.rows.size(), out.string(), land.excluded.size());
  fmt::print("E_1D (eV)  {:>5} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>10} {:>6}\n", "n",
             "perc.", "min", "5%", "25%", "median", "75%", "max", "threshold", "below");
  for (const auto& k : s.carriers)
    fmt::print("  {:<8} {:>5} {:>6} {:>6.3f} {:>6.3f} {:>6.3f} {:>6.3f} {:>6.3f} {:>6.3f} {:>10.3f} {:>6}\n",
               k.carrier, k.count, k.percolating, k.min, k.q05, k.q25, k.median, k.q75, k.max,
               k.threshold, k.below_threshold);
  fmt::print("Li/Na rank correlation of E_1D over {} frameworks: Spearman {:.3f}\n", s.pairs,
             s.spearman_li_na);
  return 0;
}


}  // namespace ionscreen::drivers
