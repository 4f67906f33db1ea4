#include "gp/hyperfit.hpp"

#include <LBFGSB.h>

#include <cmath>
#include <limits>

#include "gp/error.hpp"

namespace ionscreen::gp {
namespace {

/// Negative log posterior over the free parameters, for LBFGS++; remembers the best point seen so
/// that a run whose line search gives up still yields its best value.
class NegativeLogPosterior {
 public:
  NegativeLogPosterior(Model model, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                       const Eigen::MatrixXd& basis, std::vector<int> free)
      : model_(std::move(model)),
        X_(X),
        y_(y),
        basis_(basis),
        free_(std::move(free)),
        full_(model_.theta()) {}

  double operator()(const Eigen::VectorXd& x, Eigen::VectorXd& grad) {
    for (std::size_t i = 0; i < free_.size(); ++i)
      full_[free_[i]] = x[static_cast<Eigen::Index>(i)];
    model_.set_theta(full_);
    const Objective obj = log_posterior(model_, X_, y_, basis_);
    for (std::size_t i = 0; i < free_.size(); ++i)
      grad[static_cast<Eigen::Index>(i)] = -obj.gradient[free_[i]];
    if (std::isfinite(obj.value) && -obj.value < best_value_) {
      best_value_ = -obj.value;
      best_ = full_;
    }
    return -obj.value;
  }

  double best_value() const { return best_value_; }
  const Eigen::VectorXd& best() const { return best_; }

 private:
  Model model_;
  const Eigen::MatrixXd& X_;
  const Eigen::VectorXd& y_;
  const Eigen::MatrixXd& basis_;
  std::vector<int> free_;
  Eigen::VectorXd full_;
  Eigen::VectorXd best_;
  double best_value_ = std::numeric_limits<double>::infinity();
};

}  // namespace

Objective log_posterior(const Model& model, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                        const Eigen::MatrixXd& basis) {
  const Fit fit = condition(model, X, y, basis);
  Objective obj{fit.log_likelihood, log_likelihood_gradient(fit)};
  const auto info = model.parameters();
  const Eigen::VectorXd theta = model.theta();
  for (std::size_t i = 0; i < info.size(); ++i) {
    const auto it = model.priors.find(info[i].name);
    if (it == model.priors.end()) continue;
    const PriorTerm term = log_density(it->second, theta[static_cast<Eigen::Index>(i)]);
    obj.value += term.value;
    obj.gradient[static_cast<Eigen::Index>(i)] += term.derivative;
  }
  return obj;
}

FitReport fit_hyperparameters(const Model& start, const Eigen::MatrixXd& X,
                              const Eigen::VectorXd& y, const FitOptions& options, Rng& rng,
                              const Eigen::MatrixXd& basis) {
  if (options.restarts < 1) throw InvalidInput("hyperparameter fit: restarts must be >= 1");
  start.validate();
  const auto info = start.parameters();
  std::vector<int> free;
  for (std::size_t i = 0; i < info.size(); ++i)
    if (!start.fixed.count(info[i].name)) free.push_back(static_cast<int>(i));
  const auto nfree = static_cast<Eigen::Index>(free.size());
  Eigen::VectorXd lower(nfree), upper(nfree), x0(nfree);
  const Eigen::VectorXd theta0 = start.theta();
  for (Eigen::Index i = 0; i < nfree; ++i) {
    lower[i] = info[free[i]].lower;
    upper[i] = info[free[i]].upper;
    x0[i] = std::clamp(theta0[free[i]], lower[i], upper[i]);
  }

  LBFGSpp::LBFGSBParam<double> param;
  param.max_iterations = options.max_iterations;
  param.max_linesearch = 40;
  int succeeded = 0, failed = 0;
  std::string last_error;
  double best_value = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_theta;
  for (int run = 0; run < options.restarts; ++run) {
    Eigen::VectorXd x = x0;
    if (run > 0)  // draw every restart point even for nfree == 0 runs, keeping the stream aligned
      for (Eigen::Index i = 0; i < nfree; ++i) {
        const auto prior = start.priors.find(info[free[i]].name);
        const double draw =
            prior != start.priors.end()
                ? sample_theta(prior->second, rng.normal())
                : info[free[i]].typical_lower +
                      rng.uniform() * (info[free[i]].typical_upper - info[free[i]].typical_lower);
        x[i] = std::clamp(draw, lower[i], upper[i]);
      }
    NegativeLogPosterior f(start, X, y, basis, free);
    try {
      if (nfree > 0) {
        LBFGSpp::LBFGSBSolver<double> solver(param);
        double fx = 0.0;
        solver.minimize(f, x, fx, lower, upper);
      } else {
        Eigen::VectorXd g(0);
        f(x, g);
      }
      ++succeeded;
    } catch (const std::exception& e) {
      // A line search that gives up still leaves a usable best point; a run that never evaluated
      // a finite objective has failed.
      if (std::isfinite(f.best_value())) {
        ++succeeded;
      } else {
        ++failed;
        last_error = e.what();
      }
    }
    if (f.best_value() < best_value) {
      best_value = f.best_value();
      best_theta = f.best();
    }
  }
  if (!std::isfinite(best_value)) {  // keep the last good values; throws if they fail too
    return {condition(start, X, y, basis),
            log_posterior(start, X, y, basis).value,
            succeeded,
            failed,
            true,
            last_error};
  }
  Model best = start;
  best.set_theta(best_theta);
  return {condition(best, X, y, basis), -best_value, succeeded, failed, false, last_error};
}

}  // namespace ionscreen::gp
