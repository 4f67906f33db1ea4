#include "gp/batch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "gp/error.hpp"

namespace ionscreen::gp {
namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

/// The posterior over a small candidate set C in standardised units, conditioned step by step on
/// fantasy observations at members of C. u_m are the rows the Cholesky factor gains per step.
class ConditionedSet {
 public:
  /// `members`: the candidates of C with their posterior mean and variance (original units);
  /// `pool` holds their features.
  ConditionedSet(const Fit& fit, const Eigen::MatrixXd& pool,
                 const std::vector<ScoredCandidate>& members)
      : fit_(fit), rows_(members.size(), pool.cols()) {
    for (std::size_t j = 0; j < members.size(); ++j) rows_.row(j) = pool.row(members[j].index);
    V_ = fit.model.kernel.cross(fit.X, rows_);
    fit.L.triangularView<Eigen::Lower>().solveInPlace(V_);
    const double s = fit.y_scale;
    mean_.resize(size());
    var_.resize(size());
    for (Eigen::Index j = 0; j < size(); ++j) {
      mean_[j] = (members[j].mean - fit.y_mean) / s;
      var_[j] = members[j].variance / (s * s);
    }
  }

  Eigen::Index size() const { return rows_.rows(); }
  double mean(Eigen::Index j) const { return mean_[j] * fit_.y_scale + fit_.y_mean; }
  double sd(Eigen::Index j) const { return std::sqrt(std::max(var_[j], 0.0)) * fit_.y_scale; }

  /// Covariance of member j with every member under the current conditioning.
  Eigen::VectorXd covariance_with(Eigen::Index j) const {
    Eigen::VectorXd c = fit_.model.kernel.cross(rows_, rows_.row(j)).col(0);
    c[j] = fit_.model.kernel.diag(rows_.row(j))[0];
    c -= V_.transpose() * V_.col(j);
    for (const auto& u : U_) c -= u * u[j];
    return c;
  }

  /// Condition on observing `value` (original units) at member j, with the model's noise.
  void condition(Eigen::Index j, double value) {
    const double noise = std::exp(fit_.model.log_noise) + fit_.jitter;
    const Eigen::VectorXd c = covariance_with(j);
    const double pivot = std::sqrt(std::max(c[j], 0.0) + noise);
    Eigen::VectorXd u = c / pivot;
    const double standardised = (value - fit_.y_mean) / fit_.y_scale;
    mean_ += u * ((standardised - mean_[j]) / pivot);
    var_ -= u.cwiseAbs2();
    U_.push_back(std::move(u));
  }

  /// Full covariance over the members (for joint sampling).
  Eigen::MatrixXd covariance() const {
    Eigen::MatrixXd S = fit_.model.kernel.cross(rows_, rows_);
    S.diagonal() = fit_.model.kernel.diag(rows_);
    S -= V_.transpose() * V_;
    for (const auto& u : U_) S -= u * u.transpose();
    return S;
  }
  const Eigen::VectorXd& standardised_mean() const { return mean_; }

 private:
  const Fit& fit_;
  Eigen::MatrixXd rows_;
  Eigen::MatrixXd V_;  // L^-1 k(X, C)
  Eigen::VectorXd mean_, var_;
  std::vector<Eigen::VectorXd> U_;
};

std::vector<Pick> thompson_batch(ConditionedSet& set, Eigen::Index candidates, const Fit& fit,
                                 const std::vector<ScoredCandidate>& members, int q, Rng& rng) {
  // Joint samples over the candidates (the first `candidates` members; the rest are pending).
  Eigen::MatrixXd S = set.covariance().topLeftCorner(candidates, candidates);
  Eigen::MatrixXd L;
  jittered_cholesky(S, L, "posterior covariance of the Thompson candidates");
  std::vector<Pick> picks;
  std::vector<bool> taken(candidates, false);
  for (int b = 0; b < q && static_cast<Eigen::Index>(picks.size()) < candidates; ++b) {
    Eigen::VectorXd z(candidates);
    for (Eigen::Index i = 0; i < candidates; ++i) z[i] = rng.normal();
    const Eigen::VectorXd f = set.standardised_mean().head(candidates) + L * z;
    Eigen::Index arg = -1;
    for (Eigen::Index i = 0; i < candidates; ++i)
      if (!taken[i] && (arg < 0 || f[i] < f[arg])) arg = i;
    taken[arg] = true;
    const ScoredCandidate& m = members[arg];
    picks.push_back({m.index, -(f[arg] * fit.y_scale + fit.y_mean), m.mean, m.variance});
  }
  return picks;
}

}  // namespace

BatchMethod parse_batch_method(const std::string& name) {
  if (name == "kb") return BatchMethod::kriging_believer;
  if (name == "cl") return BatchMethod::constant_liar;
  throw InvalidInput("unknown batch method '" + name +
                     "'; known: kb (Kriging believer), cl "
                     "(constant liar)");
}

std::string to_string(BatchMethod method) {
  return method == BatchMethod::kriging_believer ? "kb" : "cl";
}

std::vector<Pick> select_batch(const PoolPosterior& ctx, const std::vector<bool>& eligible,
                               const std::vector<Eigen::Index>& pending, const Scorer& scorer,
                               const BatchOptions& options, Rng& rng) {
  const Eigen::Index N = ctx.pool.rows();
  if (static_cast<Eigen::Index>(eligible.size()) != N || ctx.posterior.mean.size() != N)
    throw InvalidInput("select_batch: pool, posterior and eligibility sizes differ");
  if (options.q < 1)
    throw InvalidInput("batch size q must be >= 1, got " + std::to_string(options.q));
  const Shortlist shortlist =
      shortlist_of(ctx.posterior, eligible, pending, scorer, options.best, shortlist_size(options));
  return choose_batch(ctx.fit, ctx.pool, shortlist, scorer, options, rng);
}

Eigen::Index shortlist_size(const BatchOptions& options) {
  return std::max<Eigen::Index>(options.shortlist, 64 * options.q);
}

std::vector<Pick> choose_batch(const Fit& fit, const Eigen::MatrixXd& pool,
                               const Shortlist& shortlist, const Scorer& scorer,
                               const BatchOptions& options, Rng& rng) {
  if (options.q < 1)
    throw InvalidInput("batch size q must be >= 1, got " + std::to_string(options.q));
  const auto candidates = static_cast<Eigen::Index>(shortlist.best.size());
  if (candidates == 0) return {};
  std::vector<ScoredCandidate> members = shortlist.best;
  members.insert(members.end(), shortlist.pending.begin(), shortlist.pending.end());

  ConditionedSet set(fit, pool, members);
  const auto fantasy = [&](Eigen::Index j) {
    return options.method == BatchMethod::kriging_believer ? set.mean(j) : options.lie;
  };
  for (Eigen::Index j = candidates; j < set.size(); ++j) set.condition(j, fantasy(j));
  if (scorer.config().kind == AcquisitionKind::thompson)
    return thompson_batch(set, candidates, fit, members, options.q, rng);

  std::vector<Pick> picks;
  std::vector<bool> taken(candidates, false);
  for (int b = 0; b < options.q; ++b) {
    Eigen::Index arg = -1;
    double best_score = kMinusInf;
    for (Eigen::Index j = 0; j < candidates; ++j) {
      if (taken[j]) continue;
      const double s = scorer(set.mean(j), set.sd(j), options.best);
      if (s > best_score) {
        best_score = s;
        arg = j;
      }
    }
    if (arg < 0) break;  // lse: nothing undecided is left
    taken[arg] = true;
    const ScoredCandidate& m = members[arg];
    picks.push_back({m.index, best_score, m.mean, m.variance});
    set.condition(arg, fantasy(arg));
  }
  return picks;
}

}  // namespace ionscreen::gp
