#pragma once
/// Scoring the candidate pool for one proposal: the part of Bayesian optimisation whose cost grows
/// with the pool (posterior mean and variance of every candidate, its acquisition score, threshold
/// labels), reduced to a Shortlist of the best candidates that batch selection (batch.hpp) works
/// on. The Optimizer asks a PoolScoring for the shortlist: LocalPoolScoring scores the pool here on
/// all cores; a distributed one (pipeline/mpi/mpi_pool_scoring.hpp) scores shards on other
/// processes.
///
/// Any split of the pool gives bitwise the shortlist of the whole: a candidate's posterior depends
/// only on the rows of its block of kScoringBlock rows (predict(const Predictor&, ...)), shards are
/// whole blocks of that grid (shard_rows), and candidates are ranked by a strict order (key
/// descending, then index ascending), so the best of the shards' best are the best of the pool.
#include <cstdint>
#include <memory>
#include <vector>

#include "gp/acquisition.hpp"
#include "gp/kernel.hpp"
#include "gp/regression.hpp"

namespace ionscreen::gp {

/// Rows per prediction block when scoring a pool; shards of a pool are whole blocks.
inline constexpr Eigen::Index kScoringBlock = 1024;

/// Rows [begin, end) of a pool.
struct RowRange {
  Eigen::Index begin = 0;
  Eigen::Index end = 0;
  Eigen::Index size() const { return end - begin; }
};

/// The rows of part `part` (0-based) of `parts`: whole blocks of `block` rows (the last block of
/// the pool may be short), shared out in order and as evenly as possible, so the parts tile
/// [0, pool_size). A part is empty when there are fewer blocks than parts.
RowRange shard_rows(Eigen::Index pool_size, int parts, int part,
                    Eigen::Index block = kScoringBlock);

/// Threshold-search labels counted over the pool.
struct ThresholdSummary {
  Eigen::Index below = 0, above = 0, undecided = 0;
};

/// A scored candidate: pool index, ranking key (the acquisition score, or for Thompson sampling
/// the negated lower bound -(mean - 3 sd)), posterior mean and variance (original units).
struct ScoredCandidate {
  Eigen::Index index;
  double key;
  double mean;
  double variance;
};

/// What a pool scoring returns for one proposal.
struct Shortlist {
  /// The best eligible candidates with a key above -infinity (for lse, undecided ones), at most
  /// ScoringTask::shortlist, by key descending, then index ascending.
  std::vector<ScoredCandidate> best;
  /// The task's pending candidates, by index (their key is NaN: they are not ranked).
  std::vector<ScoredCandidate> pending;
  /// Threshold search: labels of the candidates not observed (observed ones are labelled by their
  /// values, which only the caller has).
  ThresholdSummary counts;
  /// Threshold search: the label of every candidate of the scored rows, from its posterior.
  std::vector<Label> labels;
};

/// What to compute for one proposal, apart from the model and the pool. Id lists are sorted,
/// without repeats.
struct ScoringTask {
  AcquisitionConfig acquisition;
  double best = 0.0;                     ///< lowest observed value (ei, pi)
  Eigen::Index shortlist = 1024;         ///< how many of the best to keep
  std::vector<Eigen::Index> ineligible;  ///< never shortlisted: observed, failed, pending
  std::vector<Eigen::Index> observed;    ///< left out of the threshold counts
  std::vector<Eigen::Index> pending;     ///< their posterior comes back in Shortlist::pending
  bool threshold = false;                ///< count labels and return every candidate's
};

/// The pool an optimiser scores. It never changes while `id` stays the same, so a scorer that
/// keeps copies elsewhere (on other processes) sends it once per id.
struct ScoringPool {
  std::uint64_t id;                 ///< unique to the optimiser (within the process)
  const Eigen::MatrixXd& features;  ///< standardised, one row per candidate
  const Eigen::MatrixXd& basis;     ///< the mean basis a fit may use (N x p; 0 x 0 if none)
  const ColumnGroups& groups;       ///< what the fit's kernel spec is parsed with
};

/// One proposal's scoring: the fit to score with, where, and what to compute.
struct ScoringRequest {
  const ScoringPool& pool;
  const Fit& fit;
  bool use_basis = false;  ///< the fit's prior mean uses pool.basis
  ScoringTask task;
};

/// Throws InvalidInput if the request is inconsistent (shapes, unsorted or out-of-range ids).
void validate(const ScoringRequest& request);

/// Scores a candidate pool for the Optimizer. Implementations must return exactly what
/// LocalPoolScoring returns: the Optimizer's proposals must not depend on where scoring runs.
class PoolScoring {
 public:
  virtual ~PoolScoring() = default;
  /// The shortlist of the whole pool; with task.threshold, the counts and every candidate's label.
  virtual Shortlist score(const ScoringRequest& request) = 0;
};

/// Scores the whole pool in this process, in parallel over blocks (OpenMP).
class LocalPoolScoring final : public PoolScoring {
 public:
  Shortlist score(const ScoringRequest& request) override;
};

/// Score rows [first_row, first_row + features.rows()) of a pool of `pool_size` candidates:
/// `features` (and `basis`, with the predictor's basis columns) hold those rows only, and
/// first_row is a multiple of kScoringBlock. The predictor must be make_predictor(fit, pool_size)
/// (or a copy of it), and ids in `task` are pool indices. Labels cover the rows scored.
Shortlist score_rows(const Predictor& predictor, Eigen::Ref<const Eigen::MatrixXd> features,
                     Eigen::Ref<const Eigen::MatrixXd> basis, Eigen::Index first_row,
                     Eigen::Index pool_size, const ScoringTask& task);

/// The shortlist of a whole pool from the shortlists of its shards, given in row order: the best
/// `keep` of their best, pending candidates by index, counts added, labels concatenated.
Shortlist merge_shortlists(std::vector<Shortlist> parts, Eigen::Index keep);

/// The shortlist (best and pending only) of a posterior already computed for every candidate:
/// candidates with eligible[i] ranked by `scorer` (Thompson: by lower bound), pending ones in the
/// order given.
Shortlist shortlist_of(const Prediction& posterior, const std::vector<bool>& eligible,
                       const std::vector<Eigen::Index>& pending, const Scorer& scorer, double best,
                       Eigen::Index keep);

}  // namespace ionscreen::gp
