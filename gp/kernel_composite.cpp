// Sums, products and column subsets of kernels.
#include <numeric>

#include "gp/kernel_nodes.hpp"

namespace ionscreen::gp::nodes {
namespace {

/// Shared bookkeeping of nodes with children: parameters are the children's, concatenated.
class Composite : public KernelNode {
 public:
  explicit Composite(std::vector<NodePtr> children) : children_(std::move(children)) {}
  Composite(const Composite& other) : KernelNode(other) {
    for (const auto& c : other.children_) children_.push_back(c->clone());
  }
  int size() const override {
    return std::accumulate(children_.begin(), children_.end(), 0,
                           [](int n, const NodePtr& c) { return n + c->size(); });
  }
  void get(double* theta) const override {
    for (const auto& c : children_) {
      c->get(theta);
      theta += c->size();
    }
  }
  void set(const double* theta) override {
    for (auto& c : children_) {
      c->set(theta);
      theta += c->size();
    }
  }
  void describe(std::vector<ParameterInfo>& out) const override {
    for (const auto& c : children_) c->describe(out);
  }

 protected:
  std::string joined(const std::string& name) const {
    std::string s = name + "(";
    for (std::size_t i = 0; i < children_.size(); ++i) s += (i ? ", " : "") + children_[i]->spec();
    return s + ")";
  }
  std::vector<NodePtr> children_;
};

class Sum final : public Composite {
 public:
  using Composite::Composite;
  std::unique_ptr<KernelNode> clone() const override { return std::make_unique<Sum>(*this); }
  std::string spec() const override { return joined("sum"); }
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    Eigen::MatrixXd K = children_[0]->cross(A, B);
    for (std::size_t i = 1; i < children_.size(); ++i) K += children_[i]->cross(A, B);
    return K;
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override {
    Eigen::MatrixXd K = children_[0]->gram(X);
    for (std::size_t i = 1; i < children_.size(); ++i) K += children_[i]->gram(X);
    return K;
  }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override {
    Eigen::VectorXd d = children_[0]->diag(X);
    for (std::size_t i = 1; i < children_.size(); ++i) d += children_[i]->diag(X);
    return d;
  }
  void gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, double* out) const override {
    for (const auto& c : children_) {
      c->gradient(X, W, out);
      out += c->size();
    }
  }
};

class Product final : public Composite {
 public:
  using Composite::Composite;
  std::unique_ptr<KernelNode> clone() const override { return std::make_unique<Product>(*this); }
  std::string spec() const override { return joined("prod"); }
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    Eigen::MatrixXd K = children_[0]->cross(A, B);
    for (std::size_t i = 1; i < children_.size(); ++i)
      K.array() *= children_[i]->cross(A, B).array();
    return K;
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override {
    Eigen::MatrixXd K = children_[0]->gram(X);
    for (std::size_t i = 1; i < children_.size(); ++i) K.array() *= children_[i]->gram(X).array();
    return K;
  }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override {
    Eigen::VectorXd d = children_[0]->diag(X);
    for (std::size_t i = 1; i < children_.size(); ++i) d.array() *= children_[i]->diag(X).array();
    return d;
  }
  /// d(prod_j K_j) = dK_i * prod_{j != i} K_j, so child i sees W * prod_{j != i} K_j.
  void gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, double* out) const override {
    std::vector<Eigen::MatrixXd> grams;
    for (const auto& c : children_) grams.push_back(c->gram(X));
    for (std::size_t i = 0; i < children_.size(); ++i) {
      Eigen::MatrixXd Wi = W;
      for (std::size_t j = 0; j < children_.size(); ++j)
        if (j != i) Wi.array() *= grams[j].array();
      children_[i]->gradient(X, Wi, out);
      out += children_[i]->size();
    }
  }
};

class ColumnSubset final : public KernelNode {
 public:
  ColumnSubset(std::vector<int> columns, std::string groups_text, NodePtr child)
      : columns_(std::move(columns)),
        groups_text_(std::move(groups_text)),
        child_(std::move(child)) {}
  ColumnSubset(const ColumnSubset& other)
      : KernelNode(other),
        columns_(other.columns_),
        groups_text_(other.groups_text_),
        child_(other.child_->clone()) {}
  std::unique_ptr<KernelNode> clone() const override {
    return std::make_unique<ColumnSubset>(*this);
  }
  std::string spec() const override { return child_->spec() + groups_text_; }
  int size() const override { return child_->size(); }
  void get(double* theta) const override { child_->get(theta); }
  void set(const double* theta) override { child_->set(theta); }
  void describe(std::vector<ParameterInfo>& out) const override { child_->describe(out); }
  Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) const override {
    return child_->cross(A(Eigen::all, columns_), B(Eigen::all, columns_));
  }
  Eigen::MatrixXd gram(const Eigen::MatrixXd& X) const override {
    return child_->gram(X(Eigen::all, columns_));
  }
  Eigen::VectorXd diag(const Eigen::MatrixXd& X) const override {
    return child_->diag(X(Eigen::all, columns_));
  }
  void gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, double* out) const override {
    child_->gradient(X(Eigen::all, columns_), W, out);
  }

 private:
  std::vector<int> columns_;
  std::string groups_text_;
  NodePtr child_;
};

}  // namespace

NodePtr sum(std::vector<NodePtr> terms) { return std::make_unique<Sum>(std::move(terms)); }
NodePtr product(std::vector<NodePtr> factors) {
  return std::make_unique<Product>(std::move(factors));
}
NodePtr column_subset(std::vector<int> columns, std::string groups_text, NodePtr child) {
  return std::make_unique<ColumnSubset>(std::move(columns), std::move(groups_text),
                                        std::move(child));
}

}  // namespace ionscreen::gp::nodes
