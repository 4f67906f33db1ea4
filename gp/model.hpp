#pragma once
/// A GP model specification: kernel hyperparameters, Gaussian noise, priors, fixed parameters.
/// It is kept apart from a fit (gp::Fit), which is the model conditioned on data.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gp/kernel.hpp"
#include "gp/prior.hpp"

namespace ionscreen::gp {

struct Model {
  explicit Model(Kernel k) : kernel(std::move(k)) {}

  Kernel kernel;
  /// log of the Gaussian noise variance, in units of the standardised targets.
  double log_noise = -9.21034037197618;  // log(1e-4)
  /// Standardise targets to mean 0, standard deviation 1 (population sd; 1 if all equal).
  bool standardize = true;
  /// Priors by hyperparameter name ("se[M].length_scale[2]", "noise.variance").
  std::map<std::string, Prior> priors;
  /// Hyperparameters held at their current value during fitting.
  std::set<std::string> fixed;

  static constexpr const char* kNoiseName = "noise.variance";

  /// Kernel hyperparameters followed by the noise variance.
  std::vector<ParameterInfo> parameters() const;
  Eigen::VectorXd theta() const;
  void set_theta(const Eigen::VectorXd& theta);
  /// Set one hyperparameter (log value) by name; throws listing the names.
  void set(const std::string& name, double theta);
  double get(const std::string& name) const;
  /// Check that every prior and fixed name exists.
  void validate() const;
};

/// Named log-space hyperparameter values, as stored in checkpoints and passed between tasks.
using NamedValues = std::vector<std::pair<std::string, double>>;
NamedValues named_theta(const Model& model);
/// Set every hyperparameter of `model` that `values` names; names it does not have are ignored
/// (a source task may have a different kernel). Returns how many were set.
int assign_matching(Model& model, const NamedValues& values);

}  // namespace ionscreen::gp
