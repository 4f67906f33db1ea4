#include "gp/prior.hpp"

#include <cmath>
#include <numbers>
#include <regex>

#include "gp/error.hpp"
#include "gp/text.hpp"

namespace ionscreen::gp {

PriorTerm log_density(const Prior& prior, double theta) {
  if (const auto* ln = std::get_if<LogNormalPrior>(&prior)) {
    const double z = (theta - ln->mu) / ln->sigma;
    return {-0.5 * z * z - std::log(ln->sigma) - 0.5 * std::log(2.0 * std::numbers::pi),
            -z / ln->sigma};
  }
  const auto& g = std::get<GammaPrior>(prior);
  // p(theta) = Gamma(exp(theta)) * exp(theta): shape * theta - rate * exp(theta) + const.
  const double v = std::exp(theta);
  return {g.shape * std::log(g.rate) - std::lgamma(g.shape) + g.shape * theta - g.rate * v,
          g.shape - g.rate * v};
}

double sample_theta(const Prior& prior, double normal_draw) {
  if (const auto* ln = std::get_if<LogNormalPrior>(&prior)) return ln->mu + ln->sigma * normal_draw;
  // Log-normal approximation of the gamma's log: mean log(shape/rate), sd 1/sqrt(shape).
  const auto& g = std::get<GammaPrior>(prior);
  return std::log(g.shape / g.rate) + normal_draw / std::sqrt(g.shape);
}

Prior parse_prior(const std::string& text) {
  static const std::regex form(R"(\s*(lognormal|gamma)\s*\(\s*([^,\s]+)\s*,\s*([^)\s]+)\s*\)\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    throw InvalidInput("prior '" + text + "': expected lognormal(mu, sigma) or gamma(shape, rate)");
  const double a = parse_double(m[2].str(), "prior '" + text + "'");
  const double b = parse_double(m[3].str(), "prior '" + text + "'");
  if (m[1] == "lognormal") {
    if (!(b > 0)) throw InvalidInput("prior '" + text + "': sigma must be > 0");
    return LogNormalPrior{a, b};
  }
  if (!(a > 0) || !(b > 0)) throw InvalidInput("prior '" + text + "': shape and rate must be > 0");
  return GammaPrior{a, b};
}

std::string to_string(const Prior& prior) {
  if (const auto* ln = std::get_if<LogNormalPrior>(&prior))
    return "lognormal(" + format_double(ln->mu) + ", " + format_double(ln->sigma) + ")";
  const auto& g = std::get<GammaPrior>(prior);
  return "gamma(" + format_double(g.shape) + ", " + format_double(g.rate) + ")";
}

}  // namespace ionscreen::gp
