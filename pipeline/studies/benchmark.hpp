#pragma once
/// Virtual campaigns: many seeded campaigns against a complete table of barriers, each run by the
/// campaign state machine (pipeline/campaign/campaign.hpp) with the table engine in this process
/// (TableOracle, NoStore), so the decisions are exactly those of a real campaign with the same
/// settings. Trials run in parallel over OpenMP threads and MPI ranks; trial t's seed depends on
/// (seed, t) only, so the curves do not depend on how many threads or ranks ran them.
#include <Eigen/Dense>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gp/acquisition.hpp"
#include "gp/transfer.hpp"
#include "pipeline/base/enum_names.hpp"
#include "pipeline/campaign/threshold.hpp"
#include "pipeline/pool/candidate_pool.hpp"
#include "pipeline/studies/table_oracle.hpp"

namespace ionscreen::pipeline {

/// A search strategy: "random", or "bo-<kernel>-<transfer>-<acquisition>-<q>" with kernel
/// `ard` (one ARD se over all descriptors) or `additive` (sum(se[g]) over the descriptor
/// groups), transfer none | hp | posterior | multitask | auto (from the source rows), acquisition
/// ei | pi | lcb | thompson (optimum mode: a trial stops once the optimum is evaluated) or
/// straddle | lse (threshold mode: a trial runs until nothing is undecided or the pool is done).
/// Random search evaluates the whole pool in a seeded random order.
enum class StrategyKernel { ard, additive };
template <>
struct EnumNames<StrategyKernel> {
  static constexpr std::pair<StrategyKernel, const char*> values[] = {
      {StrategyKernel::ard, "ard"}, {StrategyKernel::additive, "additive"}};
};

struct Strategy {
  std::string name;
  bool random = false;
  StrategyKernel kernel = StrategyKernel::additive;
  gp::TransferMode transfer = gp::TransferMode::none;
  gp::AcquisitionKind acquisition = gp::AcquisitionKind::ei;
  int q = 1;
  bool threshold_mode() const { return gp::is_threshold_search(acquisition); }
};
/// InputError naming the text and the grammar.
Strategy parse_strategy(const std::string& text);

struct BenchmarkConfig {
  std::filesystem::path table;  ///< CSV: key, carrier column, <group>.<name>, target
  std::string key = "compound";
  std::string target = "E_1D";  ///< the barrier column (eV); never shown to the search
  std::string carrier_column = "carrier";
  std::string carrier = "Na";         ///< target rows: carrier_column == carrier; "": all rows
  std::string source_carrier = "Li";  ///< transfer source rows (all of them); "" for none
  int trials = 50;
  std::uint64_t seed = 1;
  int initial = 5;        ///< random initial candidates of every BO trial
  std::string threshold;  ///< pipeline/campaign/threshold.hpp syntax; "": 17/318 quantile
};

/// The target rows of a benchmark table and what trials are judged against.
struct BenchmarkData {
  CandidatePool pool;
  std::shared_ptr<const Barriers> barriers;  ///< by candidate name
  Eigen::VectorXd values;                    ///< the target per candidate (inf allowed)
  Eigen::Index optimum = 0;
  double threshold = 0;
  std::string threshold_how;
  int below = 0;                             ///< candidates with value < threshold
  std::optional<CandidatePool> source_pool;  ///< the source rows, if any ...
  Eigen::VectorXd source_values;             ///< ... and their finite target values
};
BenchmarkData load_benchmark_data(const BenchmarkConfig& config);

/// The source task a strategy's campaigns start from (nullopt without transfer): every source
/// row with a finite value, and the hyperparameters of the strategy's kernel fitted to them (as a
/// finished source campaign would hand over).
std::optional<gp::SourceTask> source_task(const BenchmarkData& data, const Strategy& strategy,
                                          std::uint64_t seed);

/// Seed of trial t: a hash of (seed, t).
std::uint64_t trial_seed(std::uint64_t seed, int trial);

/// One virtual campaign: the candidates it evaluated (done or failed), in order.
std::vector<std::int64_t> run_trial(const BenchmarkData& data, const Strategy& strategy,
                                    const std::optional<gp::SourceTask>& source,
                                    const BenchmarkConfig& config, int trial);

/// Every trial of a strategy; this rank's share (trial t on rank t % ranks) over OpenMP
/// threads. Collective when ranks > 1: rank 0 gets all trials, the others nothing.
std::vector<std::vector<std::int64_t>> run_trials(const BenchmarkData& data,
                                                  const Strategy& strategy,
                                                  const BenchmarkConfig& config, int rank = 0,
                                                  int ranks = 1);

/// Curves over k = 1..N evaluations (a trial that stopped evaluates nothing more). P(optimum
/// evaluated by k) with a 95% Wilson interval; mean number of sub-threshold candidates evaluated
/// by k with a 95% normal-approximation interval.
struct Curves {
  std::vector<double> p, p_lo, p_hi, found, found_lo, found_hi;
  std::vector<int> to_optimum;  ///< per trial: evaluations until the optimum (N + 1: never)
};
Curves curves(const BenchmarkData& data, const std::vector<std::vector<std::int64_t>>& trials);

/// k, fraction_of_space, p_optimum[_lo,_hi], found_mean[_lo,_hi], found_fraction[_lo,_hi].
void write_curves(const std::filesystem::path& file, const BenchmarkData& data, const Curves& c);

/// One strategy's numbers at a fraction of the space.
struct SummaryRow {
  std::string strategy;
  int trials = 0, k = 0;
  double p = 0, p_lo = 0, p_hi = 0;
  double found_fraction = 0, found_lo = 0, found_hi = 0;
  double median_to_optimum = 0, mean_to_optimum = 0;  ///< N + 1 counts a trial that never found it
  double seconds = 0;
};
SummaryRow summarise(const Strategy& strategy, const BenchmarkData& data, const Curves& c,
                     double fraction, double seconds);
void write_summary(const std::filesystem::path& file, const std::vector<SummaryRow>& rows);
/// A short text table (random as the baseline for the found fraction).
std::string summary_table(const BenchmarkData& data, const std::vector<SummaryRow>& rows,
                          double fraction);

}  // namespace ionscreen::pipeline
