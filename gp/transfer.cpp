#include "gp/transfer.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "gp/error.hpp"

namespace ionscreen::gp {
namespace {

struct NamedMode {
  TransferMode mode;
  const char* name;
};
constexpr NamedMode kModes[] = {{TransferMode::none, "none"},
                                {TransferMode::hp, "hp"},
                                {TransferMode::posterior, "posterior"},
                                {TransferMode::multitask, "multitask"},
                                {TransferMode::automatic, "auto"}};

/// auto uses a source only if it lowers the leave-one-out NLPD by this much per observation (nats):
/// with a handful of points a noise source can win by chance, and a wrong transfer costs more than
/// a missed one.
constexpr double kTransferMargin = 0.1;

bool needs_task_column(TransferMode mode) {
  return mode == TransferMode::multitask || mode == TransferMode::automatic;
}

/// Source targets moved onto the target's scale (mean and sd of the target observations when
/// there are at least two distinct ones), so one standardisation serves both tasks.
Eigen::VectorXd source_on_target_scale(const Eigen::VectorXd& source,
                                       const Eigen::VectorXd& target) {
  const double ms = source.mean();
  const double ss = std::sqrt((source.array() - ms).square().mean());
  double mt = ms, st = ss;
  if (target.size() >= 2) {
    const double m = target.mean();
    const double s = std::sqrt((target.array() - m).square().mean());
    if (s > 0.0) {
      mt = m;
      st = s;
    }
  }
  if (!(ss > 0.0)) return source.array() - ms + mt;
  return ((source.array() - ms) / ss) * st + mt;
}

}  // namespace

TransferMode parse_transfer_mode(const std::string& name) {
  for (const auto& m : kModes)
    if (name == m.name) return m.mode;
  throw InvalidInput("unknown transfer mode '" + name +
                     "'; known: none, hp, posterior, multitask, auto");
}

std::string to_string(TransferMode mode) {
  for (const auto& m : kModes)
    if (mode == m.mode) return m.name;
  return "?";
}

TransferContext::TransferContext(Model base, const ColumnGroups& groups, TransferConfig config,
                                 std::optional<SourceTask> source, const Eigen::MatrixXd& pool)
    : base_(std::move(base)),
      groups_(groups),
      config_(config),
      source_(std::move(source)),
      no_basis_(pool.rows(), 0) {
  if (config_.mode == TransferMode::none) return;
  if (!source_)
    throw InvalidInput("transfer mode '" + to_string(config_.mode) + "' needs a source task");
  if (source_->X.rows() != source_->y.size() || source_->X.cols() != pool.cols())
    throw InvalidInput("source task: " + std::to_string(source_->X.rows()) + " x " +
                       std::to_string(source_->X.cols()) + " features with " +
                       std::to_string(source_->y.size()) + " targets; the target pool has " +
                       std::to_string(pool.cols()) + " columns");
  if (!(config_.prior_sigma > 0.0)) throw InvalidInput("transfer prior_sigma must be > 0");
  if (config_.mode == TransferMode::posterior || config_.mode == TransferMode::automatic) {
    Model source_model(parse_kernel(source_->kernel_spec, groups_));
    source_model.standardize = base_.standardize;
    assign_matching(source_model, source_->hyperparameters);
    const Fit source_fit = condition(source_model, source_->X, source_->y);
    source_mean_basis_.resize(pool.rows(), 2);
    source_mean_basis_.col(0).setOnes();
    source_mean_basis_.col(1) = predict(source_fit, pool).mean;
  }
}

std::vector<TransferMode> TransferContext::candidate_modes() const {
  if (!source_) return {TransferMode::none};
  return {TransferMode::none, TransferMode::hp, TransferMode::posterior, TransferMode::multitask};
}

const Eigen::MatrixXd& TransferContext::pool_basis(TransferMode mode) const {
  return mode == TransferMode::posterior ? source_mean_basis_ : no_basis_;
}

TrainingProblem TransferContext::problem(TransferMode mode, const Eigen::MatrixXd& pool,
                                         const std::vector<Eigen::Index>& rows,
                                         const Eigen::VectorXd& y,
                                         const NamedValues& warm_start) const {
  if (mode == TransferMode::automatic) throw InvalidInput("problem(): choose a concrete mode");
  if (mode == TransferMode::multitask && !needs_task_column(config_.mode))
    throw InvalidInput("multitask needs the pool's task column");
  TrainingProblem p{mode, base_, pool(rows, Eigen::all), y, Eigen::MatrixXd(), 0};
  if (mode == TransferMode::multitask) {
    p.model = Model(parse_kernel("prod(coreg[task], " + base_.kernel.spec() + ")", groups_));
    p.model.log_noise = base_.log_noise;
    p.model.standardize = base_.standardize;
    p.model.priors = base_.priors;
    p.model.fixed = base_.fixed;
  }
  if (mode != TransferMode::none && source_) assign_matching(p.model, source_->hyperparameters);
  if (mode == TransferMode::hp) {
    for (const auto& [name, value] : source_->hyperparameters) {
      if (name == Model::kNoiseName) continue;  // noise belongs to each task's own calculations
      try {
        (void)p.model.get(name);
      } catch (const InvalidInput&) {
        continue;  // the source kernel had a parameter the target's does not
      }
      if (config_.hp_fixed)
        p.model.fixed.insert(name);
      else
        p.model.priors[name] = LogNormalPrior{value, config_.prior_sigma};
    }
  }
  // Warm start from the last fit, except what hp holds fixed at the source values.
  NamedValues warm;
  for (const auto& nv : warm_start)
    if (!p.model.fixed.count(nv.first)) warm.push_back(nv);
  assign_matching(p.model, warm);

  if (mode == TransferMode::posterior) p.basis = source_mean_basis_(rows, Eigen::all);
  if (mode == TransferMode::multitask) {
    const Eigen::Index ns = source_->X.rows(), task = pool.cols() - 1;
    Eigen::MatrixXd X(ns + p.X.rows(), pool.cols());
    X.topRows(ns) = source_->X;
    X.block(0, task, ns, 1).setZero();
    X.bottomRows(p.X.rows()) = p.X;
    Eigen::VectorXd yy(ns + y.size());
    yy << source_on_target_scale(source_->y, y), y;
    p.X = std::move(X);
    p.y = std::move(yy);
    p.first_target_row = ns;
  }
  return p;
}

TransferFit fit_with_transfer(const TransferContext& context, const Eigen::MatrixXd& pool,
                              const std::vector<Eigen::Index>& rows, const Eigen::VectorXd& y,
                              const NamedValues& warm_start, const FitOptions& options, Rng& rng) {
  const TransferMode configured = context.config().mode;
  std::vector<TransferMode> modes{configured};
  if (configured == TransferMode::automatic)
    modes = rows.size() >= 3 ? context.candidate_modes()
                             : std::vector<TransferMode>{TransferMode::none};
  std::optional<TransferFit> chosen;
  double chosen_score = std::numeric_limits<double>::infinity();
  for (const TransferMode mode : modes) {
    const TrainingProblem p = context.problem(mode, pool, rows, y, warm_start);
    FitReport report = fit_hyperparameters(p.model, p.X, p.y, options, rng, p.basis);
    double score = modes.size() > 1 ? loo_nlpd(report.fit, p.first_target_row) : 0.0;
    if (mode != TransferMode::none) score += kTransferMargin;
    if (!chosen || score < chosen_score) {
      chosen.emplace(TransferFit{std::move(report), mode});
      chosen_score = score;
    }
  }
  return std::move(*chosen);
}

double loo_nlpd(const Fit& fit, Eigen::Index first_row) {
  const Prediction loo = leave_one_out(fit);
  const Eigen::VectorXd y = fit.y.array() * fit.y_scale + fit.y_mean;
  double total = 0.0;
  const Eigen::Index n = fit.X.rows() - first_row;
  for (Eigen::Index i = first_row; i < fit.X.rows(); ++i) {
    const double r = y[i] - loo.mean[i];
    total +=
        0.5 * std::log(2.0 * std::numbers::pi * loo.variance[i]) + r * r / (2.0 * loo.variance[i]);
  }
  return total / static_cast<double>(n);
}

}  // namespace ionscreen::gp
