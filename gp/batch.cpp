#include "gp/batch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "gp/error.hpp"

namespace ionscreen::gp {
namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

/// Indices of the `count` best eligible candidates by `key` (descending; ties by lower index).
std::vector<Eigen::Index> top_candidates(const Eigen::VectorXd& key,
                                         const std::vector<bool>& eligible, Eigen::Index count) {
  std::vector<Eigen::Index> idx;
  for (Eigen::Index i = 0; i < key.size(); ++i)
    if (eligible[i] && key[i] > kMinusInf) idx.push_back(i);
  const auto better = [&](Eigen::Index a, Eigen::Index b) {
    return key[a] != key[b] ? key[a] > key[b] : a < b;
  };
  const auto keep = std::min<std::size_t>(idx.size(), static_cast<std::size_t>(count));
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(keep), idx.end(),
                    better);
  idx.resize(keep);
  return idx;
}

/// The posterior over a small candidate set C in standardised units, conditioned step by step on
/// fantasy observations at members of C. u_m are the rows the Cholesky factor gains per step.
class ConditionedSet {
 public:
  ConditionedSet(const PoolPosterior& ctx, std::vector<Eigen::Index> members)
      : ctx_(ctx), members_(std::move(members)), rows_(ctx.pool(members_, Eigen::all)) {
    const auto& fit = ctx.fit;
    V_ = fit.model.kernel.cross(fit.X, rows_);
    fit.L.triangularView<Eigen::Lower>().solveInPlace(V_);
    const double s = fit.y_scale;
    mean_.resize(size());
    var_.resize(size());
    for (Eigen::Index j = 0; j < size(); ++j) {
      mean_[j] = (ctx.posterior.mean[members_[j]] - fit.y_mean) / s;
      var_[j] = ctx.posterior.variance[members_[j]] / (s * s);
    }
  }

  Eigen::Index size() const { return static_cast<Eigen::Index>(members_.size()); }
  double mean(Eigen::Index j) const { return mean_[j] * ctx_.fit.y_scale + ctx_.fit.y_mean; }
  double sd(Eigen::Index j) const { return std::sqrt(std::max(var_[j], 0.0)) * ctx_.fit.y_scale; }

  /// Covariance of member j with every member under the current conditioning.
  Eigen::VectorXd covariance_with(Eigen::Index j) const {
    Eigen::VectorXd c = ctx_.fit.model.kernel.cross(rows_, rows_.row(j)).col(0);
    c[j] = ctx_.fit.model.kernel.diag(rows_.row(j))[0];
    c -= V_.transpose() * V_.col(j);
    for (const auto& u : U_) c -= u * u[j];
    return c;
  }

  /// Condition on observing `value` (original units) at member j, with the model's noise.
  void condition(Eigen::Index j, double value) {
    const double noise = std::exp(ctx_.fit.model.log_noise) + ctx_.fit.jitter;
    const Eigen::VectorXd c = covariance_with(j);
    const double pivot = std::sqrt(std::max(c[j], 0.0) + noise);
    Eigen::VectorXd u = c / pivot;
    const double standardised = (value - ctx_.fit.y_mean) / ctx_.fit.y_scale;
    mean_ += u * ((standardised - mean_[j]) / pivot);
    var_ -= u.cwiseAbs2();
    U_.push_back(std::move(u));
  }

  /// Full covariance over the members (for joint sampling).
  Eigen::MatrixXd covariance() const {
    Eigen::MatrixXd S = ctx_.fit.model.kernel.cross(rows_, rows_);
    S.diagonal() = ctx_.fit.model.kernel.diag(rows_);
    S -= V_.transpose() * V_;
    for (const auto& u : U_) S -= u * u.transpose();
    return S;
  }
  const Eigen::VectorXd& standardised_mean() const { return mean_; }

 private:
  const PoolPosterior& ctx_;
  std::vector<Eigen::Index> members_;
  Eigen::MatrixXd rows_;
  Eigen::MatrixXd V_;  // L^-1 k(X, C)
  Eigen::VectorXd mean_, var_;
  std::vector<Eigen::VectorXd> U_;
};

std::vector<Pick> thompson_batch(ConditionedSet& set, Eigen::Index candidates,
                                 const PoolPosterior& ctx, const std::vector<Eigen::Index>& members,
                                 int q, Rng& rng) {
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
    const Eigen::Index id = members[arg];
    picks.push_back({id, -(f[arg] * ctx.fit.y_scale + ctx.fit.y_mean), ctx.posterior.mean[id],
                     ctx.posterior.variance[id]});
  }
  return picks;
}

}  // namespace

BatchMethod parse_batch_method(const std::string& name) {
  if (name == "kb") return BatchMethod::kriging_believer;
  if (name == "cl") return BatchMethod::constant_liar;
  throw InvalidInput("unknown batch method '" + name + "'; known: kb (Kriging believer), cl "
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
  if (options.q < 1) throw InvalidInput("batch size q must be >= 1, got " + std::to_string(options.q));
  const bool thompson = scorer.config().kind == AcquisitionKind::thompson;

  // Score the pool: the acquisition, or for Thompson the negated lower bound, which keeps every
  // candidate with a real chance of being the minimum.
  Eigen::VectorXd key(N);
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < N; ++i) {
    const double sd = std::sqrt(ctx.posterior.variance[i]);
    key[i] = !eligible[i] ? kMinusInf
             : thompson   ? -(ctx.posterior.mean[i] - 3.0 * sd)
                          : scorer(ctx.posterior.mean[i], sd, options.best);
  }
  const Eigen::Index shortlist = std::max<Eigen::Index>(options.shortlist, 64 * options.q);
  std::vector<Eigen::Index> members = top_candidates(key, eligible, shortlist);
  const auto candidates = static_cast<Eigen::Index>(members.size());
  if (candidates == 0) return {};
  members.insert(members.end(), pending.begin(), pending.end());

  ConditionedSet set(ctx, members);
  const auto fantasy = [&](Eigen::Index j) {
    return options.method == BatchMethod::kriging_believer ? set.mean(j) : options.lie;
  };
  for (Eigen::Index j = candidates; j < set.size(); ++j) set.condition(j, fantasy(j));
  if (thompson) return thompson_batch(set, candidates, ctx, members, options.q, rng);

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
    const Eigen::Index id = members[arg];
    picks.push_back({id, best_score, ctx.posterior.mean[id], ctx.posterior.variance[id]});
    set.condition(arg, fantasy(arg));
  }
  return picks;
}

}  // namespace ionscreen::gp
