#pragma once
/// Exact GP regression: condition a Model on data (a Fit), log marginal likelihood and its
/// gradient, and prediction over large pools in bounded-memory blocks on all cores.
///
/// An optional mean basis H (n x p) gives the prior mean h(x)^T beta; beta is estimated by
/// generalised least squares with a weak ridge (sd 10 in standardised units), i.e. the GP models
/// the residual from a fitted scale-and-offset of, for example, a source task's posterior mean.
#include <Eigen/Dense>

#include "gp/model.hpp"

namespace ionscreen::gp {

/// A model conditioned on data. Immutable once made.
struct Fit {
  Model model;
  Eigen::MatrixXd X;        ///< training inputs (n x d)
  Eigen::VectorXd y;        ///< standardised training targets
  Eigen::MatrixXd basis;    ///< mean basis at the training inputs (n x p, p may be 0)
  Eigen::VectorXd beta;     ///< fitted basis weights (standardised units)
  double y_mean = 0.0;      ///< original = standardised * y_scale + y_mean
  double y_scale = 1.0;
  double jitter = 0.0;      ///< added to the diagonal beyond the noise to make K positive definite
  Eigen::MatrixXd L;        ///< lower Cholesky factor of K + (noise + jitter) I
  Eigen::VectorXd alpha;    ///< (K + noise I)^-1 (y - H beta)
  double log_likelihood = 0.0;  ///< log marginal likelihood of the standardised targets
};

/// Condition `model` on (X, y). Throws InvalidInput for fewer than 2 points, mismatched shapes,
/// non-finite values or duplicate rows (naming them), NumericalError if K stays indefinite after
/// jitter escalation.
Fit condition(const Model& model, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
              const Eigen::MatrixXd& basis = Eigen::MatrixXd());

/// Gradient of Fit::log_likelihood with respect to Model::theta() (kernel parameters, then noise).
Eigen::VectorXd log_likelihood_gradient(const Fit& fit);

/// Posterior of the latent function at new points, in original units. `variance` excludes the
/// likelihood noise (a white kernel term in the spec is included, as in scikit-learn).
struct Prediction {
  Eigen::VectorXd mean;
  Eigen::VectorXd variance;
};

/// Predict at the rows of Xstar in blocks of `block` rows, in parallel over blocks (OpenMP).
/// `basis` is the mean basis at Xstar (required iff the fit has one).
Prediction predict(const Fit& fit, const Eigen::MatrixXd& Xstar,
                   const Eigen::MatrixXd& basis = Eigen::MatrixXd(), Eigen::Index block = 1024);

/// Leave-one-out predictive mean and variance (original units; variance includes the noise),
/// from the closed form of Rasmussen & Williams eq. 5.12, with basis weights integrated out.
Prediction leave_one_out(const Fit& fit);

/// Throws InvalidInput naming the first two identical rows of X; `what` names X in the message.
void require_distinct_rows(const Eigen::MatrixXd& X, const std::string& what);

/// Cholesky factor of A + jitter I, escalating jitter from 1e-10 to 1e-3 times the mean diagonal.
/// Returns the jitter used; throws NumericalError if A stays indefinite. `what` names A in errors.
double jittered_cholesky(const Eigen::MatrixXd& A, Eigen::MatrixXd& L, const std::string& what);

}  // namespace ionscreen::gp
