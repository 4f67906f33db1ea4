#pragma once
/// Transfer from a source task (e.g. Li compounds) to a target task (Na compounds).
///
///  none       the target GP alone;
///  hp         source hyperparameters reused: held fixed, or as log-normal priors centred on them;
///  posterior  the source GP's posterior mean m(x) enters the target's prior mean as a + b m(x),
///             a and b fitted (generalised least squares), and the target GP models the residual;
///  multitask  intrinsic coregionalisation over both tasks: prod(coreg[task], <kernel>), fitted on
///             the source and target observations together;
///  auto       each of the above fitted, the one with the lowest leave-one-out negative log
///             predictive density on the target observations used (none below 3 observations),
///             so an unhelpful source cannot do worse than no transfer for long.
#include <optional>
#include <string>

#include "gp/hyperfit.hpp"
#include "gp/model.hpp"
#include "gp/prior.hpp"
#include "gp/regression.hpp"

namespace ionscreen::gp {

enum class TransferMode { none, hp, posterior, multitask, automatic };
TransferMode parse_transfer_mode(const std::string& name);  ///< none|hp|posterior|multitask|auto
std::string to_string(TransferMode mode);

struct TransferConfig {
  TransferMode mode = TransferMode::none;
  bool hp_fixed = false;     ///< hp: hold source hyperparameters fixed instead of using priors
  double prior_sigma = 0.5;  ///< hp: sd of the log-normal priors, in natural-log units
};

/// What the target needs from a source task. X uses the target pool's columns, in raw units.
struct SourceTask {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  std::string kernel_spec;  ///< the spec the source hyperparameters belong to
  NamedValues hyperparameters;
};

/// A model and the data to fit it on, for one transfer mode.
struct TrainingProblem {
  TransferMode mode;
  Model model;
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  Eigen::MatrixXd basis;
  Eigen::Index first_target_row = 0;  ///< rows before it are source observations (multitask)
};

/// Builds training problems for each mode over a fixed, standardised pool.
class TransferContext {
 public:
  /// `pool` and `source->X` are already standardised; when a source is given for multitask or
  /// auto, pool carries a last "task" column of ones and groups name it "task".
  TransferContext(Model base, const ColumnGroups& groups, TransferConfig config,
                  std::optional<SourceTask> source, const Eigen::MatrixXd& pool);

  const TransferConfig& config() const { return config_; }
  /// Modes `auto` chooses between (those the source allows).
  std::vector<TransferMode> candidate_modes() const;
  /// The problem for `mode` given target observations (rows of the same standardised pool, raw
  /// targets), starting from
  /// `warm_start` hyperparameters where names match.
  TrainingProblem problem(TransferMode mode, const Eigen::MatrixXd& pool,
                          const std::vector<Eigen::Index>& rows, const Eigen::VectorXd& y,
                          const NamedValues& warm_start) const;
  /// Mean basis over the whole pool for `mode` (N x 2 for posterior, N x 0 otherwise).
  const Eigen::MatrixXd& pool_basis(TransferMode mode) const;

 private:
  Model base_;
  ColumnGroups groups_;
  TransferConfig config_;
  std::optional<SourceTask> source_;
  Eigen::MatrixXd source_mean_basis_;  // [1, m_source(x)] over the pool
  Eigen::MatrixXd no_basis_;
};

/// A hyperparameter fit under the context's transfer mode; for auto, the mode chosen.
struct TransferFit {
  FitReport report;
  TransferMode mode;
};

/// Fit the configured mode on the target observations (rows of `pool`, raw targets y); for auto,
/// fit every candidate mode and keep the lowest leave-one-out NLPD on the target observations
/// (none below 3 observations; ties go to the simpler mode).
TransferFit fit_with_transfer(const TransferContext& context, const Eigen::MatrixXd& pool,
                              const std::vector<Eigen::Index>& rows, const Eigen::VectorXd& y,
                              const NamedValues& warm_start, const FitOptions& options, Rng& rng);

/// Mean negative log predictive density of the leave-one-out predictions of rows >= first_row.
double loo_nlpd(const Fit& fit, Eigen::Index first_row);

}  // namespace ionscreen::gp
