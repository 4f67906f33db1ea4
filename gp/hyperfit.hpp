#pragma once
/// Type-II maximum likelihood (or MAP with priors) for the hyperparameters of a Model: L-BFGS-B in
/// log space with seeded restarts, falling back to the starting (last good) hyperparameters when
/// every restart fails.
#include <string>

#include "gp/random.hpp"
#include "gp/regression.hpp"

namespace ionscreen::gp {

struct FitOptions {
  int restarts = 5;          ///< optimiser runs: the first from the current values, the rest random
  int max_iterations = 200;  ///< L-BFGS iterations per run
};

struct FitReport {
  Fit fit;                 ///< the model at the best hyperparameters, conditioned on the data
  double objective = 0.0;  ///< log marginal likelihood + log priors at the optimum
  int runs_succeeded = 0;
  int runs_failed = 0;
  bool fell_back = false;  ///< true if no run succeeded and the starting values were kept
  std::string last_error;  ///< why the last failed run failed
};

/// Fit the free hyperparameters of `start` to (X, y). Draws restart points from `rng` (from a
/// parameter's prior if it has one, else uniformly over its typical range).
FitReport fit_hyperparameters(const Model& start, const Eigen::MatrixXd& X,
                              const Eigen::VectorXd& y, const FitOptions& options, Rng& rng,
                              const Eigen::MatrixXd& basis = Eigen::MatrixXd());

/// log p(y | theta) + sum of log priors, and its gradient over all of Model::theta().
struct Objective {
  double value;
  Eigen::VectorXd gradient;
};
Objective log_posterior(const Model& model, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                        const Eigen::MatrixXd& basis = Eigen::MatrixXd());

}  // namespace ionscreen::gp
