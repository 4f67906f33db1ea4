#include "pipeline/studies/benchmark_run.hpp"

#include <fmt/core.h>

#include <chrono>

#include "pipeline/backends/process.hpp"
#include "pipeline/base/data_directory.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/base/strings.hpp"

namespace ionscreen::pipeline {

std::vector<Strategy> parse_strategies(const std::string& list) {
  std::vector<Strategy> out;
  for (const auto& s : split(list, ',')) out.push_back(parse_strategy(s));
  if (out.empty()) throw InputError("--strategies '" + list + "': no strategy given");
  return out;
}

void run_benchmark(const BenchmarkRun& run, int rank, int ranks,
                   const std::function<void(const std::string&)>& print) {
  const BenchmarkConfig& c = run.config;
  if (c.trials < 1) throw InputError("--trials must be >= 1");
  if (!(run.fraction > 0 && run.fraction <= 1)) throw InputError("--fraction must be in (0, 1]");
  const bool root = rank == 0;
  const BenchmarkData data = load_benchmark_data(c);
  if (root) {
    std::filesystem::create_directories(run.out);
    print(fmt::format(
        "{} {}rows of {} ({} with a finite {}); optimum {} = {:.4f} eV; {} trials from seed {} "
        "on {} rank(s)\n",
        data.pool.size(), c.carrier.empty() ? "" : c.carrier + " ", c.table.string(),
        data.values.array().isFinite().count(), c.target,
        data.pool.names[static_cast<std::size_t>(data.optimum)], data.values[data.optimum],
        c.trials, c.seed, ranks));
  }
  std::vector<SummaryRow> rows;
  for (const auto& s : run.strategies) {
    const auto start = std::chrono::steady_clock::now();
    const auto trials = run_trials(data, s, c, rank, ranks);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!root) continue;
    const Curves curves = pipeline::curves(data, trials);
    write_curves(run.out / ("curves_" + s.name + ".csv"), data, curves);
    rows.push_back(summarise(s, data, curves, run.fraction, seconds));
    print(fmt::format("{}: {} trials in {:.1f} s\n", s.name, c.trials, seconds));
  }
  if (!root) return;
  write_summary(run.out / "summary.csv", rows);
  print(fmt::format("\n{}", summary_table(data, rows, run.fraction)));
  print(fmt::format("curves and summary.csv in {}\n", run.out.string()));
  if (!run.plot) return;
  const auto script = data_directory() / "inputs" / "benchmark" / "plot_benchmark.py";
  const auto r = run_argv({"/usr/bin/python3", script.string(), run.out.string()});
  print(r.out);
  if (r.exit_code != 0)
    throw IoError(fmt::format("{} failed (exit {}): {}", script.string(), r.exit_code, r.err));
}

}  // namespace ionscreen::pipeline
