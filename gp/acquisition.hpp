#pragma once
/// Acquisition functions for *minimising* a target (E_b), and the threshold classifier.
/// Every score is "larger is better" and is computed from a posterior mean and standard deviation
/// in the target's original units.
#include <string>

namespace ionscreen::gp {

enum class AcquisitionKind {
  ei,        ///< expected improvement below the best observed value
  pi,        ///< probability of improvement
  lcb,       ///< lower confidence bound mean - kappa * sd (scored as its negative)
  thompson,  ///< Thompson sampling from the joint posterior over a pruned candidate set
  straddle,  ///< threshold search: 1.96 sd - |mean - t| (Bryan et al., NIPS 2005)
  lse,       ///< threshold search: level-set estimation (Gotovos et al., IJCAI 2013)
};

struct AcquisitionConfig {
  AcquisitionKind kind = AcquisitionKind::ei;
  double xi = 0.0;         ///< EI/PI margin: improvement counts beyond best - xi (target units)
  double kappa = 2.0;      ///< LCB width in standard deviations
  double threshold = 0.3;  ///< threshold modes: a hit is y < threshold (target units, e.g. eV)
  double delta = 0.05;     ///< LSE: all labels hold together at confidence 1 - delta
};

AcquisitionKind parse_acquisition(const std::string& name);
std::string to_string(AcquisitionKind kind);
/// True for straddle and lse, which search for every y < threshold rather than the minimum.
bool is_threshold_search(AcquisitionKind kind);

double normal_pdf(double z);
double normal_cdf(double z);
/// Inverse of normal_cdf for p in (0, 1).
double normal_quantile(double p);

/// Threshold labels of a candidate.
enum class Label : signed char { below = -1, undecided = 0, above = 1 };

/// Scores and labels candidates under one configuration (validated once, at construction).
class Scorer {
 public:
  /// `candidates`: how many labels must hold together. Threshold intervals use the union
  /// (Bonferroni) bound z = normal_quantile(1 - delta / (2 candidates)), so that every label of the
  /// pool is right with probability 1 - delta, not each one on its own: per-candidate intervals
  /// over hundreds of candidates stop a search while qualifying compounds are still mislabelled.
  explicit Scorer(const AcquisitionConfig& config, std::size_t candidates = 1);
  /// Score of one candidate; `best` is the lowest observed value. Not for thompson. For lse, a
  /// decided candidate scores -infinity (there is nothing left to learn from it).
  double operator()(double mean, double sd, double best) const;
  /// below if the whole interval mean +- z sd lies under the threshold, above if it lies over it,
  /// undecided otherwise.
  Label classify(double mean, double sd) const;
  const AcquisitionConfig& config() const { return config_; }

 private:
  AcquisitionConfig config_;
  double z_;
};

}  // namespace ionscreen::gp
