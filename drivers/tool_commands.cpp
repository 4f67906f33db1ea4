// The tool subcommands: bvse, landscape, job.
#include <fmt/core.h>

#include <cmath>
#include <iostream>

#include "drivers/commands.hpp"
#include "pipeline/base/data_directory.hpp"
#include "pipeline/jobs/builtin_job.hpp"
#include "pipeline/jobs/structure_bvse.hpp"
#include "pipeline/studies/bvse_landscape.hpp"

namespace ionscreen::drivers {
namespace {
std::string energy(double e) {
  return std::isfinite(e) ? fmt::format("{:.4f} eV", e) : "none below 10 eV";
}

}  // namespace

int bvse(const Args& args) {
  ionscreen::pipeline::StructureBvse c;
  c.inputs = ionscreen::pipeline::data_directory() / "inputs";
  po::options_description opts("ionscreen bvse options");
  opts.add_options()("help,h", "show this help")("structure", path_value(&c.structure),
                                                 "CIF (with oxidation states) or POSCAR")(
      "carrier", po::value(&c.carrier)->default_value(c.carrier), "mobile ion: Li or Na")(
      "oxidation", po::value(&c.oxidation)->default_value(c.oxidation), "its oxidation state")(
      "grid", number_value(&c.grid_spacing), "grid spacing, Å")(
      "cube", path_value(&c.cube), "write the energy grid as a Gaussian cube file")(
      "oxidation-states", po::value(&c.oxidation_states),
      "for sites the file leaves without one, e.g. Li:1,Fe:2,S:6,O:-2,F:-1")(
      "inputs", path_value(&c.inputs, c.inputs), "folder with elements/ and bvse/");
  po::positional_options_description positional;
  positional.add("structure", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: ionscreen bvse STRUCTURE [options]\n"
              << opts
              << "\nexample: ionscreen bvse inputs/prototypes/LiFeSO4F_tavorite.cif --carrier Li "
                 "--oxidation-states Li:1,Fe:2,S:6,O:-2,F:-1\n";
    return 0;
  }
  po::notify(vm);
  if (c.structure.empty()) throw po::required_option("structure");
  const auto r = ionscreen::pipeline::bvse_of_file(c);
  fmt::print("{} {}+ in {} (grid {}x{}x{}, {} Å)\n", "BVSE barriers of", c.carrier,
             c.structure.string(), r.grid[0], r.grid[1], r.grid[2], c.grid_spacing);
  fmt::print("  E_1D {}\n  E_2D {}\n  E_3D {}\n", energy(r.e1d), energy(r.e2d), energy(r.e3d));
  if (!c.cube.empty()) fmt::print("  energy grid written to {}\n", c.cube.string());
  return 0;
}

int job(const Args& args) {
  std::filesystem::path dir;
  std::filesystem::path inputs = ionscreen::pipeline::data_directory() / "inputs";
  po::options_description opts("ionscreen job options");
  opts.add_options()("help,h", "show this help")(
      "dir", path_value(&dir)->required(),
      "the job directory (job.json in; status, result.json out)")(
      "inputs", path_value(&inputs, inputs), "folder with elements/ and bvse/");
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: ionscreen job DIR [--inputs FOLDER]\n"
              << opts << "\nexample: ionscreen job runs/demo-li/jobs/c000017-a1\n";
    return 0;
  }
  po::notify(vm);
  return ionscreen::pipeline::run_builtin_job(dir, inputs) ? 0 : 1;
}

int landscape(const Args& args) {
  ionscreen::pipeline::BvseLandscapeConfig c;
  c.inputs = ionscreen::pipeline::data_directory() / "inputs";
  c.space = c.inputs / "spaces" / "default.ini";
  std::filesystem::path out = "inputs/landscape/bvse_tavorite.csv";
  po::options_description opts("ionscreen landscape options");
  opts.add_options()("help,h", "show this help")("out", path_value(&out, out), "CSV to write")(
      "space", path_value(&c.space, c.space), "candidate space file")(
      "grid", number_value(&c.grid_spacing), "BVSE grid spacing, Å")(
      "inputs", path_value(&c.inputs, c.inputs), "folder with elements/, bvse/, prototypes/");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << opts
              << "\nexample: ionscreen landscape --out inputs/landscape/bvse_tavorite.csv\n";
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
    fmt::print(
        "  {:<8} {:>5} {:>6} {:>6.3f} {:>6.3f} {:>6.3f} {:>6.3f} {:>6.3f} {:>6.3f} {:>10.3f} "
        "{:>6}\n",
        k.carrier, k.count, k.percolating, k.min, k.q05, k.q25, k.median, k.q75, k.max, k.threshold,
        k.below_threshold);
  fmt::print("Li/Na rank correlation of E_1D over {} frameworks: Spearman {:.3f}\n", s.pairs,
             s.spearman_li_na);
  return 0;
}

}  // namespace ionscreen::drivers
