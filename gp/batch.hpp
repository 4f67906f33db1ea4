#pragma once
/// Pending-aware selection of q candidates from a discrete pool.
///
/// The pool is scored once from the fitted posterior; the best `shortlist` candidates (by score,
/// or by lower confidence bound for Thompson sampling) are kept, and the batch is chosen among them
/// greedily. After each pick (and first for every pending point) the posterior over the shortlist
/// is conditioned on a fantasy observation: the current mean (Kriging believer, which leaves the
/// mean unchanged and shrinks the variance) or a fixed lie (constant liar). Each conditioning is a
/// rank-1 extension of the Cholesky factor, O(shortlist x (n + q)), with no refit.
#include <vector>

#include "gp/acquisition.hpp"
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
/// come back when fewer are eligible (or, for lse, undecided).
std::vector<Pick> select_batch(const PoolPosterior& context, const std::vector<bool>& eligible,
                               const std::vector<Eigen::Index>& pending, const Scorer& scorer,
                               const BatchOptions& options, Rng& rng);

}  // namespace ionscreen::gp
