#include "gp/pool_scoring.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "gp/error.hpp"

namespace ionscreen::gp {
namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The ranking of candidates: key descending, then index ascending (a strict total order).
bool ranks_before(const ScoredCandidate& a, const ScoredCandidate& b) {
  return a.key != b.key ? a.key > b.key : a.index < b.index;
}

/// The best `keep` rows of `post` with eligible[i] and a key above -infinity; row i is candidate
/// first_row + i.
std::vector<ScoredCandidate> best_rows(const Prediction& post, Eigen::Index first_row,
                                       const std::vector<bool>& eligible, const Scorer& scorer,
                                       double best, Eigen::Index keep) {
  const Eigen::Index n = post.mean.size();
  const bool thompson = scorer.config().kind == AcquisitionKind::thompson;
  // The acquisition, or for Thompson the negated lower bound, which keeps every candidate with a
  // real chance of being the minimum.
  Eigen::VectorXd key(n);
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < n; ++i) {
    const double sd = std::sqrt(post.variance[i]);
    key[i] = !eligible[i] ? kMinusInf
             : thompson   ? -(post.mean[i] - 3.0 * sd)
                          : scorer(post.mean[i], sd, best);
  }
  std::vector<Eigen::Index> idx;
  for (Eigen::Index i = 0; i < n; ++i)
    if (eligible[i] && key[i] > kMinusInf) idx.push_back(i);
  const auto better = [&](Eigen::Index a, Eigen::Index b) {
    return key[a] != key[b] ? key[a] > key[b] : a < b;
  };
  const auto count = std::min<std::size_t>(idx.size(), static_cast<std::size_t>(keep));
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count), idx.end(),
                    better);
  std::vector<ScoredCandidate> out;
  out.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    const Eigen::Index i = idx[k];
    out.push_back({first_row + i, key[i], post.mean[i], post.variance[i]});
  }
  return out;
}

/// listed[i] says whether candidate first + i is in the sorted list `ids`.
std::vector<bool> listed(const std::vector<Eigen::Index>& ids, Eigen::Index first,
                         Eigen::Index count) {
  std::vector<bool> out(static_cast<std::size_t>(count), false);
  for (auto it = std::lower_bound(ids.begin(), ids.end(), first);
       it != ids.end() && *it < first + count; ++it)
    out[static_cast<std::size_t>(*it - first)] = true;
  return out;
}

void check_ids(const std::vector<Eigen::Index>& ids, Eigen::Index pool_size, const char* what) {
  for (std::size_t k = 0; k < ids.size(); ++k) {
    if (ids[k] < 0 || ids[k] >= pool_size)
      throw InvalidInput(std::string("pool scoring: ") + what + " candidate " +
                         std::to_string(ids[k]) + " is outside the pool (0.." +
                         std::to_string(pool_size - 1) + ")");
    if (k > 0 && ids[k] <= ids[k - 1])
      throw InvalidInput(std::string("pool scoring: ") + what +
                         " candidates must be sorted without repeats");
  }
}

}  // namespace

RowRange shard_rows(Eigen::Index pool_size, int parts, int part, Eigen::Index block) {
  if (pool_size < 0 || parts < 1 || part < 0 || part >= parts || block < 1)
    throw InvalidInput("shard_rows: part " + std::to_string(part) + " of " + std::to_string(parts) +
                       " of a pool of " + std::to_string(pool_size) + " in blocks of " +
                       std::to_string(block));
  const Eigen::Index blocks = (pool_size + block - 1) / block;
  const auto first_row = [&](int p) { return std::min(blocks * p / parts * block, pool_size); };
  return {first_row(part), first_row(part + 1)};
}

void validate(const ScoringRequest& request) {
  const ScoringPool& pool = request.pool;
  const Eigen::Index N = pool.features.rows();
  if (N == 0) throw InvalidInput("pool scoring: the pool is empty");
  if (request.fit.X.cols() != pool.features.cols())
    throw InvalidInput("pool scoring: the fit has " + std::to_string(request.fit.X.cols()) +
                       " feature columns, the pool " + std::to_string(pool.features.cols()));
  const Eigen::Index p = request.use_basis ? pool.basis.cols() : 0;
  if (request.fit.basis.cols() != p || (p > 0 && pool.basis.rows() != N))
    throw InvalidInput("pool scoring: the fit has " + std::to_string(request.fit.basis.cols()) +
                       " mean basis columns, the request " + std::to_string(p) + " over " +
                       std::to_string(request.use_basis ? pool.basis.rows() : N) + " rows");
  if (request.task.shortlist < 1)
    throw InvalidInput("pool scoring: the shortlist must keep at least 1 candidate");
  check_ids(request.task.ineligible, N, "ineligible");
  check_ids(request.task.observed, N, "observed");
  check_ids(request.task.pending, N, "pending");
}

Shortlist LocalPoolScoring::score(const ScoringRequest& request) {
  validate(request);
  const Eigen::Index N = request.pool.features.rows();
  const Eigen::MatrixXd none;
  return score_rows(make_predictor(request.fit, N), request.pool.features,
                    request.use_basis ? request.pool.basis : none, 0, N, request.task);
}

Shortlist score_rows(const Predictor& predictor, Eigen::Ref<const Eigen::MatrixXd> features,
                     Eigen::Ref<const Eigen::MatrixXd> basis, Eigen::Index first_row,
                     Eigen::Index pool_size, const ScoringTask& task) {
  const Eigen::Index rows = features.rows();
  if (first_row < 0 || first_row + rows > pool_size || (rows > 0 && first_row % kScoringBlock))
    throw InvalidInput("score_rows: rows " + std::to_string(first_row) + ".." +
                       std::to_string(first_row + rows) + " of a pool of " +
                       std::to_string(pool_size) + " (a shard starts on a block of " +
                       std::to_string(kScoringBlock) + " rows)");
  const Prediction post = predict(predictor, features, basis, kScoringBlock);
  const Scorer scorer(task.acquisition, static_cast<std::size_t>(pool_size));
  std::vector<bool> eligible = listed(task.ineligible, first_row, rows);
  eligible.flip();

  Shortlist s;
  s.best = best_rows(post, first_row, eligible, scorer, task.best, task.shortlist);
  for (const Eigen::Index id : task.pending)
    if (id >= first_row && id < first_row + rows)
      s.pending.push_back({id, kNaN, post.mean[id - first_row], post.variance[id - first_row]});
  if (task.threshold) {
    const std::vector<bool> observed = listed(task.observed, first_row, rows);
    s.labels.resize(static_cast<std::size_t>(rows));
    for (Eigen::Index i = 0; i < rows; ++i) {
      const Label l = scorer.classify(post.mean[i], std::sqrt(post.variance[i]));
      s.labels[i] = l;
      if (observed[i]) continue;
      (l == Label::below   ? s.counts.below
       : l == Label::above ? s.counts.above
                           : s.counts.undecided)++;
    }
  }
  return s;
}

Shortlist merge_shortlists(std::vector<Shortlist> parts, Eigen::Index keep) {
  Shortlist out;
  for (Shortlist& p : parts) {
    out.best.insert(out.best.end(), p.best.begin(), p.best.end());
    out.pending.insert(out.pending.end(), p.pending.begin(), p.pending.end());
    out.labels.insert(out.labels.end(), p.labels.begin(), p.labels.end());
    out.counts.below += p.counts.below;
    out.counts.above += p.counts.above;
    out.counts.undecided += p.counts.undecided;
  }
  const auto count = std::min<std::size_t>(out.best.size(), static_cast<std::size_t>(keep));
  std::partial_sort(out.best.begin(), out.best.begin() + static_cast<std::ptrdiff_t>(count),
                    out.best.end(), ranks_before);
  out.best.resize(count);
  std::sort(out.pending.begin(), out.pending.end(),
            [](const ScoredCandidate& a, const ScoredCandidate& b) { return a.index < b.index; });
  return out;
}

Shortlist shortlist_of(const Prediction& posterior, const std::vector<bool>& eligible,
                       const std::vector<Eigen::Index>& pending, const Scorer& scorer, double best,
                       Eigen::Index keep) {
  Shortlist s;
  s.best = best_rows(posterior, 0, eligible, scorer, best, keep);
  for (const Eigen::Index id : pending)
    s.pending.push_back({id, kNaN, posterior.mean[id], posterior.variance[id]});
  return s;
}

}  // namespace ionscreen::gp
