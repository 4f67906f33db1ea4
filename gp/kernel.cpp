#include "gp/kernel.hpp"

#include <map>

#include "gp/error.hpp"

namespace ionscreen::gp {

ColumnGroups ColumnGroups::all(int num_features) {
  ColumnGroups g;
  g.num_features = num_features;
  for (int c = 0; c < num_features; ++c) g.default_columns.push_back(c);
  return g;
}

const std::vector<int>& ColumnGroups::find(const std::string& name) const {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return columns[i];
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw InvalidInput("unknown column group '" + name +
                     "'; known groups: " + (known.empty() ? "(none)" : known));
}

void ColumnGroups::add(const std::string& name, std::vector<int> cols) {
  if (cols.empty()) throw InvalidInput("column group '" + name + "' has no columns");
  for (const auto& n : names)
    if (n == name) throw InvalidInput("column group '" + name + "' is defined twice");
  for (int c : cols)
    if (c < 0 || c >= num_features)
      throw InvalidInput("column group '" + name + "' names column " + std::to_string(c) +
                         " outside 0.." + std::to_string(num_features - 1));
  names.push_back(name);
  columns.push_back(std::move(cols));
}

Kernel::Kernel(std::unique_ptr<KernelNode> root, int num_features)
    : root_(std::move(root)), num_features_(num_features) {
  root_->describe(info_);
  // The same leaf spec twice ("sum(se[A], se[A])") gets "#2" on its label: "se[A]#2.variance".
  std::map<std::string, int> seen;
  for (auto& p : info_) {
    const int count = ++seen[p.name];
    if (count > 1) {
      std::string tag = "#";  // built in two steps: "#" + to_string() trips GCC 12's -Wrestrict
      tag += std::to_string(count);
      p.name.insert(p.name.find('.'), tag);
    }
  }
}

Kernel::Kernel(const Kernel& other)
    : root_(other.root_->clone()), num_features_(other.num_features_), info_(other.info_) {}

Kernel& Kernel::operator=(const Kernel& other) {
  if (this != &other) *this = Kernel(other);
  return *this;
}

Eigen::VectorXd Kernel::theta() const {
  Eigen::VectorXd t(size());
  root_->get(t.data());
  return t;
}

void Kernel::set_theta(const Eigen::VectorXd& theta) {
  if (theta.size() != size())
    throw InvalidInput("kernel " + spec() + " has " + std::to_string(size()) +
                       " hyperparameters, got " + std::to_string(theta.size()));
  if (!theta.allFinite()) throw InvalidInput("kernel " + spec() + ": non-finite hyperparameter");
  root_->set(theta.data());
}

int Kernel::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < info_.size(); ++i)
    if (info_[i].name == name) return static_cast<int>(i);
  std::string known;
  for (const auto& p : info_) known += (known.empty() ? "" : ", ") + p.name;
  throw InvalidInput("kernel " + spec() + " has no hyperparameter '" + name +
                     "'; it has: " + known);
}

void Kernel::check_columns(const Eigen::MatrixXd& X) const {
  if (X.cols() != num_features_)
    throw InvalidInput("kernel " + spec() + " expects " + std::to_string(num_features_) +
                       " feature columns, got " + std::to_string(X.cols()));
}

Eigen::MatrixXd Kernel::cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const {
  check_columns(A);
  check_columns(B);
  return root_->cross(A, B);
}

Eigen::MatrixXd Kernel::gram(const Eigen::MatrixXd& X) const {
  check_columns(X);
  return root_->gram(X);
}

Eigen::VectorXd Kernel::diag(const Eigen::MatrixXd& X) const {
  check_columns(X);
  return root_->diag(X);
}

Eigen::VectorXd Kernel::gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W) const {
  check_columns(X);
  if (W.rows() != X.rows() || W.cols() != X.rows())
    throw InvalidInput("kernel gradient: weight matrix must be n x n for n points");
  Eigen::VectorXd g = Eigen::VectorXd::Zero(size());
  root_->gradient(X, W, g.data());
  return g;
}

}  // namespace ionscreen::gp
