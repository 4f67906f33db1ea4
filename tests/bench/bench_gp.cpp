// Benchmark of the GP core on synthetic, seeded data (features uniform in [0,1]^20, a smooth target
// plus small noise). Prints medians; it is a program, not a test.
//
//   fit:   hyperparameter fit time (FitOptions{restarts = 5}) for n = 100, 300, 1000, 2000 with an
//          ARD "se" kernel over all 20 columns and with sum(se[A], se[M], se[X], se[Z]) over four
//          groups of 5 columns, and the number of log-likelihood evaluations per fit.
//   score: candidates scored per second at n = 300: gp::predict over a pool plus expected
//          improvement for every candidate, for pools of 1e4, 1e5 and 1e6, with 1 and 2 threads.
//
// Usage: bench_gp [--quick] [--only fit|score] [--max-n N]
//   --quick    smaller sizes and fewer repeats (a smoke run)
//   --max-n N  skip fit sizes above N (a 5-restart fit at n = 2000 takes minutes)
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "drivers/allocator.hpp"
#include "gp/acquisition.hpp"
#include "gp/hyperfit.hpp"
#include "gp/kernel.hpp"
#include "gp/random.hpp"
#include "gp/regression.hpp"

namespace gp = ionscreen::gp;

namespace {

constexpr int kDim = 20;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/// Smooth target with decaying relevance over the columns and one interaction.
double target(const Eigen::MatrixXd& X, Eigen::Index i) {
  double f = 0.8 * X(i, 0) * X(i, 1);
  for (Eigen::Index k = 0; k < X.cols(); ++k)
    f += std::sin(2.0 * X(i, k) + static_cast<double>(k)) / (1.0 + 0.25 * static_cast<double>(k));
  return f;
}

Eigen::MatrixXd uniform_points(Eigen::Index n, std::mt19937_64& engine) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd X(n, kDim);
  for (Eigen::Index i = 0; i < n; ++i)  // row by row, so a prefix of rows is a smaller data set
    for (Eigen::Index k = 0; k < kDim; ++k) X(i, k) = u(engine);
  return X;
}

struct Data {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
};

Data training_data(Eigen::Index n, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  Data d{uniform_points(n, engine), Eigen::VectorXd(n)};
  std::normal_distribution<double> noise(0.0, 0.02);
  for (Eigen::Index i = 0; i < n; ++i) d.y[i] = target(d.X, i) + noise(engine);
  return d;
}

/// Wraps a parsed kernel unchanged (same spec, parameter names and values) and counts gradient
/// evaluations, one per log-likelihood evaluation of the fit, without touching gp/. The count is
/// shared by the clones the fit makes. Its cost is a virtual call and a theta copy per call.
class CountingNode final : public gp::KernelNode {
 public:
  CountingNode(gp::Kernel inner, std::shared_ptr<std::atomic<long>> count)
      : inner_(std::move(inner)), count_(std::move(count)) {}
  std::unique_ptr<gp::KernelNode> clone() const override {
    return std::make_unique<CountingNode>(*this);
  }
  std::string spec() const override { return inner_.spec(); }
  int size() const override { return inner_.size(); }
  void get(double* theta) const override {
    Eigen::Map<Eigen::VectorXd>(theta, size()) = inner_.theta();
  }
  void set(const double* theta) override {
    inner_.set_theta(Eigen::Map<const Eigen::VectorXd>(theta, size()));
  }
  void describe(std::vector<gp::ParameterInfo>& out) const override {
    out.insert(out.end(), inner_.parameters().begin(), inner_.parameters().end());
  }
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    return inner_.cross(A, B);
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override { return inner_.gram(X); }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override { return inner_.diag(X); }
  void gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, double* out) const override {
    ++*count_;
    Eigen::Map<Eigen::VectorXd>(out, size()) = inner_.gradient(X, W);
  }

 private:
  gp::Kernel inner_;
  std::shared_ptr<std::atomic<long>> count_;
};

gp::ColumnGroups feature_groups() {
  gp::ColumnGroups groups = gp::ColumnGroups::all(kDim);
  const char* names[] = {"A", "M", "X", "Z"};
  for (int g = 0; g < 4; ++g)
    groups.add(names[g], {5 * g, 5 * g + 1, 5 * g + 2, 5 * g + 3, 5 * g + 4});
  return groups;
}

struct Options {
  bool quick = false;
  long max_n = 0;  // 0: no limit
  bool fit = true;
  bool score = true;
};

void bench_fit(const Options& opt) {
  const std::vector<Eigen::Index> sizes = opt.quick
                                              ? std::vector<Eigen::Index>{100, 300}
                                              : std::vector<Eigen::Index>{100, 300, 1000, 2000};
  const std::vector<std::string> specs = {"se", "sum(se[A], se[M], se[X], se[Z])"};
  const int repeats = opt.quick ? 3 : 5;
  // A run over this long (n = 2000) cuts the repeats to 3, as the note in the table says.
  const double slow_run_seconds = 120.0;
  const gp::ColumnGroups groups = feature_groups();
  gp::FitOptions fit_options;
  fit_options.restarts = 5;

  std::printf("\n== Hyperparameter fit: d = %d, restarts = %d, Eigen/OpenMP threads = %d ==\n",
              kDim, fit_options.restarts, omp_get_max_threads());
  std::printf("%-34s %6s %5s %11s %9s %9s %10s %s\n", "kernel", "n", "runs", "median [s]",
              "min [s]", "evals", "ms/eval", "log posterior");
  for (const auto& spec : specs) {
    for (const Eigen::Index n : sizes) {
      if (opt.max_n > 0 && n > opt.max_n) continue;
      const Data data = training_data(n, 12345);
      std::vector<double> times;
      long evals = 0;
      double objective = 0.0;
      int runs = repeats;
      for (int r = 0; r < runs; ++r) {
        auto count = std::make_shared<std::atomic<long>>(0);
        const gp::Model model(gp::Kernel(
            std::make_unique<CountingNode>(gp::parse_kernel(spec, groups), count), kDim));
        gp::Rng rng(7);  // the same seed every run: every repeat does the same work
        const auto t0 = std::chrono::steady_clock::now();
        const gp::FitReport report =
            gp::fit_hyperparameters(model, data.X, data.y, fit_options, rng);
        times.push_back(seconds_since(t0));
        evals = count->load();
        objective = report.objective;
        if (r == 0 && times[0] > slow_run_seconds) runs = std::min(runs, 3);
      }
      const double med = median(times);
      std::printf("%-34s %6ld %5d %11.4f %9.4f %9ld %10.3f %.4f%s\n", spec.c_str(),
                  static_cast<long>(n), runs, med, *std::min_element(times.begin(), times.end()),
                  evals, 1e3 * med / static_cast<double>(std::max(evals, 1L)), objective,
                  runs < repeats ? "  (3 runs only: a run takes > 2 min)" : "");
      std::fflush(stdout);
    }
  }
  std::printf(
      "evals = log-likelihood (+ gradient) evaluations over all restarts, counted by a\n"
      "pass-through kernel wrapper; ms/eval = median fit time / evals.\n");
}

void bench_score(const Options& opt) {
  const Eigen::Index n = 300;
  const std::vector<Eigen::Index> pools = opt.quick
                                              ? std::vector<Eigen::Index>{10000, 100000}
                                              : std::vector<Eigen::Index>{10000, 100000, 1000000};
  const int repeats = opt.quick ? 3 : 5;
  const int max_threads = omp_get_max_threads();

  // The model scored with: an ARD se kernel fitted to n = 300 points.
  const Data data = training_data(n, 12345);
  const gp::Model start(gp::parse_kernel("se", gp::ColumnGroups::all(kDim)));
  gp::Rng rng(7);
  gp::FitOptions fit_options;
  fit_options.restarts = 5;
  const gp::Fit fit = gp::fit_hyperparameters(start, data.X, data.y, fit_options, rng).fit;
  const double best = data.y.minCoeff();
  const gp::Scorer scorer(gp::AcquisitionConfig{});  // kind = ei

  std::printf(
      "\n== Candidate scoring: predict + EI, n = %ld training points, d = %d, kernel se ==\n",
      static_cast<long>(n), kDim);
  std::printf("%10s %8s %5s %11s %9s %14s %12s\n", "pool", "threads", "runs", "median [s]",
              "min [s]", "candidates/s", "max EI");
  std::mt19937_64 engine(999);
  for (const Eigen::Index N : pools) {
    const Eigen::MatrixXd pool = uniform_points(N, engine);
    Eigen::VectorXd ei(N);
    for (const int threads : {1, 2}) {
      if (threads > max_threads) continue;
      omp_set_num_threads(threads);
      std::vector<double> times;
      double max_ei = 0.0;
      for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        const gp::Prediction p = gp::predict(fit, pool);
#pragma omp parallel for schedule(static)
        for (Eigen::Index i = 0; i < N; ++i)
          ei[i] = scorer(p.mean[i], std::sqrt(p.variance[i]), best);
        times.push_back(seconds_since(t0));
        max_ei = ei.maxCoeff();  // uses every score, so none of the work can be dropped
      }
      const double med = median(times);
      std::printf("%10ld %8d %5d %11.4f %9.4f %14.3e %12.5g\n", static_cast<long>(N), threads,
                  repeats, med, *std::min_element(times.begin(), times.end()),
                  static_cast<double>(N) / med, max_ei);
      std::fflush(stdout);
    }
  }
  omp_set_num_threads(max_threads);
}

}  // namespace

int main(int argc, char** argv) {
  ionscreen::drivers::keep_large_blocks_in_heap();
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--only" && i + 1 < argc) {
      const std::string what = argv[++i];
      if (what != "fit" && what != "score") {
        std::fprintf(stderr, "bench_gp: --only takes fit or score, got '%s'\n", what.c_str());
        return 2;
      }
      opt.fit = what == "fit";
      opt.score = what == "score";
    } else if (a == "--max-n" && i + 1 < argc) {
      opt.max_n = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: bench_gp [--quick] [--only fit|score] [--max-n N]\n");
      return 2;
    }
  }
  std::printf(
      "bench_gp%s: hardware threads %u, omp_get_num_procs %d, omp_get_max_threads %d, "
      "Eigen::nbThreads %d\n",
      opt.quick ? " (--quick)" : "", std::thread::hardware_concurrency(), omp_get_num_procs(),
      omp_get_max_threads(), Eigen::nbThreads());
  // Timings depend on other load on the machine and on the allocator settings, so show both.
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    char line[128] = {};
    if (std::fgets(line, sizeof line, f)) std::printf("load average at start: %s", line);
    std::fclose(f);
  }
  if (const char* tunables = std::getenv("GLIBC_TUNABLES"))
    std::printf("GLIBC_TUNABLES=%s\n", tunables);
  if (opt.fit) bench_fit(opt);
  if (opt.score) bench_score(opt);
  return 0;
}
