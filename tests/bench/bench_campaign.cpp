// Benchmark of a campaign's own costs, outside the engines. Prints medians; a program, not a test.
//
//   overhead:   one iteration = refit + propose (gp::Optimizer::propose, q = 1, the campaign's
//               default settings: additive kernel over 4 groups of 3 columns, EI) + observe +
//               checkpoint (write_campaign_file with a ledger and decision record of that size),
//               for pools of 1e3, 1e5, 1e6 candidates and 100, 1000 observations.
//   checkpoint: write_campaign_file latency for ledgers of 100, 1000, 10000 jobs.
//   slurm:      one poll (one squeue call) of 1000 jobs in flight on the real Slurm named by
//               $SLURM_CONF (start it with cluster/slurm/local-slurm.sh); the jobs sleep and are
//               cancelled at the end. Also the median sbatch time.
//
// Usage: bench_campaign [--only overhead|checkpoint|slurm] [--quick]
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "drivers/allocator.hpp"
#include "gp/optimizer.hpp"
#include "pipeline/backends/slurm_backend.hpp"
#include "pipeline/store/campaign_file.hpp"

namespace gp = ionscreen::gp;
namespace pl = ionscreen::pipeline;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/// A ledger of `n` done jobs and `n` one-pick decisions, with realistic text sizes.
pl::CampaignRecord record_of_size(std::size_t n) {
  pl::CampaignRecord r;
  r.name = "bench";
  r.config_ini = std::string(3000, '#');
  r.pool_fingerprint = "123";
  r.optimizer_state = std::string(80 * n, 'x');
  for (std::size_t i = 0; i < n; ++i) {
    pl::JobRecord j;
    j.job_id = "c" + std::to_string(1000000 + i) + "-a01";
    j.candidate = static_cast<std::int64_t>(i);
    j.engine = "bvse";
    j.state = pl::LedgerState::done;
    j.scheduler_id = std::to_string(40000 + i);
    j.directory = "jobs/" + j.job_id;
    j.e_b = 0.5;
    r.jobs.push_back(j);
    pl::DecisionRecord d;
    d.index = static_cast<std::int64_t>(i);
    d.reason = "ei";
    d.kernel = "sum(se[A], se[M], se[X], se[Z])";
    d.hyperparameters = std::string(400, 'h');
    d.rng_state = std::string(60, 'r');
    d.picks.push_back({static_cast<std::int64_t>(i), 0.1, 0.5, 0.01});
    r.decisions.push_back(d);
  }
  return r;
}

void bench_overhead(bool quick, const std::filesystem::path& dir) {
  std::printf(
      "per-iteration overhead (refit + propose + observe + checkpoint), q = 1, EI, "
      "kernel sum(se[A], se[M], se[X], se[Z]) over 12 columns\n");
  std::printf("%10s %6s %12s %12s %12s %12s\n", "pool", "n_obs", "propose [s]", "checkpoint[s]",
              "total [s]", "iterations");
  const std::vector<long> pools =
      quick ? std::vector<long>{1000, 100000} : std::vector<long>{1000, 100000, 1000000};
  const std::vector<int> observations = quick ? std::vector<int>{100} : std::vector<int>{100, 1000};
  for (const long N : pools)
    for (const int n : observations) {
      if (n >= N / 2) continue;  // a pool must be much larger than what has been observed
      std::mt19937_64 engine(42);
      std::uniform_real_distribution<double> u(0.0, 1.0);
      Eigen::MatrixXd pool(N, 12);
      for (Eigen::Index i = 0; i < pool.rows(); ++i)
        for (Eigen::Index j = 0; j < pool.cols(); ++j) pool(i, j) = u(engine);
      const auto value = [&](Eigen::Index i) {
        double f = 0;
        for (Eigen::Index j = 0; j < 12; ++j)
          f += std::sin(3.0 * pool(i, j) + double(j)) / (1.0 + double(j % 3));
        return f;
      };
      gp::ColumnGroups groups = gp::ColumnGroups::all(12);
      const char* names[] = {"A", "M", "X", "Z"};
      for (int g = 0; g < 4; ++g) groups.add(names[g], {3 * g, 3 * g + 1, 3 * g + 2});
      gp::OptimizerConfig config;
      config.kernel = "sum(se[A], se[M], se[X], se[Z])";
      config.seed = 1;
      gp::Optimizer opt(config, pool, groups);
      std::vector<Eigen::Index> order(static_cast<std::size_t>(N));
      for (Eigen::Index i = 0; i < N; ++i) order[static_cast<std::size_t>(i)] = i;
      std::shuffle(order.begin(), order.end(), engine);
      for (int k = 0; k < n; ++k)
        opt.observe(order[static_cast<std::size_t>(k)], value(order[static_cast<std::size_t>(k)]));
      pl::CampaignRecord record = record_of_size(static_cast<std::size_t>(n));
      const int iterations = N >= 1000000 && n >= 1000 ? 3 : 5;
      std::vector<double> propose_s, checkpoint_s, total_s;
      for (int it = 0; it < iterations + 1; ++it) {  // the first (cold fit) is not counted
        const auto t0 = Clock::now();
        const gp::Proposal p = opt.propose(1);
        const double tp = seconds_since(t0);
        opt.observe(p.picks.at(0).index, value(p.picks[0].index));
        record.optimizer_state = gp::to_text(opt.state());
        const auto t1 = Clock::now();
        pl::write_campaign_file(record, dir / "campaign.h5");
        const double tc = seconds_since(t1);
        if (it == 0) continue;
        propose_s.push_back(tp);
        checkpoint_s.push_back(tc);
        total_s.push_back(seconds_since(t0));
      }
      std::printf("%10ld %6d %12.4f %12.4f %12.4f %12d\n", N, n, median(propose_s),
                  median(checkpoint_s), median(total_s), iterations);
      std::fflush(stdout);
    }
}

void bench_checkpoint(const std::filesystem::path& dir) {
  std::printf(
      "\ncheckpoint latency (write_campaign_file: temporary file, fsync, rename, fsync dir)\n");
  std::printf("%8s %14s %14s %12s\n", "jobs", "median [ms]", "max [ms]", "size [kB]");
  for (const std::size_t n : {100, 1000, 10000}) {
    const pl::CampaignRecord record = record_of_size(n);
    std::vector<double> t;
    for (int i = 0; i < 21; ++i) {
      const auto t0 = Clock::now();
      pl::write_campaign_file(record, dir / "campaign.h5");
      t.push_back(1e3 * seconds_since(t0));
    }
    std::printf("%8zu %14.2f %14.2f %12.0f\n", n, median(t), *std::max_element(t.begin(), t.end()),
                double(std::filesystem::file_size(dir / "campaign.h5")) / 1024.0);
  }
}

void bench_slurm(const std::filesystem::path& dir, int jobs) {
  if (!std::getenv("SLURM_CONF")) {
    std::printf("\nslurm: SLURM_CONF is not set; start Slurm with cluster/slurm/local-slurm.sh\n");
    return;
  }
  pl::SlurmBackend backend(
      pl::load_slurm_profile(IONSCREEN_SOURCE_DIR "/cluster/slurm/profiles/local.ini"));
  std::vector<std::string> ids;
  std::vector<double> submit_s;
  for (int i = 0; i < jobs; ++i) {
    pl::Submission s;
    s.job_id = std::to_string(i);
    s.name = "ionscreen-bench-" + std::to_string(i);
    s.directory = dir / ("job" + std::to_string(i));
    std::filesystem::create_directories(s.directory);
    s.argv = {"/bin/sleep", "600"};
    s.time_limit_minutes = 15;
    const auto t0 = Clock::now();
    ids.push_back(backend.submit(s));
    submit_s.push_back(seconds_since(t0));
  }
  std::vector<double> poll_s;
  std::size_t reported = 0;
  for (int i = 0; i < 10; ++i) {
    const auto t0 = Clock::now();
    reported = backend.poll(ids).size();
    poll_s.push_back(seconds_since(t0));
  }
  for (const auto& id : ids) backend.cancel(id);
  std::printf(
      "\nslurm: %d jobs in flight; sbatch median %.1f ms; one poll (squeue for all ids) "
      "median %.1f ms over 10 polls (%zu reported)\n",
      jobs, 1e3 * median(submit_s), 1e3 * median(poll_s), reported);
}

}  // namespace

int main(int argc, char** argv) {
  ionscreen::drivers::keep_large_blocks_in_heap();
  std::string only;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
      only = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_campaign [--only overhead|checkpoint|slurm] [--quick]\n");
      return 2;
    }
  }
  const auto dir = std::filesystem::temp_directory_path() / "ionscreen-bench-campaign";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  if (only.empty() || only == "overhead") bench_overhead(quick, dir);
  if (only.empty() || only == "checkpoint") bench_checkpoint(dir);
  if (only.empty() || only == "slurm") bench_slurm(dir, quick ? 100 : 1000);
  std::filesystem::remove_all(dir);
  return 0;
}
