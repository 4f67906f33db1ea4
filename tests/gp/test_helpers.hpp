#pragma once
// Small synthetic problems shared by the gp tests.
#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "gp/kernel.hpp"
#include "gp/optimizer.hpp"
#include "gp/random.hpp"

namespace ionscreen::gp::testing {

/// n points uniform in [0, 1]^d, seeded.
inline Eigen::MatrixXd uniform_points(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = rng.uniform();
  return X;
}

/// A smooth additive function of column pairs (0,1), (2,3), (4,5), ...: a stand-in for a barrier
/// landscape whose per-site contributions add up.
inline Eigen::VectorXd additive_landscape(const Eigen::MatrixXd& X) {
  Eigen::VectorXd y = Eigen::VectorXd::Zero(X.rows());
  for (Eigen::Index j = 0; j + 1 < X.cols(); j += 2) {
    const double shift = 0.2 + 0.15 * static_cast<double>(j);
    y.array() += (3.0 * (X.col(j).array() - shift)).square().cwiseMin(4.0) +
                 0.5 * (4.0 * X.col(j + 1).array()).sin();
  }
  return y;
}

/// Five columns: 0 is a 0/1 task indicator, 1..4 continuous; groups overlap on purpose.
inline ColumnGroups test_groups() {
  ColumnGroups g = ColumnGroups::all(5);
  g.add("task", {0});
  g.add("A", {1, 2});
  g.add("B", {3, 4});
  g.add("C", {2, 3, 4});
  return g;
}

/// Four columns in two groups, A = {0, 1} and B = {2, 3}.
inline ColumnGroups two_groups() {
  ColumnGroups g = ColumnGroups::all(4);
  g.add("A", {0, 1});
  g.add("B", {2, 3});
  return g;
}

/// Drives an optimiser as a campaign would: proposals of q until `model_rounds` model-based ones
/// (40 rounds at most); every odd round leaves its last pick pending into the next, candidates
/// divisible by `fail_every` fail, the others are observed from `truth`. Calls seen(round,
/// proposal) after each proposal, before anything is observed.
template <typename Seen>
void drive(Optimizer& opt, const Eigen::VectorXd& truth, int q, int model_rounds,
           Eigen::Index fail_every, Seen&& seen) {
  std::vector<Eigen::Index> carried;
  for (int round = 0, model = 0; model < model_rounds && round < 40; ++round) {
    const Proposal p = opt.propose(q);
    seen(round, p);
    if (!p.hyperparameters.empty()) ++model;
    for (const Eigen::Index id : carried) opt.observe(id, truth[id]);
    carried.clear();
    for (std::size_t k = 0; k < p.picks.size(); ++k) {
      const Eigen::Index id = p.picks[k].index;
      if (k + 1 == p.picks.size() && round % 2 == 1)
        carried.push_back(id);
      else if (id % fail_every == 0)
        opt.observe_failure(id);
      else
        opt.observe(id, truth[id]);
    }
    if (p.picks.empty() && !p.hyperparameters.empty()) break;  // nothing left to propose
  }
}

}  // namespace ionscreen::gp::testing
