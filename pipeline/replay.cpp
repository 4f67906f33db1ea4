#include "pipeline/replay.hpp"

#include <algorithm>
#include <map>

#include "pipeline/error.hpp"
#include "pipeline/table.hpp"

namespace ionscreen::pipeline {
namespace {

/// Descriptor matrix and column groups from "<group>.<name>" headers (all but the target).
std::pair<Eigen::MatrixXd, gp::ColumnGroups> descriptors(const Table& table, Eigen::Index target) {
  std::vector<Eigen::Index> cols;
  std::map<std::string, std::vector<int>> groups;
  for (Eigen::Index j = 0; j < static_cast<Eigen::Index>(table.columns.size()); ++j) {
    if (j == target) continue;
    const std::string& name = table.columns[j];
    const auto dot = name.find('.');
    if (dot == std::string::npos || dot == 0)
      throw InputError("column '" + name + "': descriptor columns are named <group>.<name>");
    groups[name.substr(0, dot)].push_back(static_cast<int>(cols.size()));
    cols.push_back(j);
  }
  gp::ColumnGroups g = gp::ColumnGroups::all(static_cast<int>(cols.size()));
  for (auto& [name, members] : groups) g.add(name, members);
  return {table.values(Eigen::all, cols), g};
}

int evaluations_to(gp::Optimizer& opt, const Eigen::VectorXd& truth, Eigen::Index target) {
  for (int evals = 1;; ++evals) {
    const auto picks = opt.propose(1).picks;
    if (picks.empty()) return evals - 1;
    opt.observe(picks[0].index, truth[picks[0].index]);
    if (picks[0].index == target) return evals;
  }
}

}  // namespace

ReplayResult run_replay(const ReplayConfig& config, Progress progress) {
  const Table table = read_table(config.table);
  Eigen::Index target_col;
  try {
    target_col = table.column(config.target);
  } catch (const InputError& e) {
    throw InputError(config.table.string() + ": target " + e.what());
  }
  if (!(config.threshold_quantile > 0.0 && config.threshold_quantile < 1.0))
    throw InputError("threshold quantile must be in (0, 1), got " +
                     std::to_string(config.threshold_quantile));
  const auto [X, groups] = descriptors(table, target_col);
  const Eigen::VectorXd truth = table.values.col(target_col);
  ReplayResult r;
  r.pool_size = static_cast<std::size_t>(truth.size());
  Eigen::Index best;
  r.best_value = truth.minCoeff(&best);
  r.best_key = table.keys[best];

  std::vector<double> sorted(truth.data(), truth.data() + truth.size());
  std::sort(sorted.begin(), sorted.end());
  const auto k = static_cast<std::size_t>(config.threshold_quantile * double(sorted.size()));
  r.threshold = 0.5 * (sorted[k - (k > 0 ? 1 : 0)] + sorted[k]);
  for (Eigen::Index i = 0; i < truth.size(); ++i)
    if (truth[i] < r.threshold) r.below_threshold.push_back(table.keys[i]);

  gp::OptimizerConfig c;
  c.kernel = config.kernel;
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
      lse.observe(p.picks[0].index, truth[p.picks[0].index]);
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
