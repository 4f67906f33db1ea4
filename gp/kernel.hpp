#pragma once
/// Covariance functions. A kernel is a tree of nodes (leaves, sums, products, column subsets) held
/// by value in `Kernel`. Every hyperparameter is stored as theta = log(value) (except the task
/// correlation, stored as atanh(rho)) and has a stable name derived from the spec string, e.g.
/// "se[M].length_scale[2]", so that checkpoints and transfer priors can refer to it.
#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

namespace ionscreen::gp {

/// Named groups of feature columns ("A", "M", "X", "Z", "structure", "task").
struct ColumnGroups {
  int num_features = 0;              ///< columns of the feature matrix
  std::vector<int> default_columns;  ///< columns an unsubscripted leaf sees (all descriptors)
  std::vector<std::string> names;
  std::vector<std::vector<int>> columns;

  /// All columns 0..n-1, no named groups.
  static ColumnGroups all(int num_features);
  /// Columns of a group; throws InvalidInput listing the known groups.
  const std::vector<int>& find(const std::string& name) const;
  void add(const std::string& name, std::vector<int> cols);
};

/// One hyperparameter: stable name and box bounds on theta; `typical_*` bound restart draws.
struct ParameterInfo {
  std::string name;
  double lower, upper;
  double typical_lower, typical_upper;
};

/// A node of the kernel tree. Matrices: rows are points, columns are features.
class KernelNode {
 public:
  virtual ~KernelNode() = default;
  virtual std::unique_ptr<KernelNode> clone() const = 0;
  /// Canonical spec string of this subtree.
  virtual std::string spec() const = 0;
  /// Number of hyperparameters in this subtree.
  virtual int size() const = 0;
  virtual void get(double* theta) const = 0;
  virtual void set(const double* theta) = 0;
  virtual void describe(std::vector<ParameterInfo>& out) const = 0;
  /// k(A_i, B_j) for two different point sets (a white-noise term contributes nothing).
  virtual Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const = 0;
  /// k(X_i, X_j) for the training set (white noise on the diagonal).
  virtual Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const = 0;
  /// diag of gram(X) without forming it.
  virtual Eigen::VectorXd diag(const Eigen::MatrixXd& X) const = 0;
  /// out[k] = sum_ij W_ij d gram(X)_ij / d theta_k, for a symmetric W. This contraction is all
  /// the log-marginal-likelihood gradient needs, and never forms one n x n matrix per parameter.
  virtual void gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, double* out) const = 0;
};

/// A kernel by value: copying copies the tree.
class Kernel {
 public:
  Kernel(std::unique_ptr<KernelNode> root, int num_features);
  Kernel(const Kernel& other);
  Kernel& operator=(const Kernel& other);
  Kernel(Kernel&&) noexcept = default;
  Kernel& operator=(Kernel&&) noexcept = default;
  ~Kernel() = default;

  std::string spec() const { return root_->spec(); }
  int num_features() const { return num_features_; }
  int size() const { return static_cast<int>(info_.size()); }
  /// Hyperparameters with unique names, in theta order.
  const std::vector<ParameterInfo>& parameters() const { return info_; }
  Eigen::VectorXd theta() const;
  void set_theta(const Eigen::VectorXd& theta);
  /// Index of a named hyperparameter; throws InvalidInput listing the names.
  int index_of(const std::string& name) const;

  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const;
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const;
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const;
  Eigen::VectorXd gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W) const;

 private:
  void check_columns(const Eigen::MatrixXd& X) const;
  std::unique_ptr<KernelNode> root_;
  int num_features_;
  std::vector<ParameterInfo> info_;
};

/// Parse a spec such as "sum(se[A], se[M], matern52[X,Z], white)". Grammar:
///   kernel := ("sum" | "prod") "(" kernel ("," kernel)* ")" | leaf ["[" group ("," group)* "]"]
///   leaf   := se | matern52 | const | linear | white | coreg
/// A subscripted leaf acts on the union of the named column groups; an unsubscripted one on the
/// default columns. `coreg[task]` is the two-task coregionalisation kernel on a 0/1 task column.
/// Throws InvalidInput naming the position, the unknown name and the known ones.
Kernel parse_kernel(const std::string& spec, const ColumnGroups& groups);

/// The leaf names parse_kernel knows.
std::vector<std::string> known_kernels();

}  // namespace ionscreen::gp
