#include "pipeline/replay.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "pipeline/error.hpp"
#include "pipeline/candidates.hpp"
#include "pipeline/table.hpp"

namespace ionscreen::pipeline {
namespace {

/// Tell the optimiser the outcome of candidate id: a value, or a failure for a non-finite one
/// (a barrier that does not percolate is a failed evaluation, not a number).
void tell(gp::Optimizer& opt, Eigen::Index id, double value) {
  if (std::isfinite(value))
    opt.observe(id, value);
  else
    opt.observe_failure(id);
}

int evaluations_to(gp::Optimizer& opt, const Eigen::VectorXd& truth, Eigen::Index target) {
  for (int evals = 1;; ++evals) {
    const auto picks = opt.propose(1).picks;
    if (picks.empty()) return evals - 1;
    tell(opt, picks[0].index, truth[picks[0].index]);
    if (picks[0].index == target) return evals;
  }
}

}  // namespace

ReplayResult run_replay(const ReplayConfig& config, Progress progress) {
  const Table table = read_table(config.table).where(config.where);
  Eigen::Index target_col;
  try {
    target_col = table.column(config.target);
  } catch (const InputError& e) {
    throw InputError(config.table.string() + ": target " + e.what());
  }
  if (!(config.threshold_quantile > 0.0 && config.threshold_quantile < 1.0))
    throw InputError("threshold quantile must be in (0, 1), got " +
                     std::to_string(config.threshold_quantile));
  if (config.target.find('.') != std::string::npos)
    throw InputError(config.table.string() + ": target '" + config.target +
                     "' is named like a descriptor (<group>.<name>); the search must not see it");
  const Features features = pipeline::features(pool_from_table(table, config.table.string()));
  const Eigen::MatrixXd& X = features.X;
  const gp::ColumnGroups& groups = features.groups;
  const Eigen::VectorXd truth = table.values.col(target_col);
  ReplayResult r;
  r.pool_size = static_cast<std::size_t>(truth.size());
  r.kernel = config.kernel == "auto" ? features.auto_kernel : config.kernel;
  r.descriptors = static_cast<std::size_t>(X.cols());
  r.dropped = features.dropped;
  Eigen::Index best = 0;
  r.best_value = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < truth.size(); ++i)
    if (truth[i] < r.best_value) r.best_value = truth[i], best = i;
  if (!std::isfinite(r.best_value))
    throw InputError(config.table.string() + ": target '" + config.target + "' has no finite value");
  r.best_key = table.keys[best];

  std::vector<double> sorted;
  for (const double v : truth)
    if (std::isfinite(v)) sorted.push_back(v);
  std::sort(sorted.begin(), sorted.end());
  const auto k = static_cast<std::size_t>(config.threshold_quantile * double(sorted.size()));
  r.threshold = 0.5 * (sorted[k - (k > 0 ? 1 : 0)] + sorted[k]);
  for (Eigen::Index i = 0; i < truth.size(); ++i)
    if (truth[i] < r.threshold) r.below_threshold.push_back(table.keys[i]);

  gp::OptimizerConfig c;
  c.kernel = r.kernel;
  c.initial_design = config.initial_design;
  c.fit.restarts = config.restarts;
  for (int trial = 0; trial < config.trials; ++trial) {
    if (progress) progress("optimum search", trial, config.trials);
    c.seed = config.seed + static_cast<std::uint64_t>(trial);
    c.acquisition = {};
    gp::Optimizer bo(c, X, groups);
    r.bo_to_optimum.push_back(evaluations_to(bo, truth, best));
    gp::OptimizerConfig random = c;
    random.initial_design = static_cast<int>(truth.size());  // never leaves the random design
    gp::Optimizer rand(random, X, groups);
    r.random_to_optimum.push_back(evaluations_to(rand, truth, best));
  }
  for (int trial = 0; trial < config.trials; ++trial) {
    if (progress) progress("threshold search", trial, config.trials);
    c.seed = config.seed + static_cast<std::uint64_t>(trial);
    c.acquisition.kind = gp::AcquisitionKind::lse;
    c.acquisition.threshold = r.threshold;
    gp::Optimizer lse(c, X, groups);
    int evals = 0;
    for (auto p = lse.propose(1); !p.picks.empty(); p = lse.propose(1), ++evals)
      tell(lse, p.picks[0].index, truth[p.picks[0].index]);
    int found = 0;
    for (Eigen::Index i = 0; i < truth.size(); ++i) {
      if (lse.labels()[i] != gp::Label::below) continue;
      found += truth[i] < r.threshold;
      if (trial == 0) r.found_first_trial.push_back(table.keys[i]);
    }
    r.lse_evaluations.push_back(evals);
    r.lse_recall.push_back(r.below_threshold.empty()
                               ? 1.0
                               : double(found) / double(r.below_threshold.size()));
  }
  return r;
}

}  // namespace ionscreen::pipeline
