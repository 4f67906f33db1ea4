// Benchmark of BVSE barriers (structures/bvse.hpp) on the LiFeSO4F tavorite prototype
// (inputs/prototypes/LiFeSO4F_tavorite.cif, Li+ Fe2+ S6+ O2- F-). Prints the median wall time of
// one bvse_barriers call (energy grid + percolation search) per grid spacing and thread count.
// It is a program, not a test.
//
// Usage: bench_bvse [--repeats N] [source directory, default IONSCREEN_SOURCE_DIR or "."]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "structures/bvse.hpp"
#include "structures/cif.hpp"

namespace is = ionscreen::structures;

int main(int argc, char** argv) try {
  int repeats = 7;
  std::filesystem::path source = ".";
  if (const char* env = std::getenv("IONSCREEN_SOURCE_DIR")) source = env;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeats" && i + 1 < argc)
      repeats = std::max(5, std::atoi(argv[++i]));
    else
      source = arg;
  }
  const is::BvseTables tables = is::BvseTables::load(
      source / "inputs/bvse", is::ElementTable::load(source / "inputs/elements"));
  is::Crystal c = is::read_cif(source / "inputs/prototypes/LiFeSO4F_tavorite.cif");
  const std::map<std::string, int> oxidation{{"Li", 1}, {"Fe", 2}, {"S", 6}, {"O", -2}, {"F", -1}};
  for (is::Site& s : c.sites) s.oxidation = oxidation.at(s.element);

  std::printf("BVSE, LiFeSO4F tavorite (%zu sites), median of %d runs\n", c.sites.size(), repeats);
  std::printf("%10s %8s %14s %12s %8s %8s %8s\n", "spacing/A", "threads", "grid", "seconds", "E1D",
              "E2D", "E3D");
  for (const double spacing : {0.2, 0.1}) {
    for (const int threads : {1, 2}) {
      omp_set_num_threads(threads);
      is::BvseOptions options;
      options.grid_spacing = spacing;
      std::vector<double> times;
      is::BvseResult r{};
      for (int k = 0; k < repeats; ++k) {
        const auto t0 = std::chrono::steady_clock::now();
        r = is::bvse_barriers(c, "Li", 1, tables, options);
        times.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      std::nth_element(times.begin(), times.begin() + repeats / 2, times.end());
      const std::string grid = std::to_string(r.grid(0)) + "x" + std::to_string(r.grid(1)) + "x" +
                               std::to_string(r.grid(2));
      std::printf("%10.2f %8d %14s %12.4f %8.4f %8.4f %8.4f\n", spacing, threads, grid.c_str(),
                  times[static_cast<std::size_t>(repeats / 2)], r.e1d, r.e2d, r.e3d);
    }
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_bvse: %s\n", e.what());
  return 1;
}
