#pragma once
/// Thresholds for "good" barriers. BVSE is biased high against DFT-NEB (the lattice does not
/// relax), so an absolute DFT threshold (0.3 eV) selects almost nothing on raw BVSE values: a
/// BVSE landscape is cut at a quantile (default: 17 of 318 = 5.3%, the fraction of qualifying Na
/// compounds in the DFT+BO study this project follows), or at an absolute value after a
/// calibration to DFT. Raw values are always what is stored.
#include <string>
#include <vector>

namespace ionscreen::pipeline {

struct Threshold {
  enum class Kind { absolute, quantile } kind = Kind::quantile;
  double value = 17.0 / 318.0;  ///< eV for absolute; a fraction in (0, 1) for quantile
  bool operator==(const Threshold&) const = default;
};

/// "0.3" / "0.3eV" -> absolute; "q0.05" or "5%" -> quantile. InputError naming the text otherwise.
Threshold parse_threshold(const std::string& text);
/// The text parse_threshold reads back to the same threshold: "0.3" or "q0.05".
std::string to_string(const Threshold& threshold);

/// The threshold in eV for a landscape: the value itself, or the midpoint between the values
/// either side of the quantile (so that exactly round(q N) finite values fall below it).
double resolve(const Threshold& threshold, std::vector<double> values);

}  // namespace ionscreen::pipeline
