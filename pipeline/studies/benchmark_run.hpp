#pragma once
/// `ionscreen benchmark` as a library call: every strategy's seeded virtual campaigns against a
/// benchmark table, their curves and summary written to a folder, optionally plotted.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/studies/benchmark.hpp"

namespace ionscreen::pipeline {

struct BenchmarkRun {
  BenchmarkConfig config;
  std::vector<Strategy> strategies;
  std::filesystem::path out = "benchmark";  ///< curves_<strategy>.csv, summary.csv, plots
  double fraction = 0.3;                    ///< the summary is taken at this fraction of the pool
  bool plot = false;  ///< PNG plots by inputs/benchmark/plot_benchmark.py (/usr/bin/python3)
};

/// Strategies from a comma list ("random,bo-additive-none-ei-1"); InputError for a bad one.
std::vector<Strategy> parse_strategies(const std::string& list);

/// Runs this rank's share of every strategy's trials (trial t on rank t % ranks, collective when
/// ranks > 1). On rank 0: writes the curves and summary into run.out, prints progress and the
/// summary table through `print`, and draws the plots if asked. InputError for a bad table,
/// target, fraction or trial count; an error naming the script when plotting fails.
void run_benchmark(const BenchmarkRun& run, int rank, int ranks,
                   const std::function<void(const std::string&)>& print);

}  // namespace ionscreen::pipeline
