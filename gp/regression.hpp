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
  Eigen::MatrixXd X;      ///< training inputs (n x d)
  Eigen::VectorXd y;      ///< standardised training targets
  Eigen::MatrixXd basis;  ///< mean basis at the training inputs (n x p, p may be 0)
  Eigen::VectorXd beta;   ///< fitted basis weights (standardised units)
  double y_mean = 0.0;    ///< original = standardised * y_scale + y_mean
  double y_scale = 1.0;
  double jitter = 0.0;    ///< added to the diagonal beyond the noise to make K positive definite
  Eigen::MatrixXd L;      ///< lower Cholesky factor of K + (noise + jitter) I
  Eigen::VectorXd alpha;  ///< (K + noise I)^-1 (y - H beta)
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

/// What prediction needs from a fit, as a plain value of n x n + n x d numbers that can be sent to
/// wherever the candidates are: the kernel, training inputs, weights and the triangular factor in
/// the form prediction uses.
struct Predictor {
  Kernel kernel;
  Eigen::MatrixXd X;      ///< training inputs (n x d)
  Eigen::VectorXd alpha;  ///< as Fit::alpha
  Eigen::VectorXd beta;   ///< mean basis weights (size 0 without a basis)
  double y_mean = 0.0;
  double y_scale = 1.0;
  /// L^-1 if `inverse`, else L (lower triangular). Eigen multiplies by a triangular matrix about
  /// 1.4x faster than it solves with one, so for a pool of at least 16 n candidates L^-1 is formed
  /// once (a solve with n right-hand sides) and every block is a product.
  Eigen::MatrixXd factor;
  bool inverse = false;
};

/// The predictor of `fit` for a pool of `pool_size` candidates (the size decides `inverse`).
Predictor make_predictor(const Fit& fit, Eigen::Index pool_size);

/// Predict at the rows of Xstar as predict(fit, ...) does, with the block b made of rows
/// [b block, (b + 1) block). A block is computed single-threaded from copies of its own rows, so a
/// row's result depends on its block's rows and nothing else: predicting a pool in pieces cut at
/// multiples of `block` (from the same predictor) gives bitwise the numbers of predicting it whole.
/// `basis` has the predictor's basis columns (none when beta is empty).
Prediction predict(const Predictor& predictor, Eigen::Ref<const Eigen::MatrixXd> Xstar,
                   Eigen::Ref<const Eigen::MatrixXd> basis, Eigen::Index block = 1024);

/// Leave-one-out predictive mean and variance (original units; variance includes the noise),
/// from the closed form of Rasmussen & Williams eq. 5.12, with basis weights integrated out.
Prediction leave_one_out(const Fit& fit);

/// Throws InvalidInput naming the first two identical rows of X; `what` names X in the message.
void require_distinct_rows(const Eigen::MatrixXd& X, const std::string& what);

/// Cholesky factor of A + jitter I, escalating jitter from 1e-10 to 1e-3 times the mean diagonal.
/// Returns the jitter used; throws NumericalError if A stays indefinite. `what` names A in errors.
double jittered_cholesky(const Eigen::MatrixXd& A, Eigen::MatrixXd& L, const std::string& what);

}  // namespace ionscreen::gp
