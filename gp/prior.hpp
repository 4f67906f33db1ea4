#pragma once
/// Priors on hyperparameters. Hyperparameters live in log space (theta = log value); a prior is a
/// density on the positive value, and log_density() returns log p(theta) including the Jacobian of
/// value = exp(theta), so the optimiser can add it to the log marginal likelihood directly.
#include <string>
#include <variant>

namespace ionscreen::gp {

/// value ~ LogNormal(mu, sigma): theta = log value ~ Normal(mu, sigma).
struct LogNormalPrior {
  double mu = 0.0;
  double sigma = 1.0;
};

/// value ~ Gamma(shape, rate) (mean shape / rate).
struct GammaPrior {
  double shape = 2.0;
  double rate = 1.0;
};

using Prior = std::variant<LogNormalPrior, GammaPrior>;

/// log p(theta) and d log p / d theta for theta = log value.
struct PriorTerm {
  double value;
  double derivative;
};
PriorTerm log_density(const Prior& prior, double theta);

/// A draw of theta from the prior (to start optimiser restarts), given a standard normal draw.
double sample_theta(const Prior& prior, double normal_draw);

/// "lognormal(mu, sigma)" / "gamma(shape, rate)": parse, with a clear error on anything else.
Prior parse_prior(const std::string& text);
std::string to_string(const Prior& prior);

}  // namespace ionscreen::gp
