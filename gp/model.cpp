#include "gp/model.hpp"

#include <cmath>

#include "gp/error.hpp"

namespace ionscreen::gp {

std::vector<ParameterInfo> Model::parameters() const {
  std::vector<ParameterInfo> p = kernel.parameters();
  p.push_back({kNoiseName, std::log(1e-10), std::log(1.0), std::log(1e-6), std::log(1e-2)});
  return p;
}

Eigen::VectorXd Model::theta() const {
  Eigen::VectorXd t(kernel.size() + 1);
  t.head(kernel.size()) = kernel.theta();
  t[kernel.size()] = log_noise;
  return t;
}

void Model::set_theta(const Eigen::VectorXd& theta) {
  if (theta.size() != kernel.size() + 1)
    throw InvalidInput("model has " + std::to_string(kernel.size() + 1) + " hyperparameters, got " +
                       std::to_string(theta.size()));
  kernel.set_theta(theta.head(kernel.size()));
  if (!std::isfinite(theta[kernel.size()])) throw InvalidInput("non-finite noise variance");
  log_noise = theta[kernel.size()];
}

void Model::set(const std::string& name, double value) {
  if (!std::isfinite(value))
    throw InvalidInput("hyperparameter " + name + ": non-finite value " + std::to_string(value));
  if (name == kNoiseName) {
    log_noise = value;
    return;
  }
  Eigen::VectorXd t = kernel.theta();
  t[kernel.index_of(name)] = value;
  kernel.set_theta(t);
}

double Model::get(const std::string& name) const {
  if (name == kNoiseName) return log_noise;
  return kernel.theta()[kernel.index_of(name)];
}

void Model::validate() const {
  for (const auto& [name, prior] : priors) (void)get(name);
  for (const auto& name : fixed) (void)get(name);
}

NamedValues named_theta(const Model& model) {
  NamedValues out;
  const auto info = model.parameters();
  const Eigen::VectorXd t = model.theta();
  for (std::size_t i = 0; i < info.size(); ++i) out.emplace_back(info[i].name, t[i]);
  return out;
}

int assign_matching(Model& model, const NamedValues& values) {
  const auto info = model.parameters();
  Eigen::VectorXd t = model.theta();
  int count = 0;
  for (const auto& [name, value] : values)
    for (std::size_t i = 0; i < info.size(); ++i)
      if (info[i].name == name) {
        t[i] = value;
        ++count;
      }
  model.set_theta(t);
  return count;
}

}  // namespace ionscreen::gp
