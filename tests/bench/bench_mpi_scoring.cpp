// Benchmark of one proposal's pool scoring under MPI: pipeline::MpiPoolScoring::score (predictor
// broadcast, posterior mean and variance plus expected improvement over every candidate, the
// shortlists gathered and merged) for pools of 1e5 and 1e6 candidates (d = 20, kernel se) and
// models of n = 100 and 1000 observations, with the ranks it is launched with. Prints medians; it
// is a program, not a test.
//
//   mpirun -n 2 bench_mpi_scoring [--quick] [--local] [--repeats R]
//
// Each pool is sent to the workers once, by the first call (its time is printed as "first");
// the median and minimum are over R further calls (default 3). "shard CPU" is the median of the
// largest CPU time a rank spent scoring its shard (MpiPoolScoring::last_times), which machine load
// from other processes inflates less than wall time. With --local (and one rank), the
// time of gp::LocalPoolScoring (no MPI) is printed as well. --quick: pools of 1e4 and 1e5, n = 100.
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "drivers/allocator.hpp"
#include "gp/pool_scoring.hpp"
#include "pipeline/mpi/mpi_pool_scoring.hpp"

namespace gp = ionscreen::gp;

namespace {

constexpr int kDim = 20;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

Eigen::MatrixXd uniform_points(Eigen::Index n, std::mt19937_64& engine) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd X(n, kDim);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index k = 0; k < kDim; ++k) X(i, k) = u(engine);
  return X;
}

/// An se model with fixed hyperparameters conditioned on n points of a smooth target: scoring
/// does not care how the hyperparameters were found.
gp::Fit model_fit(Eigen::Index n, const gp::ColumnGroups& groups) {
  std::mt19937_64 engine(12345);
  const Eigen::MatrixXd X = uniform_points(n, engine);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y[i] = 0.0;
    for (Eigen::Index k = 0; k < kDim; ++k)
      y[i] +=
          std::sin(2.0 * X(i, k) + static_cast<double>(k)) / (1.0 + 0.25 * static_cast<double>(k));
  }
  const gp::Model model(gp::parse_kernel("se", groups));  // unit variance and length scales
  return gp::condition(model, X, y);
}

double time_call(gp::PoolScoring& scoring, const gp::ScoringRequest& request, double& sink) {
  const auto t0 = std::chrono::steady_clock::now();
  const gp::Shortlist s = scoring.score(request);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sink += s.best.empty() ? 0.0 : s.best.front().key;  // keeps the work observable
  return seconds;
}

int coordinate(ionscreen::pipeline::MpiPoolScoring& scoring, bool quick, bool with_local,
               int repeats) {
  const gp::ColumnGroups groups = gp::ColumnGroups::all(kDim);
  const std::vector<Eigen::Index> pools =
      quick ? std::vector<Eigen::Index>{10000, 100000} : std::vector<Eigen::Index>{100000, 1000000};
  const std::vector<Eigen::Index> sizes =
      quick ? std::vector<Eigen::Index>{100} : std::vector<Eigen::Index>{100, 1000};
  std::printf("\n== One proposal's pool scoring: EI, kernel se, d = %d, shortlist 1024 ==\n", kDim);
  std::printf("ranks %d, OpenMP threads on rank 0: %d\n", scoring.size(), omp_get_max_threads());
  std::printf("%9s %6s %-6s %5s %10s %11s %9s %14s %14s\n", "pool", "n", "scorer", "runs",
              "first [s]", "median [s]", "min [s]", "candidates/s", "shard CPU [s]");
  std::mt19937_64 engine(999);
  double sink = 0.0;
  std::uint64_t id = 1;
  for (const Eigen::Index N : pools) {
    const Eigen::MatrixXd pool = uniform_points(N, engine);
    const Eigen::MatrixXd no_basis;
    const gp::ScoringPool scoring_pool{id++, pool, no_basis, groups};
    for (const Eigen::Index n : sizes) {
      const gp::Fit fit = model_fit(n, groups);
      gp::ScoringTask task;
      task.best = fit.y.minCoeff() * fit.y_scale + fit.y_mean;
      task.shortlist = 1024;
      const gp::ScoringRequest request{scoring_pool, fit, false, task};
      gp::LocalPoolScoring local;
      std::vector<std::pair<const char*, gp::PoolScoring*>> scorers{{"mpi", &scoring}};
      if (with_local && scoring.size() == 1) scorers.push_back({"local", &local});
      for (const auto& [name, scorer] : scorers) {
        const double first = time_call(*scorer, request, sink);
        std::vector<double> times, shard_cpu;
        for (int r = 0; r < repeats; ++r) {
          times.push_back(time_call(*scorer, request, sink));
          const std::vector<double>& cpu = scoring.last_times().shard_cpu;
          shard_cpu.push_back(*std::max_element(cpu.begin(), cpu.end()));
        }
        const double med = median(times);
        std::printf("%9ld %6ld %-6s %5d %10.4f %11.4f %9.4f %14.3e ", static_cast<long>(N),
                    static_cast<long>(n), name, repeats, first, med,
                    *std::min_element(times.begin(), times.end()), static_cast<double>(N) / med);
        if (scorer == &scoring)
          std::printf("%14.4f\n", median(shard_cpu));
        else
          std::printf("%14s\n", "-");
        std::fflush(stdout);
      }
    }
  }
  std::printf("(checksum %.6g)\n", sink);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ionscreen::drivers::keep_large_blocks_in_heap();
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  bool quick = false, with_local = false;
  int repeats = 3, status = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--local") {
      with_local = true;
    } else if (a == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: bench_mpi_scoring [--quick] [--local] [--repeats R]\n");
      status = 2;
    }
  }
  if (status == 0) {
    try {
      ionscreen::pipeline::MpiPoolScoring scoring;
      if (scoring.rank() == 0) {
        if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
          char line[128] = {};
          if (std::fgets(line, sizeof line, f)) std::printf("load average at start: %s", line);
          std::fclose(f);
        }
        status = coordinate(scoring, quick, with_local, repeats);
        scoring.stop();
      } else {
        scoring.serve();
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_mpi_scoring: %s\n", e.what());
      status = 1;
    }
  }
  MPI_Finalize();
  return status;
}
