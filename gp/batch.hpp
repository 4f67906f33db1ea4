#pragma once
/// Pending-aware selection of q candidates from a discrete pool, in two steps.
///
/// (a) The pool is scored once from the fitted posterior and the best `shortlist` candidates (by
/// score, or by lower confidence bound for Thompson sampling) are kept: a Shortlist, made by a
/// PoolScoring (pool_scoring.hpp), which may share the work between processes.
/// (b) choose_batch picks the batch among them greedily. After each pick (and first for every
/// pending point) the posterior over the shortlist is conditioned on a fantasy observation: the
/// current mean (Kriging believer, which leaves the mean unchanged and shrinks the variance) or a
/// fixed lie (constant liar). Each conditioning is a rank-1 extension of the Cholesky factor,
/// O(shortlist x (n + q)), with no refit. Thompson sampling draws joint samples over the
/// shortlist from `rng`.
#include <vector>

#include "gp/acquisition.hpp"
#include "gp/pool_scoring.hpp"
#include "gp/random.hpp"
#include "gp/regression.hpp"

namespace ionscreen::gp {

enum class BatchMethod { kriging_believer, constant_liar };
BatchMethod parse_batch_method(const std::string& name);  ///< "kb" or "cl"
std::string to_string(BatchMethod method);

struct BatchOptions {
  int q = 1;
  BatchMethod method = BatchMethod::kriging_believer;
  Eigen::Index shortlist = 1024;  ///< candidates kept for greedy selection (at least 64 q used)
  double best = 0.0;              ///< lowest observed target value (original units)
  double lie = 0.0;               ///< constant liar's fantasy value (original units)
};

/// One chosen candidate: its pool index, acquisition score at the time it was chosen, and the
/// posterior mean and variance before any fantasy (original units).
struct Pick {
  Eigen::Index index;
  double acquisition;
  double mean;
  double variance;
};

/// The context a batch is chosen in: the fit, the pool it was scored on, and the pool posterior.
struct PoolPosterior {
  const Fit& fit;
  const Eigen::MatrixXd& pool;   ///< features of every candidate (rows)
  const Eigen::MatrixXd& basis;  ///< mean basis at every candidate (may have 0 columns)
  const Prediction& posterior;   ///< predict(fit, pool, basis)
};

/// Choose up to q distinct candidates among those with eligible[i] true (never observed or
/// pending ones: the caller marks those ineligible), conditioning on `pending` first. Fewer than q
/// come back when fewer are eligible (or, for lse, undecided). Steps (a) and (b) in one call, on a
/// posterior computed for the whole pool.
std::vector<Pick> select_batch(const PoolPosterior& context, const std::vector<bool>& eligible,
                               const std::vector<Eigen::Index>& pending, const Scorer& scorer,
                               const BatchOptions& options, Rng& rng);

/// Candidates a batch of options.q is chosen among: max(options.shortlist, 64 q).
Eigen::Index shortlist_size(const BatchOptions& options);

/// Step (b): up to q distinct candidates from shortlist.best, conditioning first on the
/// shortlist's pending candidates in their order. `pool` holds the features of every candidate
/// the shortlist names (as scored). Fewer than q come back when the shortlist is shorter (or, for
/// lse, fewer are undecided).
std::vector<Pick> choose_batch(const Fit& fit, const Eigen::MatrixXd& pool,
                               const Shortlist& shortlist, const Scorer& scorer,
                               const BatchOptions& options, Rng& rng);

}  // namespace ionscreen::gp
