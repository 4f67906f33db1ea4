#include "pipeline/campaign/threshold.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "gp/text.hpp"
#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {
namespace {

double number(const std::string& text, const std::string& whole) {
  double v = 0.0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(v))
    throw InputError("threshold '" + whole + "': expected an energy in eV (0.3), a quantile " +
                     "(q0.05) or a percentage (5%)");
  return v;
}

}  // namespace

Threshold parse_threshold(const std::string& text) {
  std::string t = text;
  if (t.empty()) (void)number(t, text);  // throws: nothing to parse
  if (t.back() == '%') {
    const double p = number(t.substr(0, t.size() - 1), text) / 100.0;
    if (!(p > 0.0 && p < 1.0))
      throw InputError("threshold '" + text + "': percentage must be in (0, 100)");
    return {Threshold::Kind::quantile, p};
  }
  if (t.front() == 'q') {
    const double q = number(t.substr(1), text);
    if (!(q > 0.0 && q < 1.0))
      throw InputError("threshold '" + text + "': quantile must be in (0, 1)");
    return {Threshold::Kind::quantile, q};
  }
  if (t.size() > 2 && t.substr(t.size() - 2) == "eV") t.resize(t.size() - 2);
  return {Threshold::Kind::absolute, number(t, text)};
}

std::string to_string(const Threshold& threshold) {
  const std::string value = gp::format_double(threshold.value);
  return threshold.kind == Threshold::Kind::absolute ? value : "q" + value;
}

double resolve(const Threshold& threshold, std::vector<double> values) {
  if (threshold.kind == Threshold::Kind::absolute) return threshold.value;
  std::erase_if(values, [](double v) { return !std::isfinite(v); });
  if (values.size() < 2) throw InputError("a quantile threshold needs at least 2 finite values");
  std::sort(values.begin(), values.end());
  const auto k = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::lround(threshold.value * double(values.size()))), 1,
      values.size() - 1);
  return 0.5 * (values[k - 1] + values[k]);
}

}  // namespace ionscreen::pipeline
