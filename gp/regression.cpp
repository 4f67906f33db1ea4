#include "gp/regression.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <numbers>
#include <numeric>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "gp/error.hpp"
#include "gp/text.hpp"

namespace ionscreen::gp {
namespace {

constexpr double kBasisRidge = 1e-2;  // 1 / (prior sd 10)^2 on basis weights

void check_finite_matrix(const Eigen::MatrixXd& X, const std::string& what) {
  for (Eigen::Index j = 0; j < X.cols(); ++j)
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      if (!std::isfinite(X(i, j)))
        throw InvalidInput(what + " row " + std::to_string(i) + " column " + std::to_string(j) +
                           " is " + format_double(X(i, j)));
}

}  // namespace

void require_distinct_rows(const Eigen::MatrixXd& X, const std::string& what) {
  std::vector<Eigen::Index> order(X.rows());
  std::iota(order.begin(), order.end(), 0);
  auto less = [&](Eigen::Index a, Eigen::Index b) {
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      if (X(a, j) != X(b, j)) return X(a, j) < X(b, j);
    return a < b;
  };
  std::sort(order.begin(), order.end(), less);
  for (std::size_t k = 1; k < order.size(); ++k)
    if (X.row(order[k - 1]) == X.row(order[k]))
      throw InvalidInput(what + ": rows " + std::to_string(std::min(order[k - 1], order[k])) +
                         " and " + std::to_string(std::max(order[k - 1], order[k])) +
                         " are identical; a GP needs distinct inputs (merge repeated "
                         "measurements or add a distinguishing descriptor)");
}

double jittered_cholesky(const Eigen::MatrixXd& A, Eigen::MatrixXd& L, const std::string& what) {
  const double scale = std::max(A.diagonal().mean(), 1e-300);
  double jitter = 0.0;
  for (int attempt = 0; attempt < 9; ++attempt) {
    Eigen::MatrixXd M = A;
    M.diagonal().array() += jitter;
    Eigen::LLT<Eigen::MatrixXd> llt(M);
    if (llt.info() == Eigen::Success && llt.matrixLLT().diagonal().allFinite() &&
        (llt.matrixLLT().diagonal().array() > 0).all()) {
      L = llt.matrixL();
      return jitter;
    }
    jitter = (attempt == 0) ? 1e-10 * scale : jitter * 10.0;
  }
  throw NumericalError(what + " (" + std::to_string(A.rows()) + " x " + std::to_string(A.rows()) +
                       ") is not positive definite even with jitter " + format_double(jitter / 10) +
                       " on the diagonal; check for non-finite kernel values or extreme "
                       "hyperparameters");
}

Fit condition(const Model& model, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
              const Eigen::MatrixXd& basis) {
  const Eigen::Index n = X.rows();
  if (n < 2) throw InvalidInput("a GP fit needs at least 2 observations, got " + std::to_string(n));
  if (y.size() != n)
    throw InvalidInput("training inputs have " + std::to_string(n) + " rows but targets have " +
                       std::to_string(y.size()) + " entries");
  if (X.cols() != model.kernel.num_features())
    throw InvalidInput("training inputs have " + std::to_string(X.cols()) + " columns; kernel " +
                       model.kernel.spec() + " expects " +
                       std::to_string(model.kernel.num_features()));
  if (basis.size() != 0 && basis.rows() != n)
    throw InvalidInput("mean basis has " + std::to_string(basis.rows()) + " rows, expected " +
                       std::to_string(n));
  check_finite_matrix(X, "training inputs");
  for (Eigen::Index i = 0; i < n; ++i)
    if (!std::isfinite(y[i]))
      throw InvalidInput("target " + std::to_string(i) + " is " + format_double(y[i]) +
                         "; record failed evaluations as failures, not as values");
  check_finite_matrix(basis, "mean basis");
  require_distinct_rows(X, "training inputs");

  Fit fit{model, X, y, basis, Eigen::VectorXd(), 0.0, 1.0, 0.0, {}, {}, 0.0};
  if (model.standardize) {
    fit.y_mean = y.mean();
    const double sd = std::sqrt((y.array() - fit.y_mean).square().mean());
    fit.y_scale = sd > 0.0 ? sd : 1.0;
    fit.y = (y.array() - fit.y_mean) / fit.y_scale;
  }

  Eigen::MatrixXd K = model.kernel.gram(X);
  if (!K.allFinite())
    throw NumericalError("kernel " + model.kernel.spec() + " gave non-finite covariances");
  K.diagonal().array() += std::exp(model.log_noise);
  fit.jitter = jittered_cholesky(K, fit.L, "covariance of kernel " + model.kernel.spec());
  const auto Lt = fit.L.triangularView<Eigen::Lower>();

  Eigen::VectorXd residual = fit.y;
  fit.beta = Eigen::VectorXd::Zero(basis.cols());
  if (basis.cols() > 0) {
    const Eigen::MatrixXd LiH = Lt.solve(basis);
    const Eigen::VectorXd Liy = Lt.solve(fit.y);
    Eigen::MatrixXd A = LiH.transpose() * LiH;
    A.diagonal().array() += kBasisRidge;
    fit.beta = A.ldlt().solve(LiH.transpose() * Liy);
    residual -= basis * fit.beta;
  }
  fit.alpha = fit.L.transpose().triangularView<Eigen::Upper>().solve(Lt.solve(residual));
  fit.log_likelihood = -0.5 * residual.dot(fit.alpha) - fit.L.diagonal().array().log().sum() -
                       0.5 * static_cast<double>(n) * std::log(2.0 * std::numbers::pi) -
                       0.5 * kBasisRidge * fit.beta.squaredNorm();
  return fit;
}

Eigen::VectorXd log_likelihood_gradient(const Fit& fit) {
  // d log p / d theta = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta). The basis weights sit at their
  // optimum, so their dependence on theta drops out (envelope theorem).
  const Eigen::Index n = fit.X.rows();
  Eigen::MatrixXd Linv = Eigen::MatrixXd::Identity(n, n);
  fit.L.triangularView<Eigen::Lower>().solveInPlace(Linv);
  Eigen::MatrixXd W = Eigen::MatrixXd::Zero(n, n);
  W.selfadjointView<Eigen::Lower>().rankUpdate(Linv.transpose(), -1.0);
  W.selfadjointView<Eigen::Lower>().rankUpdate(fit.alpha, 1.0);
  W = W.selfadjointView<Eigen::Lower>();
  Eigen::VectorXd g(fit.model.kernel.size() + 1);
  g.head(fit.model.kernel.size()) = 0.5 * fit.model.kernel.gradient(fit.X, W);
  g[fit.model.kernel.size()] = 0.5 * std::exp(fit.model.log_noise) * W.trace();
  return g;
}

Prediction predict(const Fit& fit, const Eigen::MatrixXd& Xstar, const Eigen::MatrixXd& basis,
                   Eigen::Index block) {
  const Eigen::Index N = Xstar.rows();
  if (Xstar.cols() != fit.X.cols())
    throw InvalidInput("prediction inputs have " + std::to_string(Xstar.cols()) +
                       " columns, the fit has " + std::to_string(fit.X.cols()));
  if (fit.basis.cols() != basis.cols() || (basis.cols() > 0 && basis.rows() != N))
    throw InvalidInput("prediction mean basis must be " + std::to_string(N) + " x " +
                       std::to_string(fit.basis.cols()));
  return predict(make_predictor(fit, N), Xstar, basis, block);
}

Predictor make_predictor(const Fit& fit, Eigen::Index pool_size) {
  const Eigen::Index n = fit.X.rows();
  Predictor p{fit.model.kernel, fit.X, fit.alpha, fit.beta, fit.y_mean, fit.y_scale, fit.L, false};
  if (pool_size >= 16 * n) {
    p.factor = Eigen::MatrixXd::Identity(n, n);
    fit.L.triangularView<Eigen::Lower>().solveInPlace(p.factor);
    p.inverse = true;
  }
  return p;
}

Prediction predict(const Predictor& p, Eigen::Ref<const Eigen::MatrixXd> Xstar,
                   Eigen::Ref<const Eigen::MatrixXd> basis, Eigen::Index block) {
  const Eigen::Index N = Xstar.rows();
  if (Xstar.cols() != p.X.cols())
    throw InvalidInput("prediction inputs have " + std::to_string(Xstar.cols()) +
                       " columns, the model was fitted on " + std::to_string(p.X.cols()));
  if (basis.cols() != p.beta.size() || (basis.cols() > 0 && basis.rows() != N))
    throw InvalidInput("prediction mean basis must be " + std::to_string(N) + " x " +
                       std::to_string(p.beta.size()));
  if (block < 1) throw InvalidInput("prediction block size must be >= 1");
  Prediction out{Eigen::VectorXd(N), Eigen::VectorXd(N)};
  const Eigen::Index blocks = (N + block - 1) / block;
  std::exception_ptr failure;
  // Each block runs single-threaded inside this loop (Eigen does not nest its own OpenMP threads).
  // Every thread reuses its own buffers: a fresh multi-megabyte matrix per block comes from mmap
  // (or is trimmed back to the OS on free) and its page faults cost more than the arithmetic.
  // Rows (and basis rows) are copied into those buffers, so no result depends on where the
  // caller's matrix begins or on its stride. Eigen also splits a product between threads when
  // this region's team has one thread and nbThreads() says more (OMP_DYNAMIC, nesting), which
  // changes how its sums are blocked: one thread for whatever runs inside each thread here.
#pragma omp parallel
  {
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    Eigen::MatrixXd Xb, Hb, V;
#pragma omp for schedule(dynamic)
    for (Eigen::Index b = 0; b < blocks; ++b) {
      try {
        const Eigen::Index start = b * block, len = std::min(block, N - start);
        Xb = Xstar.middleRows(start, len);
        const Eigen::MatrixXd Ks = p.kernel.cross(p.X, Xb);  // n x len
        Eigen::VectorXd mean = Ks.transpose() * p.alpha;
        if (basis.cols() > 0) {
          Hb = basis.middleRows(start, len);
          mean += Hb * p.beta;
        }
        if (p.inverse) {
          V.noalias() = p.factor.triangularView<Eigen::Lower>() * Ks;
        } else {
          V = Ks;
          p.factor.triangularView<Eigen::Lower>().solveInPlace(V);
        }
        const Eigen::VectorXd var =
            (p.kernel.diag(Xb) - V.colwise().squaredNorm().transpose()).cwiseMax(0.0);
        out.mean.segment(start, len) = mean.array() * p.y_scale + p.y_mean;
        out.variance.segment(start, len) = var * (p.y_scale * p.y_scale);
      } catch (...) {
#pragma omp critical(ionscreen_predict_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  return out;
}

Prediction leave_one_out(const Fit& fit) {
  // With a mean basis, beta is integrated out under its Gaussian prior (sd 10): the targets are
  // then a zero-mean GP with covariance K + H H^T / ridge (Rasmussen & Williams sec. 2.7), and
  // the closed form below is exact. Holding beta at its all-data estimate instead would let each
  // left-out point back in through beta and flatter the basis.
  const Eigen::Index n = fit.X.rows();
  Eigen::MatrixXd L = fit.L;
  Eigen::VectorXd alpha = fit.alpha;
  if (fit.basis.cols() > 0) {
    Eigen::MatrixXd K = fit.L * fit.L.transpose();
    K.noalias() += fit.basis * fit.basis.transpose() / kBasisRidge;
    jittered_cholesky(K, L, "covariance with the mean basis");
    alpha = L.transpose().triangularView<Eigen::Upper>().solve(
        L.triangularView<Eigen::Lower>().solve(fit.y));
  }
  Eigen::MatrixXd Linv = Eigen::MatrixXd::Identity(n, n);
  L.triangularView<Eigen::Lower>().solveInPlace(Linv);
  const Eigen::VectorXd kinv_diag = Linv.colwise().squaredNorm().transpose();
  Prediction loo{Eigen::VectorXd(n), Eigen::VectorXd(n)};
  loo.mean = (fit.y.array() - alpha.array() / kinv_diag.array()) * fit.y_scale + fit.y_mean;
  loo.variance = kinv_diag.cwiseInverse() * (fit.y_scale * fit.y_scale);
  return loo;
}

}  // namespace ionscreen::gp
