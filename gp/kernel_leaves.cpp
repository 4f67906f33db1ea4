// Leaf covariance functions with analytic gradients in theta = log(hyperparameter).
#include <algorithm>
#include <cmath>

#include "gp/error.hpp"
#include "gp/kernel_nodes.hpp"

namespace ionscreen::gp::nodes {
namespace {

constexpr double kSqrt5 = 2.2360679774997896964;

ParameterInfo variance_info(const std::string& name) {
  return {name, std::log(1e-6), std::log(1e4), std::log(0.1), std::log(10.0)};
}

/// Stationary ARD kernels k = variance * f(r^2), r^2 = sum_k ((x_k - x'_k) / l_k)^2.
/// Derived classes give f and g, where d k / d log l_k = g(r^2) * (x_k - x'_k)^2 / l_k^2.
class ArdStationary : public KernelNode {
 public:
  ArdStationary(std::string label, int dim)
      : label_(std::move(label)), theta_(Eigen::VectorXd::Zero(dim + 1)) {}

  int size() const override { return static_cast<int>(theta_.size()); }
  void get(double* theta) const override { Eigen::Map<Eigen::VectorXd>(theta, size()) = theta_; }
  void set(const double* theta) override {
    theta_ = Eigen::Map<const Eigen::VectorXd>(theta, size());
  }
  void describe(std::vector<ParameterInfo>& out) const override {
    out.push_back(variance_info(label_ + ".variance"));
    for (int k = 0; k + 1 < size(); ++k)
      out.push_back({label_ + ".length_scale[" + std::to_string(k) + "]", std::log(1e-3),
                     std::log(1e4), std::log(0.3), std::log(10.0)});
  }

  /// Prediction calls this once per block of candidates (n x block values), so it makes a single
  /// n x m allocation, the result: fresh multi-megabyte temporaries are handed back to the OS on
  /// free and page-faulted in again on every call, which costs more than the arithmetic. values()
  /// returns a new array, so it is applied a few columns at a time (small, cache-resident copies).
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    Eigen::MatrixXd K = squared_distances<Eigen::MatrixXd>(scaled(A), scaled(B));
    // Columns per call of values(): about 8192 values (64 KB), well inside the L2 cache.
    const Eigen::Index rows = std::max<Eigen::Index>(1, A.rows());
    const Eigen::Index chunk = std::max<Eigen::Index>(1, 8192 / rows);
    for (Eigen::Index j = 0; j < K.cols(); j += chunk) {
      const Eigen::Index width = std::min(chunk, K.cols() - j);
      K.middleCols(j, width).array() = values(K.middleCols(j, width).array());
    }
    return K;
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override {
    const Eigen::MatrixXd S = scaled(X);
    Eigen::ArrayXXd r2 = squared_distances<Eigen::ArrayXXd>(S, S);
    r2.matrix().diagonal().setZero();
    return values(r2).matrix();
  }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override {
    return Eigen::VectorXd::Constant(X.rows(), variance() * profile_at_zero());
  }
  void gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, double* out) const override {
    const Eigen::MatrixXd S = scaled(X);
    Eigen::ArrayXXd r2 = squared_distances<Eigen::ArrayXXd>(S, S);
    r2.matrix().diagonal().setZero();
    const Eigen::ArrayXXd K = values(r2);
    out[0] = (W.array() * K).sum();
    // sum_ij M_ij (s_ik - s_jk)^2 = 2 sum_i s_ik^2 rowsum_i(M) - 2 s_k^T M s_k for symmetric M.
    const Eigen::MatrixXd M = (W.array() * length_factor(r2, K)).matrix();
    const Eigen::VectorXd row_sums = M.rowwise().sum();
    const Eigen::MatrixXd MS = M * S;
    for (Eigen::Index k = 0; k < S.cols(); ++k)
      out[k + 1] =
          2.0 * S.col(k).array().square().matrix().dot(row_sums) - 2.0 * S.col(k).dot(MS.col(k));
  }

 protected:
  double variance() const { return std::exp(theta_[0]); }
  virtual Eigen::ArrayXXd values(const Eigen::ArrayXXd& r2) const = 0;
  virtual Eigen::ArrayXXd length_factor(const Eigen::ArrayXXd& r2,
                                        const Eigen::ArrayXXd& K) const = 0;
  virtual double profile_at_zero() const { return 1.0; }
  std::string label_;

 private:
  Eigen::MatrixXd scaled(const Eigen::MatrixXd& X) const {
    const Eigen::ArrayXd inv_l = (-theta_.tail(theta_.size() - 1)).array().exp();
    return X * inv_l.matrix().asDiagonal();
  }
  /// Squared distances between the rows of A and B as an Eigen::MatrixXd or Eigen::ArrayXXd, built
  /// in place in the returned object (no n x m temporaries; see cross()).
  template <typename Dense>
  static Dense squared_distances(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
    Dense d2(A.rows(), B.rows());
    d2.matrix().noalias() = -2.0 * A * B.transpose();
    d2.array().colwise() += A.rowwise().squaredNorm().array();
    d2.array().rowwise() += B.rowwise().squaredNorm().array().transpose();
    d2.array() = d2.array().max(0.0);  // rounding can make near-equal points slightly negative
    return d2;
  }
  Eigen::VectorXd theta_;
};

class SquaredExponential final : public ArdStationary {
 public:
  using ArdStationary::ArdStationary;
  std::unique_ptr<KernelNode> clone() const override {
    return std::make_unique<SquaredExponential>(*this);
  }
  std::string spec() const override { return "se"; }

 protected:
  Eigen::ArrayXXd values(const Eigen::ArrayXXd& r2) const override {
    return variance() * (-0.5 * r2).exp();
  }
  Eigen::ArrayXXd length_factor(const Eigen::ArrayXXd&, const Eigen::ArrayXXd& K) const override {
    return K;
  }
};

class Matern52 final : public ArdStationary {
 public:
  using ArdStationary::ArdStationary;
  std::unique_ptr<KernelNode> clone() const override { return std::make_unique<Matern52>(*this); }
  std::string spec() const override { return "matern52"; }

 protected:
  Eigen::ArrayXXd values(const Eigen::ArrayXXd& r2) const override {
    const Eigen::ArrayXXd r = r2.sqrt();
    return variance() * (1.0 + kSqrt5 * r + (5.0 / 3.0) * r2) * (-kSqrt5 * r).exp();
  }
  Eigen::ArrayXXd length_factor(const Eigen::ArrayXXd& r2, const Eigen::ArrayXXd&) const override {
    const Eigen::ArrayXXd r = r2.sqrt();
    return (5.0 / 3.0) * variance() * (1.0 + kSqrt5 * r) * (-kSqrt5 * r).exp();
  }
};

/// Leaves with a single log-variance parameter.
class ScaleLeaf : public KernelNode {
 public:
  explicit ScaleLeaf(std::string label) : label_(std::move(label)) {}
  int size() const override { return 1; }
  void get(double* theta) const override { theta[0] = log_variance_; }
  void set(const double* theta) override { log_variance_ = theta[0]; }
  void describe(std::vector<ParameterInfo>& out) const override {
    out.push_back(variance_info(label_ + ".variance"));
  }

 protected:
  double variance() const { return std::exp(log_variance_); }
  std::string label_;
  double log_variance_ = 0.0;
};

class Constant final : public ScaleLeaf {
 public:
  using ScaleLeaf::ScaleLeaf;
  std::unique_ptr<KernelNode> clone() const override { return std::make_unique<Constant>(*this); }
  std::string spec() const override { return "const"; }
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    return Eigen::MatrixXd::Constant(A.rows(), B.rows(), variance());
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override { return cross(X, X); }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override {
    return Eigen::VectorXd::Constant(X.rows(), variance());
  }
  void gradient(const Eigen::MatrixXd&, const Eigen::MatrixXd& W, double* out) const override {
    out[0] = variance() * W.sum();
  }
};

class Linear final : public ScaleLeaf {
 public:
  using ScaleLeaf::ScaleLeaf;
  std::unique_ptr<KernelNode> clone() const override { return std::make_unique<Linear>(*this); }
  std::string spec() const override { return "linear"; }
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    return variance() * A * B.transpose();
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override { return cross(X, X); }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override {
    return variance() * X.rowwise().squaredNorm();
  }
  void gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, double* out) const override {
    out[0] = variance() * (X.transpose() * W * X).trace();
  }
};

/// White noise: variance on the training diagonal only (as scikit-learn's WhiteKernel).
class White final : public ScaleLeaf {
 public:
  using ScaleLeaf::ScaleLeaf;
  std::unique_ptr<KernelNode> clone() const override { return std::make_unique<White>(*this); }
  std::string spec() const override { return "white"; }
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    return Eigen::MatrixXd::Zero(A.rows(), B.rows());
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override {
    return variance() * Eigen::MatrixXd::Identity(X.rows(), X.rows());
  }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override {
    return Eigen::VectorXd::Constant(X.rows(), variance());
  }
  void gradient(const Eigen::MatrixXd&, const Eigen::MatrixXd& W, double* out) const override {
    out[0] = variance() * W.trace();
  }
};

/// Intrinsic coregionalisation over two tasks on a 0/1 task column (0 = source, 1 = target):
/// B = [[s^2, rho s], [rho s, 1]], rho = tanh(z). Multiplied with a descriptor kernel it gives the
/// multi-task GP k((x,t),(x',t')) = B[t,t'] k(x,x'); the target's own scale stays with k.
class Coregionalization final : public KernelNode {
 public:
  explicit Coregionalization(std::string label) : label_(std::move(label)) {}
  std::unique_ptr<KernelNode> clone() const override {
    return std::make_unique<Coregionalization>(*this);
  }
  std::string spec() const override { return "coreg"; }
  int size() const override { return 2; }
  void get(double* theta) const override {
    theta[0] = log_scale_;
    theta[1] = z_;
  }
  void set(const double* theta) override {
    log_scale_ = theta[0];
    z_ = theta[1];
  }
  void describe(std::vector<ParameterInfo>& out) const override {
    out.push_back(
        {label_ + ".source_scale", std::log(1e-2), std::log(1e2), std::log(0.5), std::log(2.0)});
    out.push_back({label_ + ".correlation_atanh", -3.0, 3.0, 0.0, 1.5});
  }
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    const Eigen::VectorXi ta = tasks(A), tb = tasks(B);
    const Eigen::Matrix2d C = coregion();
    Eigen::MatrixXd K(A.rows(), B.rows());
    for (Eigen::Index j = 0; j < K.cols(); ++j)
      for (Eigen::Index i = 0; i < K.rows(); ++i) K(i, j) = C(ta[i], tb[j]);
    return K;
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override { return cross(X, X); }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override {
    const Eigen::VectorXi t = tasks(X);
    const Eigen::Matrix2d C = coregion();
    Eigen::VectorXd d(X.rows());
    for (Eigen::Index i = 0; i < d.size(); ++i) d[i] = C(t[i], t[i]);
    return d;
  }
  void gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, double* out) const override {
    const Eigen::VectorXi t = tasks(X);
    Eigen::Matrix2d S = Eigen::Matrix2d::Zero();  // sums of W over each task pair
    for (Eigen::Index j = 0; j < W.cols(); ++j)
      for (Eigen::Index i = 0; i < W.rows(); ++i) S(t[i], t[j]) += W(i, j);
    const double s = std::exp(log_scale_), rho = std::tanh(z_);
    out[0] = 2.0 * s * s * S(0, 0) + rho * s * (S(0, 1) + S(1, 0));
    out[1] = s * (1.0 - rho * rho) * (S(0, 1) + S(1, 0));
  }

 private:
  Eigen::Matrix2d coregion() const {
    const double s = std::exp(log_scale_), rho = std::tanh(z_);
    Eigen::Matrix2d C;
    C << s * s, rho * s, rho * s, 1.0;
    return C;
  }
  static Eigen::VectorXi tasks(const Eigen::MatrixXd& X) {
    Eigen::VectorXi t(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const double v = X(i, 0);
      if (v != 0.0 && v != 1.0)
        throw InvalidInput("coreg: task column must hold 0 (source) or 1 (target), row " +
                           std::to_string(i) + " holds " + std::to_string(v));
      t[i] = static_cast<int>(v);
    }
    return t;
  }
  std::string label_;
  double log_scale_ = 0.0;
  double z_ = 0.5;
};

}  // namespace

NodePtr squared_exponential(std::string label, int dim) {
  return std::make_unique<SquaredExponential>(std::move(label), dim);
}
NodePtr matern52(std::string label, int dim) {
  return std::make_unique<Matern52>(std::move(label), dim);
}
NodePtr constant(std::string label) { return std::make_unique<Constant>(std::move(label)); }
NodePtr linear(std::string label) { return std::make_unique<Linear>(std::move(label)); }
NodePtr white(std::string label) { return std::make_unique<White>(std::move(label)); }
NodePtr coregionalization(std::string label, int dim) {
  if (dim != 1)
    throw InvalidInput("coreg acts on exactly one task column; '" + label + "' names " +
                       std::to_string(dim) + " columns");
  return std::make_unique<Coregionalization>(std::move(label));
}

}  // namespace ionscreen::gp::nodes
