// Finite-difference checks of analytic gradients: Kernel::gradient for every leaf and for
// composites, gp::log_likelihood_gradient (with and without a mean basis) and gp::log_posterior
// with log-normal and gamma priors.
//
// Central differences in theta with h = 1e-5. A gradient entry g passes against the difference
// quotient d when |g - d| <= 1e-6 |d| + floor, where the floor scales with the magnitude of the
// differentiated quantity (its rounding error divided by h is the noise of d).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "gp/error.hpp"
#include "gp/hyperfit.hpp"
#include "gp/regression.hpp"
#include "test_helpers.hpp"

namespace gp = ionscreen::gp;
using ionscreen::gp::testing::test_groups;

namespace {

constexpr double kStep = 1e-5;
constexpr double kRelTol = 1e-6;

Eigen::MatrixXd test_inputs(int n, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd X(n, 5);
  for (int i = 0; i < n; ++i) {
    X(i, 0) = (i % 3 == 0) ? 1.0 : 0.0;
    for (int j = 1; j < 5; ++j) X(i, j) = (j == 4 ? 2.0 : 1.0) * u(rng);
  }
  return X;
}

Eigen::VectorXd uniform_vector(Eigen::Index n, double lo, double hi, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(lo, hi);
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = u(rng);
  return v;
}

Eigen::MatrixXd symmetric_weights(Eigen::Index n, std::mt19937& rng) {
  std::normal_distribution<double> z(0.0, 1.0);
  Eigen::MatrixXd W(n, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i <= j; ++i) W(i, j) = W(j, i) = z(rng);
  return W;
}

/// |analytic - numeric| as a fraction of the allowed error (passes when <= 1).
double tolerance_ratio(double analytic, double numeric, double floor) {
  return std::abs(analytic - numeric) / (kRelTol * std::abs(numeric) + floor);
}

/// Checks every component of `analytic` against central differences of f(theta).
template <class F>
void check_gradient(const Eigen::VectorXd& analytic, const Eigen::VectorXd& theta, F f,
                    double floor, const std::vector<gp::ParameterInfo>& info) {
  REQUIRE(analytic.size() == theta.size());
  double worst = 0.0;
  for (Eigen::Index k = 0; k < theta.size(); ++k) {
    Eigen::VectorXd up = theta, down = theta;
    up[k] += kStep;
    down[k] -= kStep;
    const double numeric = (f(up) - f(down)) / (2.0 * kStep);
    INFO("parameter " << info[static_cast<std::size_t>(k)].name << ": analytic " << analytic[k]
                      << ", finite difference " << numeric);
    const double ratio = tolerance_ratio(analytic[k], numeric, floor);
    worst = std::max(worst, ratio);
    CHECK(ratio <= 1.0);
  }
  WARN("worst finite-difference error: " << worst << " of the tolerance");
}

/// Log likelihood of `model` (theta replaced) conditioned on the data; requires no jitter, since
/// a jitter switching on between the two evaluations would corrupt the difference quotient.
double log_likelihood_at(gp::Model model, const Eigen::VectorXd& theta, const Eigen::MatrixXd& X,
                         const Eigen::VectorXd& y, const Eigen::MatrixXd& H) {
  model.set_theta(theta);
  const gp::Fit fit = gp::condition(model, X, y, H);
  REQUIRE(fit.jitter == 0.0);
  return fit.log_likelihood;
}

double log_posterior_at(gp::Model model, const Eigen::VectorXd& theta, const Eigen::MatrixXd& X,
                        const Eigen::VectorXd& y, const Eigen::MatrixXd& H) {
  model.set_theta(theta);
  return gp::log_posterior(model, X, y, H).value;
}

/// Independent log prior densities on theta = log(value) (with the Jacobian of exp).
double lognormal_log_density(double theta, double mu, double sigma) {
  const double z = (theta - mu) / sigma;
  return -0.5 * z * z - std::log(sigma * std::sqrt(2.0 * std::numbers::pi));
}
double gamma_log_density(double theta, double shape, double rate) {
  const double v = std::exp(theta);
  const double log_pdf_value =
      shape * std::log(rate) - std::lgamma(shape) + (shape - 1.0) * std::log(v) - rate * v;
  return log_pdf_value + theta;  // p(theta) = p(v) dv/dtheta, dv/dtheta = v
}

/// Targets with structure in every column and an offset, so standardisation matters.
Eigen::VectorXd test_targets(const Eigen::MatrixXd& X) {
  Eigen::VectorXd y(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    y[i] = 3.0 + std::sin(4.0 * X(i, 1)) + X(i, 2) * X(i, 3) - 0.5 * X(i, 4) + 0.7 * X(i, 0);
  return y;
}

}  // namespace

TEST_CASE("Kernel::gradient matches finite differences of sum(W .* gram)", "[gradient][unit]") {
  const std::string spec =
      GENERATE(as<std::string>{},
               // every leaf, on all columns and on column subsets
               "se", "matern52", "const", "linear", "white", "coreg[task]", "se[A]", "matern52[C]",
               "const[B]", "linear[C]", "white[A]", "se[A,B]",
               // composites
               "sum(se, white)", "sum(se[A], matern52[B], const, linear, white)",
               "prod(se, matern52)", "prod(se[A], linear[B], const)", "prod(se, white)",
               "sum(se[A], se[A])", "sum(prod(se[A], matern52[B]), prod(const, linear[C]), white)",
               "prod(sum(se[A], const), sum(matern52[B], linear))", "prod(coreg[task], se[C])",
               "prod(coreg[task], sum(se[A], matern52[B]))",
               "sum(prod(coreg[task], matern52[C]), white, prod(const, sum(se[B], linear[A])))");
  INFO("spec " << spec);
  std::mt19937 rng(12345);
  const Eigen::MatrixXd X = test_inputs(14, rng);
  gp::Kernel kernel = gp::parse_kernel(spec, test_groups());
  const Eigen::VectorXd theta = uniform_vector(kernel.size(), -0.8, 0.8, rng);
  kernel.set_theta(theta);
  const Eigen::MatrixXd W = symmetric_weights(X.rows(), rng);

  const Eigen::MatrixXd K = kernel.gram(X);
  // gram is symmetric and its diagonal is diag(X).
  const double kmax = K.cwiseAbs().maxCoeff();
  REQUIRE(kmax > 0.0);
  CHECK((K - K.transpose()).cwiseAbs().maxCoeff() <= 1e-14 * kmax);
  CHECK((K.diagonal() - kernel.diag(X)).cwiseAbs().maxCoeff() <= 1e-13 * kmax);

  const auto contracted = [&](const Eigen::VectorXd& t) {
    gp::Kernel k = kernel;
    k.set_theta(t);
    return (W.array() * k.gram(X).array()).sum();
  };
  const double scale = (W.array().abs() * K.array().abs()).sum();
  const Eigen::VectorXd g = kernel.gradient(X, W);
  REQUIRE(g.size() == kernel.size());
  check_gradient(g, theta, contracted, 1e-9 * scale, kernel.parameters());
}

TEST_CASE("coreg kernel values follow B[t,t'] k(x,x')", "[gradient][unit]") {
  // Independent check of the values the gradients above are differentiated from.
  std::mt19937 rng(7);
  const Eigen::MatrixXd X = test_inputs(9, rng);
  gp::Kernel kernel = gp::parse_kernel("prod(coreg[task], se[A])", test_groups());
  REQUIRE(kernel.size() == 5);
  const double log_s = 0.4, z = -0.6, log_v = 0.3, log_l0 = -0.5, log_l1 = 0.2;
  Eigen::VectorXd theta(5);
  theta << log_s, z, log_v, log_l0, log_l1;
  kernel.set_theta(theta);
  const double s = std::exp(log_s), rho = std::tanh(z);
  const Eigen::MatrixXd K = kernel.gram(X);
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < X.rows(); ++j) {
      const int ti = static_cast<int>(X(i, 0)), tj = static_cast<int>(X(j, 0));
      const double b = (ti == 0 && tj == 0) ? s * s : (ti == 1 && tj == 1) ? 1.0 : rho * s;
      const double d0 = (X(i, 1) - X(j, 1)) / std::exp(log_l0);
      const double d1 = (X(i, 2) - X(j, 2)) / std::exp(log_l1);
      const double expected = b * std::exp(log_v) * std::exp(-0.5 * (d0 * d0 + d1 * d1));
      INFO("i " << i << " j " << j);
      CHECK(K(i, j) == Approx(expected).epsilon(1e-13));
    }
  Eigen::MatrixXd bad = X;
  bad(2, 0) = 0.5;
  CHECK_THROWS_AS(kernel.gram(bad), gp::InvalidInput);
}

TEST_CASE("log_likelihood_gradient matches finite differences", "[gradient][unit]") {
  struct Case {
    std::string spec;
    bool standardize;
    int basis_columns;  // 0 or 2
  };
  const Case c = GENERATE(Case{"sum(se[A], matern52[B], const, linear, white)", true, 0},
                          Case{"prod(coreg[task], sum(se[A], matern52[B]))", false, 0},
                          Case{"prod(coreg[task], sum(se[A], matern52[B]))", false, 2},
                          Case{"sum(se, linear[C])", true, 2});
  INFO("spec " << c.spec << ", standardize " << c.standardize << ", basis columns "
               << c.basis_columns);
  std::mt19937 rng(2024);
  const Eigen::MatrixXd X = test_inputs(16, rng);
  const Eigen::VectorXd y = test_targets(X);
  Eigen::MatrixXd H;
  if (c.basis_columns == 2) {
    H.resize(X.rows(), 2);
    H.col(0).setOnes();
    H.col(1) = X.col(1).array().square();
  }
  gp::Model model(gp::parse_kernel(c.spec, test_groups()));
  model.standardize = c.standardize;
  Eigen::VectorXd theta = uniform_vector(model.kernel.size() + 1, -0.6, 0.6, rng);
  theta[theta.size() - 1] = std::log(0.03);  // noise
  model.set_theta(theta);

  const gp::Fit fit = gp::condition(model, X, y, H);
  REQUIRE(fit.jitter == 0.0);
  REQUIRE(fit.beta.size() == c.basis_columns);
  const Eigen::VectorXd g = gp::log_likelihood_gradient(fit);
  REQUIRE(g.size() == theta.size());
  const double floor = 1e-7 * (1.0 + std::abs(fit.log_likelihood));
  check_gradient(
      g, theta, [&](const Eigen::VectorXd& t) { return log_likelihood_at(model, t, X, y, H); },
      floor, model.parameters());
}

TEST_CASE("log_posterior adds priors and its gradient matches finite differences",
          "[gradient][unit]") {
  const int basis_columns = GENERATE(0, 2);
  INFO("basis columns " << basis_columns);
  std::mt19937 rng(99);
  const Eigen::MatrixXd X = test_inputs(15, rng);
  const Eigen::VectorXd y = test_targets(X);
  Eigen::MatrixXd H;
  if (basis_columns == 2) {
    H.resize(X.rows(), 2);
    H.col(0).setOnes();
    H.col(1) = X.col(3);
  }
  gp::Model model(gp::parse_kernel("prod(coreg[task], sum(se[A], matern52[B]))", test_groups()));
  Eigen::VectorXd theta = uniform_vector(model.kernel.size() + 1, -0.6, 0.6, rng);
  theta[theta.size() - 1] = std::log(0.02);
  model.set_theta(theta);

  // Without priors the posterior is the likelihood.
  const gp::Fit fit = gp::condition(model, X, y, H);
  REQUIRE(fit.jitter == 0.0);
  const gp::Objective plain = gp::log_posterior(model, X, y, H);
  CHECK(plain.value == Approx(fit.log_likelihood).epsilon(1e-14));
  CHECK((plain.gradient - gp::log_likelihood_gradient(fit)).cwiseAbs().maxCoeff() <= 1e-12);

  model.priors["se[A].variance"] = gp::LogNormalPrior{0.3, 0.7};
  model.priors["matern52[B].length_scale[1]"] = gp::GammaPrior{2.5, 1.5};
  model.priors["coreg[task].source_scale"] = gp::LogNormalPrior{-0.2, 0.4};
  model.priors["noise.variance"] = gp::GammaPrior{1.2, 20.0};
  model.validate();
  const gp::Objective obj = gp::log_posterior(model, X, y, H);

  const double expected = fit.log_likelihood +
                          lognormal_log_density(model.get("se[A].variance"), 0.3, 0.7) +
                          gamma_log_density(model.get("matern52[B].length_scale[1]"), 2.5, 1.5) +
                          lognormal_log_density(model.get("coreg[task].source_scale"), -0.2, 0.4) +
                          gamma_log_density(model.get("noise.variance"), 1.2, 20.0);
  CHECK(obj.value == Approx(expected).epsilon(1e-12));

  REQUIRE(obj.gradient.size() == theta.size());
  const double floor = 1e-7 * (1.0 + std::abs(obj.value));
  check_gradient(
      obj.gradient, theta,
      [&](const Eigen::VectorXd& t) { return log_posterior_at(model, t, X, y, H); }, floor,
      model.parameters());
}
