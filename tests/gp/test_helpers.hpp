#pragma once
// Small synthetic problems shared by the gp tests.
#include <Eigen/Dense>
#include <cmath>

#include "gp/kernel.hpp"
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

}  // namespace ionscreen::gp::testing
