#include "gp/acquisition.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "gp/error.hpp"

namespace ionscreen::gp {
namespace {

struct Named {
  AcquisitionKind kind;
  const char* name;
};
constexpr Named kNames[] = {{AcquisitionKind::ei, "ei"},
                            {AcquisitionKind::pi, "pi"},
                            {AcquisitionKind::lcb, "lcb"},
                            {AcquisitionKind::thompson, "thompson"},
                            {AcquisitionKind::straddle, "straddle"},
                            {AcquisitionKind::lse, "lse"}};

}  // namespace

AcquisitionKind parse_acquisition(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.kind;
  throw InvalidInput("unknown acquisition '" + name +
                     "'; known: ei, pi, lcb, thompson, straddle, lse");
}

std::string to_string(AcquisitionKind kind) {
  for (const auto& n : kNames)
    if (kind == n.kind) return n.name;
  return "?";
}

bool is_threshold_search(AcquisitionKind kind) {
  return kind == AcquisitionKind::straddle || kind == AcquisitionKind::lse;
}

double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

double normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) throw InvalidInput("normal_quantile: p must be in (0, 1)");
  double lo = -40.0, hi = 40.0;  // bisection to full double precision: called rarely
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Scorer::Scorer(const AcquisitionConfig& config, std::size_t candidates) : config_(config) {
  if (!(config.delta > 0.0 && config.delta < 1.0))
    throw InvalidInput("acquisition delta must be in (0, 1), got " + std::to_string(config.delta));
  if (!(config.kappa >= 0.0) || !std::isfinite(config.kappa))
    throw InvalidInput("acquisition kappa must be >= 0, got " + std::to_string(config.kappa));
  if (!std::isfinite(config.xi) || !std::isfinite(config.threshold))
    throw InvalidInput("acquisition xi and threshold must be finite");
  if (candidates < 1) throw InvalidInput("Scorer: candidates must be >= 1");
  z_ = normal_quantile(1.0 - config.delta / (2.0 * static_cast<double>(candidates)));
}

double Scorer::operator()(double mean, double sd, double best) const {
  const AcquisitionConfig& config = config_;
  switch (config.kind) {
    case AcquisitionKind::ei: {
      const double gain = best - config.xi - mean;
      if (sd <= 0.0) return std::max(gain, 0.0);
      const double z = gain / sd;
      return gain * normal_cdf(z) + sd * normal_pdf(z);
    }
    case AcquisitionKind::pi: {
      const double gain = best - config.xi - mean;
      if (sd <= 0.0) return gain > 0.0 ? 1.0 : 0.0;
      return normal_cdf(gain / sd);
    }
    case AcquisitionKind::lcb:
      return -(mean - config.kappa * sd);
    case AcquisitionKind::straddle:
      return 1.96 * sd - std::abs(mean - config.threshold);
    case AcquisitionKind::lse: {
      const double upper = mean + z_ * sd, lower = mean - z_ * sd;
      if (upper < config.threshold || lower > config.threshold)
        return -std::numeric_limits<double>::infinity();
      return std::min(upper - config.threshold, config.threshold - lower);
    }
    case AcquisitionKind::thompson:
      break;
  }
  throw InvalidInput("score(): thompson sampling has no per-candidate score");
}

Label Scorer::classify(double mean, double sd) const {
  if (mean + z_ * sd < config_.threshold) return Label::below;
  if (mean - z_ * sd > config_.threshold) return Label::above;
  return Label::undecided;
}

}  // namespace ionscreen::gp
